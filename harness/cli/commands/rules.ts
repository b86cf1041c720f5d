// `purple rules lint PATH...`: every Sigma rule loaded and checked, one line each: ok, unsupported (why) or invalid
// (file, line, what is wrong).
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { EXIT, UsageError, type Command } from '../command.js';
import { loadRules, RulePathError } from '../../../detectors/sigma/loader.js';
import { sanitize } from '../../../detectors/sigma/text.js';

const USAGE = `usage: purple rules lint PATH... [--format table|json]

Loads every Sigma rule (a file, or a folder searched recursively for .yml/.yaml) as purple run --rules would, and
says per rule: ok; unsupported, with the reason (a logsource purple has no telemetry for, a field it cannot fill, a
construct it does not evaluate); or invalid, with the file, the line and what is wrong.

Exit codes: 0 no rule is invalid, 2 a rule is invalid or a path is wrong.`;

export const rulesCommand: Command = {
  name: 'rules',
  summary: 'check Sigma rules: which purple evaluates, which it cannot, which are invalid',
  usage: USAGE,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'lint') throw new UsageError(`purple rules: expected "lint", not ${sub === undefined ? 'nothing' : `"${sub}"`}\n${USAGE}`);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { format: { type: 'string' } } });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const format = parsed.values.format ?? (process.stdout.isTTY ? 'table' : 'json');
    if (format !== 'table' && format !== 'json') throw new UsageError(`--format must be table or json, not "${format}"`);
    if (parsed.positionals.length === 0) throw new UsageError(`give at least one rule file or folder\n${USAGE}`);
    let loaded;
    try {
      loaded = loadRules(parsed.positionals);
    } catch (err) {
      if (err instanceof RulePathError) throw new UsageError(err.message);
      throw err;
    }
    const counts = { ok: 0, unsupported: 0, invalid: 0 };
    for (const e of loaded.lint) counts[e.status]++;
    if (format === 'json') process.stdout.write(JSON.stringify({ rules: loaded.lint, counts }, null, 2) + '\n');
    else {
      const table = new Table({ head: ['status', 'file:line', 'title', 'reason'], colWidths: [13, 70, 36, 60], wordWrap: true, wrapOnWordBoundary: false });
      for (const e of loaded.lint) table.push([e.status, `${e.file}:${e.line}`, sanitize(e.title ?? ''), sanitize(e.reason ?? '')]);
      process.stdout.write(`${table.toString()}\n${counts.ok} ok, ${counts.unsupported} unsupported, ${counts.invalid} invalid\n`);
    }
    return counts.invalid ? EXIT.usage : EXIT.ok;
  },
};
