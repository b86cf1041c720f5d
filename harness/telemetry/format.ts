// What format a file's first bytes announce, from a maintained signature database (the `file-type` package: media,
// fonts, packages, databases, documents, archives, executables...) plus the few documented headers it does not carry
// (zlib and lzma-alone streams, `#!` scripts, OpenSSL's `Salted__`, binary OpenPGP packets, LUKS and age containers).
// libmagic (wasmagic) was measured and rejected: its weak rules name ~5% of random buffers (and every buffer that
// starts with "XA") as some format, which would hide custom archives.
import { FileTypeParser, supportedExtensions } from 'file-type';

/** Bytes of a file's head that recognition looks at (file-type's own "reasonable detection size"). */
export const FORMAT_HEAD_BYTES = 4100;

/** file-type's extension → the name this project has always used for the same format. */
const RENAMED: Record<string, string> = { gz: 'gzip', bz2: 'bzip2', zst: 'zstd', lz: 'lzip', Z: 'compress', jpg: 'jpeg', exe: 'pe', 'tar.gz': 'gzip' };

interface Supplement {
  format: string;
  /** What the header is, for explanations. */
  what: string;
  test(head: Uint8Array): boolean;
}

const startsWith = (head: Uint8Array, text: string | number[], offset = 0): boolean => {
  const bytes = typeof text === 'string' ? [...Buffer.from(text, 'latin1')] : text;
  return head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
};

// OpenPGP symmetric-key encrypted session key packet (RFC 4880 5.3; what `gpg -c` writes first): old-format tag 3
// (0x8c, one-byte length 0x0c-0x0e, 4 bytes with a salt) or new-format tag 3 (0xc3), version 4 or 5, a symmetric
// algorithm id (1-13), an S2K specifier of type 0, 1 or 3.
function openpgpSymmetric(h: Uint8Array): boolean {
  const [tag, len] = [h[0], h[1]];
  const body = tag === 0x8c || tag === 0xc3 ? 2 : -1;
  if (body < 0 || len === undefined || len < 4 || len > 64) return false;
  const [version, algo, s2k] = [h[body], h[body + 1], h[body + 2]];
  return (version === 4 || version === 5) && algo !== undefined && algo >= 1 && algo <= 13 && (s2k === 0 || s2k === 1 || s2k === 3);
}

// Public-key encrypted session key packet (`gpg -e`): old-format tag 1 (0x84 one-byte / 0x85 two-byte length) or
// new-format 0xc1, version 3, an 8-byte key id, then a public-key algorithm id (1-3, 16, 18, 22, 25).
function openpgpPublicKey(h: Uint8Array): boolean {
  const body = h[0] === 0x84 || h[0] === 0xc1 ? 2 : h[0] === 0x85 ? 3 : -1;
  if (body < 0 || h[body] !== 3) return false;
  const algo = h[body + 9];
  return algo !== undefined && [1, 2, 3, 16, 18, 22, 25].includes(algo);
}

const SUPPLEMENTS: Supplement[] = [
  { format: 'openssl-enc', what: 'OpenSSL enc "Salted__" header', test: (h) => startsWith(h, 'Salted__') },
  { format: 'openpgp', what: 'OpenPGP encrypted session key packet', test: (h) => openpgpSymmetric(h) || openpgpPublicKey(h) },
  { format: 'luks', what: 'LUKS encrypted volume header', test: (h) => startsWith(h, [0x4c, 0x55, 0x4b, 0x53, 0xba, 0xbe]) },
  { format: 'age', what: 'age encryption header', test: (h) => startsWith(h, 'age-encryption.org/v1\n') },
  // lzma-alone: properties byte 0x5d then a little-endian dictionary size whose low bytes are 0.
  { format: 'lzma', what: 'lzma-alone stream header', test: (h) => h.length >= 13 && h[0] === 0x5d && h[1] === 0 && h[2] === 0 },
  // zlib stream header at the default/best/fast levels: what python's zlib.compress writes.
  { format: 'zlib', what: 'zlib stream header', test: (h) => h.length >= 2 && h[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(h[1]!) },
  { format: 'script', what: '"#!" interpreter line', test: (h) => startsWith(h, '#!') },
];

/** Formats whose header marks a standard compression, archive or encryption container (T1560.001 output). */
export const ARCHIVE_FORMATS: ReadonlySet<string> = new Set([
  'gzip', 'bzip2', 'xz', 'zstd', 'zip', '7z', 'rar', 'lz4', 'lzma', 'lzip', 'compress', 'zlib', 'tar', 'cpio', 'ar',
  'cab', 'arj', 'ace', 'lzh', 'deb', 'rpm', 'apk', 'jar', 'openssl-enc', 'openpgp', 'pgp', 'luks', 'age',
]);

/** Every format name recognition can return. */
export const KNOWN_FORMATS: ReadonlySet<string> = new Set([
  ...[...supportedExtensions].map((ext) => RENAMED[ext] ?? ext),
  ...SUPPLEMENTS.map((s) => s.format),
]);

export interface Recognition {
  /** The format's name (file-type's extension, or a supplement's name), or null when no known header matches. */
  format: string | null;
  /** Where the name came from, for explanations: a MIME type or the supplement's description. */
  evidence: string | null;
}

const parser = new FileTypeParser();

/** The format a file's first bytes (at least FORMAT_HEAD_BYTES when the file is that long) announce. */
export async function recognizeFormat(head: Uint8Array): Promise<Recognition> {
  if (head.length === 0) return { format: null, evidence: null };
  const found = await parser.fromBuffer(head).catch(() => undefined);
  if (found) return { format: RENAMED[found.ext] ?? found.ext, evidence: found.mime };
  const supplement = SUPPLEMENTS.find((s) => s.test(head));
  return supplement ? { format: supplement.format, evidence: supplement.what } : { format: null, evidence: null };
}

/** Just the name (what FileArtifact.format holds). */
export async function detectFormat(head: Uint8Array): Promise<string | null> {
  return (await recognizeFormat(head)).format;
}

export function isArchiveFormat(format: string | null): boolean {
  return format !== null && ARCHIVE_FORMATS.has(format);
}

/** "gzip" / "no known header", the words a decision quotes. */
export function describeFormat(format: string | null): string {
  return format === null ? 'no known header' : `${format} header`;
}
