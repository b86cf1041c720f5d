// What an interpreter's script source says. Which script a process runs is the event layer's (scriptPath).
export { scriptPath } from '../../harness/events/facts.js';

// `x ^ y`, `x ^= y`, `$(( a ^ b ))` but not regex anchors (`'^abc'`, `[^a]`) or bash `${v^^}`.
const XOR_OPERATOR = /[\w)\]}]\s*\^=?\s*[\w($[]/;
const XOR_WORD = /xor/i;

/** The first source line that does a bitwise XOR, or null. */
export function xorLine(text: string): string | null {
  for (const line of text.split('\n')) {
    const code = line.trim();
    if (code.startsWith('#') || code.startsWith('//')) continue;
    if (XOR_OPERATOR.test(code) || XOR_WORD.test(code)) return code.length > 120 ? `${code.slice(0, 117)}...` : code;
  }
  return null;
}
