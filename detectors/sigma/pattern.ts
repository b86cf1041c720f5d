// Sigma string values: `*` and `?` wildcards, `\*` `\?` `\\` escapes (a backslash before anything else is literal),
// matched case-insensitively unless `cased`. A value compiles once into the cheapest test that decides it.

/** One piece of a parsed value: literal text or a wildcard. */
export type Piece = { text: string } | { wildcard: '*' | '?' };

export function parseWildcards(value: string): Piece[] {
  const out: Piece[] = [];
  let text = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\') {
      const next = value[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        text += next;
        i++;
      } else text += c;
    } else if (c === '*' || c === '?') {
      if (text) out.push({ text });
      text = '';
      out.push({ wildcard: c });
    } else text += c;
  }
  if (text) out.push({ text });
  return out;
}

/** Back to Sigma syntax, escaping what would read as a wildcard. */
export function escapeWildcards(text: string): string {
  return text.replace(/[\\*?]/g, (c) => `\\${c}`);
}

/** Tests one field value: the original text when cased, else the text lower-cased by the caller. */
export type StringTest = (value: string) => boolean;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/**
 * A matcher for one Sigma value already carrying its position wildcards (`contains` = `*v*`...). Plain text,
 * a prefix, a suffix or an infix become string comparisons; anything else one anchored RegExp.
 */
export function compileWildcard(value: string, cased: boolean): StringTest {
  const pieces = parseWildcards(value);
  const fold = (s: string) => (cased ? s : s.toLowerCase());
  // Case-insensitive tests receive the value already lower-cased (once per event field, see view.ts).
  const isStar = (p: Piece | undefined) => p !== undefined && 'wildcard' in p && p.wildcard === '*';
  const texts = pieces.filter((p): p is { text: string } => 'text' in p);
  const questions = pieces.some((p) => 'wildcard' in p && p.wildcard === '?');
  if (!questions && texts.length <= 1) {
    const needle = fold(texts[0]?.text ?? '');
    const starts = isStar(pieces[0]);
    const ends = isStar(pieces[pieces.length - 1]);
    if (texts.length === 0) return pieces.length === 0 ? (v) => v === '' : () => true;
    if (pieces.length === 1) return (v) => v === needle;
    if (starts && ends && pieces.length === 3) return (v) => v.includes(needle);
    if (starts && pieces.length === 2) return (v) => v.endsWith(needle);
    if (ends && pieces.length === 2) return (v) => v.startsWith(needle);
  }
  const source = pieces.map((p) => ('text' in p ? escapeRegExp(p.text) : p.wildcard === '*' ? '[\\s\\S]*' : '[\\s\\S]')).join('');
  const re = new RegExp(`^${source}$`, cased ? 'u' : 'iu');
  return (v) => re.test(v);
}

/** The `re` modifier: PCRE-style value, case-sensitive unless `i`; `m` and `s` as in the modifiers appendix. */
export function compileRegex(source: string, flags: { i: boolean; m: boolean; s: boolean }): StringTest {
  // PCRE's leading inline flags, `(?i)` and the like, which JavaScript's RegExp does not take.
  const inline = /^\(\?([ims]+)\)/.exec(source);
  const f = { ...flags };
  if (inline) for (const c of inline[1]!) f[c as 'i'] = true;
  const body = inline ? source.slice(inline[0].length) : source;
  const re = new RegExp(body, `${f.i ? 'i' : ''}${f.m ? 'm' : ''}${f.s ? 's' : ''}`);
  return (v) => re.test(v);
}
