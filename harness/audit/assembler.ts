// Layer 2: records -> events. Records with the same node, timestamp and serial are one event.
//
// An event is complete when
//  - its EOE record arrives (EOE itself carries nothing and is not kept), or
//  - it is a single-record type (user-space and daemon messages: USER_*, CRED_*, DAEMON_*...), or
//  - it has its SYSCALL, the `items=` PATH records the SYSCALL announces, and its PROCTITLE (the kernel
//    writes PROCTITLE last; this matters because auditd's log does not always contain EOE), or
//  - it falls out of the in-flight window (more than `window` newer events started), or the stream ends.
// Memory is bounded by the window plus a fixed ring of recently completed ids (to recognise stray late
// records of an event already emitted, which are counted, not turned into bogus one-record events).
import type { AuditRecord } from './record.js';

export interface AssemblerOptions {
  /** Events in flight at once before the oldest is emitted as is. */
  window?: number;
}

export const DEFAULT_WINDOW = 256;
/** A jump of more serials than this is a discontinuity (reboot, serial restart, spliced or filtered log), not loss. */
export const MAX_SERIAL_GAP = 10_000;
const SERIAL_SPACE = 2 ** 32;
const RECENT_RING = 1024;

interface Pending {
  key: string;
  serial: number;
  records: AuditRecord[];
  items: number; // from SYSCALL items=, -1 until the SYSCALL arrives
  paths: number;
  title: boolean;
  touched: number; // wall-clock ms of the last record, for flushIdle
}

const NONE: AuditRecord[][] = [];

const SINGLE_PREFIXES = [
  'USER_', 'CRED_', 'DAEMON_', 'ACCT_', 'ADD_', 'DEL_', 'CHGRP_', 'CHUSER_', 'GRP_', 'ROLE_', 'SERVICE_',
  'SYSTEM_', 'CRYPTO_', 'VIRT_', 'RESP_', 'LABEL_', 'DEV_', 'ANOM_LOGIN_',
];
const SINGLE_TYPES = new Set([
  'USER', 'USYS_CONFIG', 'TRUSTED_APP', 'DAC_CHECK', 'MAC_CHECK', 'TEST', 'FS_RELABEL', 'SOFTWARE_UPDATE',
  'ANOM_MAX_DAC', 'ANOM_MAX_MAC', 'ANOM_AMTU_FAIL', 'ANOM_RBAC_FAIL', 'ANOM_RBAC_INTEGRITY_FAIL',
  'ANOM_CRYPTO_FAIL', 'ANOM_ACCESS_FS', 'ANOM_EXEC', 'ANOM_MK_EXEC', 'ANOM_ADD_ACCT', 'ANOM_DEL_ACCT',
  'ANOM_MOD_ACCT', 'ANOM_ROOT_TRANS', 'ANOM_ORIGFAILS',
]);
const singleCache = new Map<string, boolean>();

/** Record types that user space (PAM, sshd, auditd itself...) sends as a whole event on its own. */
export function isSingleRecordType(type: string): boolean {
  let v = singleCache.get(type);
  if (v === undefined) {
    v = SINGLE_TYPES.has(type) || SINGLE_PREFIXES.some((p) => type.startsWith(p));
    if (singleCache.size < 4096) singleCache.set(type, v);
  }
  return v;
}

export class EventAssembler {
  lostSerials = 0;
  /** Records that arrived after their event had already been completed (and were dropped). */
  lateRecords = 0;
  private readonly window: number;
  private readonly inflight = new Map<string, Pending>();
  /**
   * The last RECENT_RING completed events, as parallel rings of keys and serials. Searched linearly, serials
   * first, and only for a record whose serial is not above every serial so far, which is rare (a late or
   * out-of-order record): cheaper than keeping a Set of keys up to date for every event.
   */
  private readonly recentKeys: string[] = new Array<string>(RECENT_RING).fill('');
  private readonly recentSerials = new Float64Array(RECENT_RING).fill(-1);
  private recentAt = 0;
  /** Highest serial seen, per node. */
  private readonly highest = new Map<string, number>();
  /** Serials counted as lost per node that a late arrival may still fill. */
  private readonly provisional = new Map<string, number>();
  /** The key of the previous record: an event's records come in a row, so most keys are reused, not rebuilt. */
  private lastKey = '';
  private lastNode: string | null = null;
  private lastStamp = '';
  private lastSerial = -1;
  /** Highest serial of any record so far, all nodes together. */
  private maxSerial = -1;

  constructor(options: AssemblerOptions = {}) {
    const w = options.window ?? DEFAULT_WINDOW;
    if (!Number.isInteger(w) || w < 1) throw new RangeError(`window must be a positive integer, got ${w}`);
    this.window = w;
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  /** Adds one record; returns the record groups of the events it completed (usually none or one). */
  add(r: AuditRecord): AuditRecord[][] {
    const key = this.keyOf(r);
    // A serial above every one seen so far cannot be a completed event's: no need to look.
    const unseen = r.serial > this.maxSerial;
    if (unseen) this.maxSerial = r.serial;
    let p = this.inflight.get(key);
    if (r.type === 'EOE') {
      if (p === undefined) return NONE;
      this.inflight.delete(key);
      this.remember(key, r.serial);
      return [p.records];
    }
    if (p === undefined) {
      if (!unseen && this.isRecent(key, r.serial)) {
        this.lateRecords++;
        return NONE;
      }
      this.trackSerial(r.node ?? '', r.serial);
      if (isSingleRecordType(r.type)) {
        this.remember(key, r.serial);
        return [[r]];
      }
      p = { key, serial: r.serial, records: [r], items: -1, paths: 0, title: false, touched: 0 };
      this.inflight.set(key, p);
    } else {
      p.records.push(r);
    }
    const t = r.type;
    if (t === 'SYSCALL') {
      const n = Number(r.field('items'));
      p.items = Number.isInteger(n) && n >= 0 ? n : 0;
    } else if (t === 'PATH') p.paths++;
    else if (t === 'PROCTITLE' || t === 'UNKNOWN[1327]') p.title = true;

    let out = NONE;
    if (p.title && p.items >= 0 && p.paths >= p.items) {
      this.inflight.delete(key);
      this.remember(key, p.serial);
      out = [p.records];
    }
    while (this.inflight.size > this.window) {
      const oldest = this.inflight.values().next().value as Pending;
      this.inflight.delete(oldest.key);
      this.remember(oldest.key, oldest.serial);
      if (out === NONE) out = [];
      out.push(oldest.records);
    }
    return out;
  }

  /** Completes events that have had no new record for `idleMs` of wall-clock time (for live tails). */
  flushIdle(idleMs: number, now = Date.now()): AuditRecord[][] {
    const out: AuditRecord[][] = [];
    for (const p of this.inflight.values()) {
      if (p.touched === 0) p.touched = now;
      else if (now - p.touched >= idleMs) {
        this.inflight.delete(p.key);
        this.remember(p.key, p.serial);
        out.push(p.records);
      }
    }
    return out;
  }

  /** Completes everything still in flight, oldest first. */
  flush(): AuditRecord[][] {
    const out = [...this.inflight.values()].map((p) => p.records);
    for (const p of this.inflight.values()) this.remember(p.key, p.serial);
    this.inflight.clear();
    return out;
  }

  private keyOf(r: AuditRecord): string {
    if (r.serial !== this.lastSerial || r.stamp !== this.lastStamp || r.node !== this.lastNode) {
      this.lastKey = r.node === null ? `${r.stamp}:${r.serial}` : `${r.node}|${r.stamp}:${r.serial}`;
      this.lastNode = r.node;
      this.lastStamp = r.stamp;
      this.lastSerial = r.serial;
    }
    return this.lastKey;
  }

  private remember(key: string, serial: number): void {
    this.recentKeys[this.recentAt] = key;
    this.recentSerials[this.recentAt] = serial;
    this.recentAt = (this.recentAt + 1) % RECENT_RING;
  }

  private isRecent(key: string, serial: number): boolean {
    const serials = this.recentSerials;
    for (let i = 0; i < RECENT_RING; i++) {
      if (serials[i] === serial && this.recentKeys[i] === key) return true;
    }
    return false;
  }

  /**
   * Serial accounting, per node, modulo 2^32 (rollover). A forward gap counts its missing serials as lost;
   * a small step back is a late, out-of-order event filling an earlier gap; a jump of more than
   * MAX_SERIAL_GAP either way is a discontinuity and starts a new baseline.
   */
  private trackSerial(node: string, serial: number): void {
    const high = this.highest.get(node);
    if (high === undefined) {
      this.highest.set(node, serial);
      return;
    }
    const forward = (serial - high + SERIAL_SPACE) % SERIAL_SPACE;
    if (forward === 0) return;
    if (forward <= MAX_SERIAL_GAP) {
      this.highest.set(node, serial);
      if (forward > 1) {
        this.lostSerials += forward - 1;
        this.provisional.set(node, (this.provisional.get(node) ?? 0) + forward - 1);
      }
      return;
    }
    const back = SERIAL_SPACE - forward;
    if (back <= MAX_SERIAL_GAP) {
      const open = this.provisional.get(node) ?? 0;
      if (open > 0) {
        this.provisional.set(node, open - 1);
        this.lostSerials--;
      }
      return;
    }
    this.highest.set(node, serial);
    this.provisional.set(node, 0);
  }
}
