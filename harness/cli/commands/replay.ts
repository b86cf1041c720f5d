// `purple replay`: run the detectors over recorded telemetry (an audit log, conntrack text, saved artifacts) from any
// Linux host, or over a saved run folder, and print the alerts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, styleText } from 'node:util';
import Table from 'cli-table3';
import { visible } from '../../../reports/sanitize.js';
import { colorFor, terminalWidth } from '../../../reports/tty.js';
import { EXIT, UsageError, type Command } from '../command.js';
import { EMPTY_CONFIG, loadConfig, type LoadedConfig } from '../../config.js';
import { EngineConfigError } from '../../../detectors/engine.js';
import { ReplayInputError, replay, type ReplayResult } from '../../../detectors/replay.js';
import type { Alert } from '../../../detectors/types.js';
import { SAVED } from '../../run/scenario-run.js';
import { builtinAlert } from '../../../detectors/byod/types.js';
import { describeNearMiss } from '../../../detectors/lib/near-misses.js';
import { BYOD_OPTIONS, BYOD_USAGE, loadByod, type Byod } from '../byod-options.js';

const USAGE = `usage: purple replay --audit-log FILE [--flows FILE] [--artifacts FILE] [--root DIR] [options]
       purple replay --run DIR [options]

Runs the detectors (AN1214, AN1529, AN1170) over recorded telemetry, streaming, in bounded memory.

  --audit-log FILE   raw auditd log (plain or ENRICHED)
  --flows FILE       conntrack text: \`conntrack -E -o timestamp,extended\` or \`-L -o extended\` lines
  --artifacts FILE   JSON array of file artifacts (a run's artifacts.json)
  --root DIR         look up files named in the audit log under DIR for their content ("/" on a live host);
                     without --root or --artifacts, content checks report "no content" in the stats
  --host NAME        host name to attach to telemetry that names none
  --run DIR          replay a saved run: each DIR/scenarios/<id>/ (audit.log, flows.conntrack, artifacts.json,
                     context.json with the scenario's trusted_cidrs, accounts.json, roles.json)
  --config FILE      trusted_cidrs, standard_users and per-analytic thresholds (YAML or JSON)
  --only IDS         comma-separated analytics to run (e.g. AN1214,AN1170)
  --format F         table (default on a terminal) or json: {"alerts": [...], "ruleAlerts": [...], "stats": {...}}
${BYOD_USAGE}

Exit codes: 0 done (alerts or not), 2 usage or configuration error (the message names the file and line).`;

interface ScenarioReplay {
  id: string;
  result: ReplayResult;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run the detectors over a recorded audit log, flows and artifacts',
  usage: USAGE,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        strict: true,
        options: {
          'audit-log': { type: 'string' },
          flows: { type: 'string' },
          artifacts: { type: 'string' },
          root: { type: 'string' },
          host: { type: 'string' },
          run: { type: 'string' },
          config: { type: 'string' },
          only: { type: 'string' },
          format: { type: 'string' },
          ...BYOD_OPTIONS,
        },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const format = values.format ?? (process.stdout.isTTY ? 'table' : 'json');
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, not "${format}"`);
    if (!values.run && !values['audit-log']) throw new UsageError('give --audit-log FILE or --run DIR');
    if (values.run && values['audit-log']) throw new UsageError('--run and --audit-log are alternatives: give one');
    const config: LoadedConfig = values.config ? loadConfig(values.config) : EMPTY_CONFIG;
    const byod = loadByod(values);
    if (byod.skipped.length) process.stderr.write(`purple: ${byod.skipped.length} Sigma rules skipped as unsupported (purple rules lint says why), e.g. ${visible(byod.skipped[0]!)}\n`);
    const only = byod.noBuiltin ? [] : values.only?.split(',').map((s) => s.trim()).filter(Boolean);

    try {
      if (values.run) {
        const scenarios = await replayRun(values.run, config, only, values.root, byod);
        if (format === 'json') {
          write(JSON.stringify({ scenarios: scenarios.map((s) => ({ id: s.id, ...jsonAlerts(s.result), stats: s.result.stats })) }, null, 2));
        } else {
          for (const s of scenarios) write(`${heading(s.id)}\n${renderTable(s.result)}\n`);
        }
        return EXIT.ok;
      }
      const result = await replay({
        auditLog: values['audit-log']!,
        ...(values.flows ? { flows: values.flows } : {}),
        ...(values.artifacts ? { artifacts: values.artifacts } : {}),
        ...(values.root ? { root: values.root } : {}),
        ...(values.host ? { host: values.host } : {}),
        shared: config.shared,
        overrides: config.overrides,
        ...(only ? { only } : {}),
        ...(byod.config ? { byod: byod.config } : {}),
      });
      write(format === 'json' ? JSON.stringify({ ...jsonAlerts(result), stats: result.stats }, null, 2) : renderTable(result));
      return EXIT.ok;
    } catch (err) {
      if (err instanceof ReplayInputError || err instanceof EngineConfigError) throw new UsageError(err.message);
      throw err;
    }
  },
};

function jsonAlerts(result: ReplayResult) {
  return { alerts: result.alerts.map(builtinAlert), ruleAlerts: result.ruleAlerts, detectors: result.detectors };
}

async function replayRun(dir: string, config: LoadedConfig, only: string[] | undefined, root: string | undefined, byod: Byod): Promise<ScenarioReplay[]> {
  const scenariosDir = path.join(dir, 'scenarios');
  if (!existsSync(scenariosDir) || !statSync(scenariosDir).isDirectory()) {
    throw new UsageError(`${dir} is not a saved run: ${scenariosDir} is missing`);
  }
  const out: ScenarioReplay[] = [];
  for (const id of readdirSync(scenariosDir).sort()) {
    const sdir = path.join(scenariosDir, id);
    const auditLog = path.join(sdir, 'audit.log');
    if (!statSync(sdir).isDirectory() || !existsSync(auditLog)) continue;
    const context = readContext(path.join(sdir, 'context.json'));
    const recorded = readRecorded(sdir);
    const flows = path.join(sdir, 'flows.conntrack');
    const artifacts = path.join(sdir, 'artifacts.json');
    const result = await replay({
      auditLog,
      ...(existsSync(flows) ? { flows } : {}),
      ...(existsSync(artifacts) ? { artifacts } : {}),
      ...(root ? { root } : {}),
      ...(context.host ? { host: context.host } : {}),
      ...recorded,
      shared: {
        trustedCidrs: [...new Set([...config.shared.trustedCidrs, ...context.trustedCidrs])],
        standardUsers: config.shared.standardUsers,
      },
      overrides: config.overrides,
      ...(only ? { only } : {}),
      ...(byod.config ? { byod: byod.config, steps: readSteps(path.join(sdir, 'steps.json')) } : {}),
    });
    out.push({ id, result });
  }
  return out;
}

/** What a live run recorded besides the telemetry: the target's accounts and the events of other roles than the victim. */
function readRecorded(sdir: string): { accounts?: { passwd: string; group: string }; eventHosts?: Map<string, string> } {
  const out: ReturnType<typeof readRecorded> = {};
  const json = (name: string): unknown => {
    const file = path.join(sdir, name);
    if (!existsSync(file)) return undefined;
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`${file}: not valid JSON: ${(err as Error).message}`);
    }
  };
  const accounts = json(SAVED.accounts) as { passwd?: unknown; group?: unknown } | undefined;
  if (accounts && typeof accounts.passwd === 'string' && typeof accounts.group === 'string') out.accounts = { passwd: accounts.passwd, group: accounts.group };
  const roles = json(SAVED.roles) as Record<string, unknown> | undefined;
  if (roles && typeof roles === 'object') {
    out.eventHosts = new Map();
    for (const [host, ids] of Object.entries(roles)) {
      if (Array.isArray(ids)) for (const id of ids) if (typeof id === 'string') out.eventHosts.set(id, host);
    }
  }
  return out;
}

/** A saved run's steps.json: each step's launch tag, name and command (cleanup steps tagged as such). */
function readSteps(file: string): { tag: string; name: string; command: string }[] {
  if (!existsSync(file)) return [];
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(data)) throw new UsageError(`${file}: expected a JSON array of steps`);
  let run = 0;
  let cleanup = 0;
  return data.flatMap((s: { name?: unknown; command?: unknown }) => {
    if (typeof s?.name !== 'string' || typeof s.command !== 'string') return [];
    const isCleanup = s.name.startsWith('cleanup: ');
    return [{ tag: isCleanup ? `cleanup-${++cleanup}` : `${++run}`, name: s.name, command: s.command }];
  });
}

function readContext(file: string): { host: string | null; trustedCidrs: string[] } {
  if (!existsSync(file)) return { host: null, trustedCidrs: [] };
  let data: { host?: unknown; trusted_cidrs?: unknown };
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  const cidrs = data.trusted_cidrs ?? [];
  if (!Array.isArray(cidrs) || !cidrs.every((c) => typeof c === 'string')) throw new UsageError(`${file}: trusted_cidrs must be a list of strings`);
  return { host: typeof data.host === 'string' ? data.host : null, trustedCidrs: cidrs };
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function heading(text: string): string {
  return colorFor(process.stdout) ? styleText('bold', `== ${visible(text)}`, { validateStream: false }) : `== ${visible(text)}`;
}

const CONFIDENCE_STYLE: Record<Alert['confidence'], 'red' | 'yellow' | 'gray'> = { high: 'red', medium: 'yellow', low: 'gray' };

/** Every text from the log (host names, summaries, paths in them) is hostile: made visible by the one sanitizer. */
function renderTable(result: ReplayResult): string {
  const tty = colorFor(process.stdout);
  const lines: string[] = [];
  if (result.alerts.length === 0) lines.push('no alerts');
  else {
    const table = new Table({
      head: ['time', 'analytic', 'technique', 'host', 'confidence', 'summary'],
      wordWrap: true,
      colWidths: [null, null, null, null, null, Math.max(30, terminalWidth() - 90)],
      style: { head: tty ? ['bold'] : [], border: tty ? ['gray'] : [] },
    });
    for (const a of result.alerts) {
      table.push([
        visible(a.time),
        visible(a.analytic),
        visible(a.technique),
        visible(a.host ?? '-'),
        tty ? styleText(CONFIDENCE_STYLE[a.confidence], a.confidence, { validateStream: false }) : a.confidence,
        visible(a.summary),
      ]);
    }
    lines.push(table.toString());
  }
  const s = result.stats;
  lines.push(
    `audit: ${s.audit.lines} lines, ${s.audit.events} events, ${s.audit.malformed} malformed` +
      (s.audit.malformedLines.length ? ` (lines ${s.audit.malformedLines.slice(0, 5).join(', ')})` : '') +
      `, ${s.audit.lostSerials} lost serials`,
  );
  if (s.flows) {
    lines.push(
      `flows: ${s.flows.flows} from ${s.flows.lines} lines, ${s.flows.malformed} malformed` +
        (s.flows.malformedLines.length ? ` (lines ${s.flows.malformedLines.slice(0, 5).map((m) => m.line).join(', ')})` : ''),
    );
  }
  lines.push(`artifacts: ${s.artifacts} saved; content under --root: ${s.content.root ? `${s.content.analysed} read, ${s.content.unread} refused or cut, ${s.content.missing} missing` : 'not used'}`);
  for (const [id, counters] of Object.entries(s.engine.detectors)) {
    const nonZero = Object.entries(counters).filter(([, v]) => v !== 0).map(([k, v]) => `${k}=${v}`);
    lines.push(`${id}: ${nonZero.join(' ') || 'nothing relevant seen'}`);
    for (const miss of s.engine.nearMisses[id] ?? []) lines.push(visible(`  near miss: ${describeNearMiss(miss, true)}`));
  }
  for (const e of s.engine.errors) lines.push(`${e.analytic}: ${e.count} detector errors, first: ${visible(e.first.split('\n')[0] ?? '')}`);
  for (const a of result.ruleAlerts) lines.push(visible(`${a.source === 'sigma' ? `sigma rule "${a.title}"` : `detector ${a.detector}`}: ${a.time} ${a.summary}${a.rule ? ` [${[a.rule.level, a.rule.author].filter(Boolean).join(', ')}; ${a.rule.path}]` : ''}`));
  for (const d of result.detectors) if (d.error) lines.push(visible(`detector ${d.name}: error: ${d.error}`));
  return lines.join('\n');
}
