// What the terminal allows: colour (NO_COLOR, FORCE_COLOR, else whether the stream is a terminal) and width
// ($COLUMNS, else the terminal's, else 80). Every command asks here, so all of them agree.

/** https://no-color.org and the FORCE_COLOR convention: a non-empty NO_COLOR wins, FORCE_COLOR (not "0") forces. */
export function colorFor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return stream.isTTY === true;
}

export function terminalWidth(stream: { columns?: number } = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv >= 20) return fromEnv;
  if (stream.columns && stream.columns >= 20) return stream.columns;
  return 80;
}

/** Text wrapped at `width` columns on spaces, later lines indented by `indent`; a longer token is cut. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  const prefix = () => (out.length ? indent : '');
  let line = '';
  for (let word of text.split(' ')) {
    if (line && `${prefix()}${line} ${word}`.length <= width) {
      line += ` ${word}`;
      continue;
    }
    if (line) out.push(prefix() + line);
    line = '';
    while ((prefix() + word).length > width) {
      const cut = Math.max(1, width - prefix().length);
      out.push(prefix() + word.slice(0, cut));
      word = word.slice(cut);
    }
    line = word;
  }
  if (line || !out.length) out.push(prefix() + line);
  return out;
}
