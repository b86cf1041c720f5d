// "Did you mean ...?" for mistyped commands, flags and scenario ids (Levenshtein distance via the
// maintained fastest-levenshtein package).
import { distance } from 'fastest-levenshtein';

/** The closest candidate when it is close enough to be a typo (at most a third of the word's length, min 1). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(word.length / 3)) ? best : undefined;
}

/** " (did you mean X?)" or "". */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const best = closest(word, candidates);
  return best ? ` (did you mean ${best}?)` : '';
}

/** The long options a usage text mentions (`--parallel N` → --parallel). */
export function optionsOf(usage: string): string[] {
  return [...new Set(usage.match(/--[a-z][a-z-]*/g) ?? [])];
}
