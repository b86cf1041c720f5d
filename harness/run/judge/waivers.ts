// Accepted gaps: a waivers file names expectations a team knows fail, why, and until when.
//
//   waivers:
//     - scenario: an1170-cron-tftp-exfil     # a scenario id, or a prefix ending in *
//       analytic: AN1170                     # or `rule: <rule id>` (a rule's verdicts carry its id as `analytic`)
//       reason: tftp is not monitored on build hosts (SEC-123)
//       expires: 2027-03-31                  # the waiver holds through this day (UTC)
//
// A failing expectation covered by a waiver in force is reported as waived and does not fail the run;
// once expired, the waiver itself fails the run for every expectation it names (whatever their verdict),
// so accepted gaps are looked at again. Expiry is judged against the run's start, so re-rendering an old
// report gives the same answer.
import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import type { RunReport, Waiver } from '../results.js';

export type { Waiver } from '../results.js';

export interface AppliedWaiver extends Waiver {
  /** The run started after the waiver's last day. */
  expired: boolean;
}

/** A mistake in a waivers file, `file:line:col: problem` (the CLI exits 2 with it). */
export class WaiverFileError extends Error {}

export function loadWaivers(file: string): Waiver[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new WaiverFileError(`cannot read waivers file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseWaivers(text, file);
}

const FIELDS = ['scenario', 'analytic', 'rule', 'reason', 'expires'];

export function parseWaivers(text: string, file = '<waivers>'): Waiver[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const fail = (node: Node | null | undefined, message: string): never => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    throw new WaiverFileError(`${file}:${pos.line}:${pos.col}: ${message}`);
  };
  const firstError = doc.errors[0];
  if (firstError) {
    const pos = lines.linePos(firstError.pos[0]);
    throw new WaiverFileError(`${file}:${pos.line}:${pos.col}: ${firstError.message.split('\n')[0]}`);
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return [];
  const list = isMap(root) ? root.get('waivers', true) : root;
  if (isMap(root) && root.items.some((p) => !isScalar(p.key) || p.key.value !== 'waivers')) {
    return fail(root, 'expected only a `waivers:` list at the top');
  }
  if (!isSeq(list)) return fail((list as Node | undefined) ?? (root as Node), 'expected a list of waivers (scenario, analytic or rule, reason, expires)');
  return list.items.map((item, i) => {
    const where = `waivers[${i}]`;
    if (!isMap(item)) return fail(item as Node, `${where}: expected a mapping with scenario, analytic or rule, reason, expires`);
    const value = (key: string): string | undefined => {
      const node = item.get(key, true) as Node | undefined;
      if (node === undefined) return undefined;
      if (!isScalar(node) || node.value === null || node.value === '') return fail(node, `${where}.${key}: expected a value`);
      // YAML reads an unquoted 2027-03-31 as a string with the default schema; numbers are kept as written.
      return String(node.value);
    };
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!FIELDS.includes(key)) fail(pair.key as Node, `${where}: unknown field "${key}" (expected ${FIELDS.join(', ')})`);
    }
    const scenario = value('scenario');
    const analytic = value('analytic');
    const rule = value('rule');
    const reason = value('reason');
    const expires = value('expires');
    if (!scenario) return fail(item, `${where}: scenario is required (a scenario id, or a prefix ending in *)`);
    if (!analytic && !rule) return fail(item, `${where}: name the analytic (AN1170) or the rule the waiver covers`);
    if (analytic && rule) return fail(item, `${where}: name either an analytic or a rule, not both`);
    if (!reason) return fail(item, `${where}: reason is required: why is this gap accepted?`);
    if (!expires) return fail(item, `${where}: expires is required (YYYY-MM-DD): a waiver without an end is never looked at again`);
    if (!isDate(expires)) return fail(item.get('expires', true) as Node, `${where}.expires: "${expires}" is not a date (YYYY-MM-DD)`);
    const waiver: Waiver = { scenario, reason, expires };
    if (analytic) waiver.analytic = analytic;
    if (rule) waiver.rule = rule;
    return waiver;
  });
}

function isDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(text);
}

/** Whether the waiver names this scenario id and analytic (or rule). */
export function waiverCovers(waiver: Waiver, scenario: string, analytic: string): boolean {
  const target = waiver.analytic ?? waiver.rule;
  const scenarioMatches = waiver.scenario.endsWith('*') ? scenario.startsWith(waiver.scenario.slice(0, -1)) : scenario === waiver.scenario;
  return scenarioMatches && target === analytic;
}

/** The first of the run's waivers that names this expectation, with whether it had expired when the run started. */
export function waiverFor(report: RunReport, scenario: string, expectation: { analytic: string }): AppliedWaiver | null {
  const waiver = report.judgement?.waivers.find((w) => waiverCovers(w, scenario, expectation.analytic));
  if (!waiver) return null;
  return { ...waiver, expired: report.started.slice(0, 10) > waiver.expires };
}
