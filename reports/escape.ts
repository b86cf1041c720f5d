// Escaping for markup formats. Everything a run produced (command lines, alert summaries, output tails)
// goes through here before it lands in HTML or XML: made visible first (sanitize.ts), then escaped.
import { visible } from './sanitize.js';

// XML 1.0 forbids most C0 controls, lone surrogates and U+FFFE/U+FFFF even when escaped.
const XML_INVALID = /[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text or attribute value for XML/HTML: controls made visible, escaped, characters XML cannot carry replaced by U+FFFD. */
export function escapeXml(text: string): string {
  return visible(text, { multiline: true })
    .replace(XML_INVALID, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export const escapeHtml = escapeXml;
