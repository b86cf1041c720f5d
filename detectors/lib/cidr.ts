// IPv4/IPv6 CIDR matching. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 ranges.

export interface Cidr {
  version: 4 | 6;
  base: bigint;
  bits: number;
  text: string;
}

/** The address as a number and its family, or null when it is not an IP address. */
export function parseIp(text: string): { version: 4 | 6; value: bigint } | null {
  const s = text.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v4 = parseIpv4(s);
  if (v4 !== null) return { version: 4, value: v4 };
  const v6 = parseIpv6(s);
  if (v6 === null) return null;
  if (v6 >> 32n === 0xffffn) return { version: 4, value: v6 & 0xffffffffn };
  return { version: 6, value: v6 };
}

function parseIpv4(s: string): bigint | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseIpv6(input: string): bigint | null {
  if (!input.includes(':') || !/^[0-9a-fA-F:.]+$/.test(input)) return null;
  let s = input;
  const lastColon = s.lastIndexOf(':');
  const dotted = s.slice(lastColon + 1);
  if (dotted.includes('.')) {
    // Embedded IPv4 (::ffff:1.2.3.4): rewrite it as two hex groups.
    const v4 = parseIpv4(dotted);
    if (v4 === null) return null;
    s = `${s.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groups = (h: string) => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const explicit = head.length + rest.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const all = [...head, ...Array<string>(8 - explicit).fill('0'), ...rest];
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** "10.0.0.0/8", "fd00::/8", or a bare address (a /32 or /128). Throws with the reason. */
export function parseCidr(text: string): Cidr {
  const [addr, bitsText, extra] = String(text).split('/');
  if (extra !== undefined) throw new Error(`"${text}" is not a CIDR (too many "/")`);
  const ip = parseIp(addr ?? '');
  if (!ip) throw new Error(`"${text}" is not an IPv4 or IPv6 address or CIDR`);
  const max = ip.version === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (!/^\d+$/.test(bitsText ?? String(max)) || bits > max) throw new Error(`"${text}": prefix length must be 0..${max}`);
  const mask = bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(max - bits);
  return { version: ip.version, base: ip.value & mask, bits, text };
}

/** A set of CIDRs answering "is this address inside any of them". */
export class CidrSet {
  private readonly cidrs: Cidr[];
  constructor(cidrs: Iterable<string>) {
    this.cidrs = [...cidrs].map(parseCidr);
  }

  has(address: string): boolean {
    const ip = parseIp(address);
    if (!ip) return false;
    return this.cidrs.some((c) => {
      if (c.version !== ip.version) return false;
      const max = c.version === 4 ? 32 : 128;
      return c.bits === 0 || ip.value >> BigInt(max - c.bits) === c.base >> BigInt(max - c.bits);
    });
  }
}
