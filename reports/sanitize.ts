// The one sanitizer for text shown to people. Everything a run or a log produced (file names, command
// lines, alert summaries, host names, output tails) is hostile: an ESC sequence would drive the terminal
// (clear the screen, set the window title, hide text), a bidirectional override (U+202E) would make a
// reader see another file name than the real one. Such characters are made visible, never interpreted or
// silently dropped: C0 controls become their Unicode control pictures (ESC → ␛, BEL → ␇), DEL ␡, and C1
// controls, bidirectional and invisible formatting characters become <U+XXXX>. Every renderer and the
// terminal output of every command go through `visible`; Markdown adds `markdownText` on top.

// C0 (but \t and \n, kept only where asked), DEL, C1.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x1f\x7f\x80-\x9f]/g;
// Bidirectional embeddings, overrides and isolates, marks, and invisible characters that can hide or reorder text.
const FORMATTING = /[\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

export interface VisibleOptions {
  /** Keep line feeds and tabs (output tails shown in a block); otherwise they become ␊ and ␉. */
  multiline?: boolean;
}

export function visible(text: string, options: VisibleOptions = {}): string {
  return text
    .replace(CONTROLS, (c) => {
      const code = c.charCodeAt(0);
      if (options.multiline && (c === '\n' || c === '\t')) return c;
      if (code < 0x20) return String.fromCharCode(0x2400 + code);
      if (code === 0x7f) return '\u2421';
      return codePoint(code);
    })
    .replace(FORMATTING, (c) => codePoint(c.charCodeAt(0)));
}

function codePoint(code: number): string {
  return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
}

// GitHub autolinks bare URLs (http://, https://, ftp://, www.; mailto: and xmpp:) and e-mail addresses, and turns @name and @org/team
// into mentions that notify people. A zero-width space written as an HTML entity after the scheme's colon,
// in "www." and after "@" breaks both without changing what a reader sees (the same trick Dependabot uses).
const ZWSP = '&#8203;';

/**
 * Text for a Markdown document (GitHub-flavoured): visible, no markup, no raw HTML, no table breakage,
 * no autolink and no @-mention.
 */
export function markdownText(text: string): string {
  return visible(text.replace(/\r?\n/g, ' '))
    .replace(/[\\`*_[\]#~|!]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\b(https?|ftp|mailto|xmpp):/gi, `$1:${ZWSP}`)
    .replace(/\bwww\./gi, `www${ZWSP}.`)
    .replace(/@(?=[A-Za-z0-9_])/g, `@${ZWSP}`);
}
