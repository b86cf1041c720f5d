// What script an interpreter runs, and what its source says.
import type { ProcessInfo } from './process-table.js';
import { absolutePath } from './paths.js';

// Interpreter options that take the next argument as a value (so it is not the script).
const OPTIONS_WITH_VALUE = new Set(['-W', '-X', '-I', '-M', '-r', '-o', '-O', '--rcfile', '--init-file']);
// Options after which there is no script file (inline code or a module).
const INLINE_OPTIONS = new Set(['-c', '-e', '-E', '-m', '--eval', '-p', '--print']);

/** Absolute path of the script an interpreter process runs (`python3 -u /x/y.py` → /x/y.py), or null. */
export function scriptPath(p: Pick<ProcessInfo, 'argv' | 'cwd'>): string | null {
  const argv = p.argv;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (INLINE_OPTIONS.has(a) || /^-[a-zA-Z]*[ce]$/.test(a)) return null;
    if (OPTIONS_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a === '--') return argv[i + 1] ? absolutePath(argv[i + 1]!, p.cwd) : null;
    if (a.startsWith('-')) continue;
    return absolutePath(a, p.cwd);
  }
  return null;
}

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
