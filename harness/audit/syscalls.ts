// Audit `arch=` values (linux/audit.h AUDIT_ARCH_*) -> syscall tables, and the byte order each implies.
import { SYSCALL_TABLES } from './syscall-tables.js';

const ARCH_TABLE: Record<string, string> = {
  c000003e: 'x86_64',
  '40000003': 'i386',
  c00000b7: 'aarch64',
  '40000028': 'arm',
  '80000015': 'ppc', // ppc64 big-endian
  c0000015: 'ppc', // ppc64le
  '14': 'ppc',
  '80000016': 's390x',
  '16': 's390x',
};

const parsed = new Map<string, Map<number, string>>();

function table(name: string): Map<number, string> | undefined {
  let t = parsed.get(name);
  if (!t) {
    const src = SYSCALL_TABLES[name];
    if (src === undefined) return undefined;
    t = new Map();
    for (const pair of src.split(',')) {
      const sp = pair.indexOf(' ');
      t.set(Number(pair.slice(0, sp)), pair.slice(sp + 1));
    }
    parsed.set(name, t);
  }
  return t;
}

/** Syscall name for a raw `arch=` hex value and `syscall=` number, or null when the table doesn't know it. */
export function syscallName(arch: string | undefined, num: number): string | null {
  if (arch === undefined) return null;
  const name = ARCH_TABLE[arch.toLowerCase()];
  return name === undefined ? null : (table(name)?.get(num) ?? null);
}

/** True when the arch is little-endian (__AUDIT_ARCH_LE bit); null when there is no arch to tell. */
export function archIsLittleEndian(arch: string | undefined): boolean | null {
  if (arch === undefined) return null;
  const n = parseInt(arch, 16);
  return Number.isNaN(n) ? null : (n & 0x40000000) !== 0;
}
