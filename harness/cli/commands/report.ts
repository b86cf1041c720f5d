// `purple report`: re-render any output format from a saved report.json.
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  FILE_FORMATS,
  isFileFormat,
  loadReport,
  renderTerminal,
  withBaseline,
  writeRunOutputs,
  exitCodeFor,
} from '../../../reports/index.js';
import { colorFor, terminalWidth } from '../../../reports/tty.js';
import { judgementFlags } from '../run-judgement.js';
import type { RunReport } from '../../run/results.js';
import { UsageError, type Command } from '../command.js';

const FORMATS = ['terminal', ...Object.keys(FILE_FORMATS), 'all'];

const usage = `usage: purple report RUN_DIR_OR_JSON [--format FORMAT] [--out DIR] [--baseline RUN_DIR_OR_JSON]

Re-renders a saved run (a run folder or its report.json).

  --format FORMAT   ${FORMATS.join(' | ')} (default terminal)
                    one format goes to stdout, or into DIR with --out;
                    all writes every file format into DIR (default: the report's own folder)
  --out DIR         folder to write into
  --baseline PATH   compare with an earlier run first (regressions are added to the output)
  --wide            terminal: the full table, a row per scenario and analytic
  --fail-on WHAT    judge again: expectation or regression (needs --baseline)
  --waivers FILE    judge again with these waivers (replacing the run's)

Exit code: 0 when every expectation was met and nothing regressed, 1 otherwise
(incomplete telemetry, errors and flaky repeats count as failures), 2 on bad arguments or an unreadable report.`;

export const reportCommand: Command = {
  name: 'report',
  summary: 'Re-render a saved run as terminal, json, junit, html, md, layer or attire',
  usage,
  async run(args: string[]): Promise<number> {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          format: { type: 'string', short: 'f', default: 'terminal' },
          out: { type: 'string', short: 'o' },
          baseline: { type: 'string' },
          wide: { type: 'boolean', default: false },
          'fail-on': { type: 'string' },
          waivers: { type: 'string' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError(positionals.length ? `expected one run, got ${positionals.length}: ${positionals.join(' ')}` : 'which run? give a run folder or its report.json');
    const format = values.format!;
    if (!FORMATS.includes(format)) throw new UsageError(`unknown format "${format}"; use one of ${FORMATS.join(', ')}`);

    const source = positionals[0]!;
    // loadReport's errors are UsageErrors (exit 2) naming the file, line or JSON pointer.
    let report: RunReport = loadReport(source);
    if (values.baseline) report = withBaseline(report, loadReport(values.baseline), values.baseline);
    if (values['fail-on'] || values.waivers) {
      const flags = judgementFlags({ 'fail-on': values['fail-on'] ?? report.judgement?.failOn, waivers: values.waivers }, Boolean(report.baseline));
      report = { ...report, judgement: { failOn: flags.failOn, waivers: values.waivers ? flags.waivers : (report.judgement?.waivers ?? []) } };
    }

    if (format === 'all') {
      const dir = values.out ?? (source.endsWith('.json') ? path.dirname(source) : source);
      for (const file of writeRunOutputs(report, dir)) console.log(file);
    } else if (format === 'terminal') {
      const text = renderTerminal(report, { color: colorFor(process.stdout), width: terminalWidth(), wide: values.wide! });
      if (values.out) writeInto(values.out, 'report.txt', renderTerminal(report, { color: false, width: terminalWidth(), wide: values.wide! }));
      else process.stdout.write(text);
    } else if (isFileFormat(format)) {
      const { file, render } = FILE_FORMATS[format];
      if (values.out) writeInto(values.out, file, render(report));
      else process.stdout.write(render(report));
    }
    return exitCodeFor(report);
  },
};

function writeInto(dir: string, file: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  const target = path.join(dir, file);
  writeFileSync(target, text);
  console.log(target);
}
