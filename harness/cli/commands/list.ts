import { parseArgs, styleText } from 'node:util';
import Table from 'cli-table3';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../command.js';
import { loadCatalog } from '../../attack/catalog.js';
import { DEFAULT_SCENARIOS_DIR, formatScenarioError, loadScenarios } from '../../scenario/loader.js';
import type { Scenario } from '../../scenario/types.js';

const usage = `usage: purple list [--json] [--scenarios DIR]

Lists every scenario: id, kind (emulation, or benign with the emulation it is the twin of),
ATT&CK analytic and technique, and the platforms it runs on. Broken scenario files are
reported with file:line and make the exit code 2.

options:
  --json           print the list as JSON ({scenarios, errors})
  --scenarios DIR  scenario folder (default: the project's scenarios/)`;

export interface ScenarioListing {
  id: string;
  name: string;
  kind: Scenario['kind'];
  twinOf: string | null;
  analytic: { id: string; name: string; detectionStrategy: string };
  technique: { id: string; name: string };
  platforms: string[];
  inputs: { name: string; type: string; default: string | number | boolean; description: string }[];
}

export function listing(s: Scenario): ScenarioListing {
  const analytic = loadCatalog().get(s.analytic);
  const technique = analytic?.techniques.find((t) => t.id === s.technique);
  return {
    id: s.id,
    name: s.name,
    kind: s.kind,
    twinOf: s.twinOf,
    analytic: { id: s.analytic, name: analytic?.name ?? '', detectionStrategy: analytic?.detectionStrategy.id ?? '' },
    technique: { id: s.technique, name: technique?.name ?? '' },
    platforms: s.platforms,
    inputs: s.inputs.map((i) => ({ name: i.name, type: i.type, default: i.default, description: i.description })),
  };
}

export const listCommand: Command = {
  name: 'list',
  summary: 'list the scenarios with their ATT&CK analytic and technique',
  usage,
  async run(args) {
    let values;
    try {
      ({ values } = parseArgs({
        args,
        options: { json: { type: 'boolean', default: false }, scenarios: { type: 'string' } },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const dir = values.scenarios ?? DEFAULT_SCENARIOS_DIR;
    const { scenarios, errors } = loadScenarios(dir);
    const rows = scenarios.map(listing);

    if (values.json) {
      console.log(JSON.stringify({ scenarios: rows, errors }, null, 2));
    } else if (rows.length) {
      console.log(renderTable(rows));
      const benign = rows.filter((r) => r.kind === 'benign').length;
      console.log(`${rows.length} scenario${rows.length === 1 ? '' : 's'}: ${rows.length - benign} emulation, ${benign} benign`);
    } else {
      console.log(`No scenarios${errors.length ? ' could be loaded' : ''} in ${dir}. A scenario is a folder <id>/ holding scenario.yaml and its payload scripts.`);
    }
    if (errors.length) {
      console.error(`\n${errors.length} problem${errors.length === 1 ? '' : 's'} in scenario files:`);
      for (const e of errors) console.error(`  ${formatScenarioError(e)}`);
      return EXIT.usage;
    }
    return EXIT.ok;
  },
};

function renderTable(rows: ScenarioListing[]): string {
  const tty = process.stdout.isTTY === true;
  const paint = (style: Parameters<typeof styleText>[0], text: string) => (tty ? styleText(style, text) : text);
  const table = new Table({
    head: ['ID', 'KIND', 'ANALYTIC', 'TECHNIQUE', 'PLATFORMS'].map((h) => paint('bold', h)),
    style: { head: [], border: [], compact: true },
  });
  for (const r of rows) {
    const kind = r.kind === 'benign' ? `benign (twin of ${r.twinOf})` : paint('red', 'emulation');
    table.push([r.id, kind, `${r.analytic.id} (${r.analytic.detectionStrategy})`, `${r.technique.id} ${r.technique.name}`, r.platforms.join(', ')]);
  }
  return table.toString();
}
