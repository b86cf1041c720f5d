import { parseArgs, styleText } from 'node:util';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../command.js';
import { loadCatalog } from '../../attack/catalog.js';
import { DEFAULT_SCENARIOS_DIR, formatScenarioError, loadScenarios } from '../../scenario/loader.js';
import type { Scenario } from '../../scenario/types.js';
import { colorFor, terminalWidth, wrap } from '../../../reports/tty.js';
import { visible } from '../../../reports/sanitize.js';
import { didYouMean } from '../suggest.js';

const usage = `usage: purple list [--analytic ID] [--technique ID] [--tactic NAME] [--kind emulation|benign] [--json] [--scenarios DIR]

Lists every scenario: id, kind (emulation, or benign with the emulation it is the twin of),
ATT&CK analytic and technique, and the platforms it runs on, fitted to the terminal width
($COLUMNS). Broken scenario files are reported with file:line and make the exit code 2.
purple show ID shows one scenario in full.

options:
  --analytic ID    only this analytic's scenarios (AN1214)
  --technique ID   only this technique's (T1560.003; T1560 includes its sub-techniques)
  --tactic NAME    only techniques of this ATT&CK tactic (collection, command-and-control, ...)
  --kind KIND      emulation or benign
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
        options: {
          json: { type: 'boolean', default: false },
          scenarios: { type: 'string' },
          analytic: { type: 'string' },
          technique: { type: 'string' },
          tactic: { type: 'string' },
          kind: { type: 'string' },
        },
      }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const dir = values.scenarios ?? DEFAULT_SCENARIOS_DIR;
    const { scenarios, errors } = loadScenarios(dir);
    const rows = filterListing(scenarios.map(listing), values);

    if (values.json) {
      console.log(JSON.stringify({ scenarios: rows, errors }, null, 2));
    } else if (rows.length) {
      console.log(renderTable(rows, terminalWidth(), colorFor(process.stdout)));
      const benign = rows.filter((r) => r.kind === 'benign').length;
      console.log(`${rows.length} scenario${rows.length === 1 ? '' : 's'}: ${rows.length - benign} emulation, ${benign} benign`);
    } else {
      const filtered = values.analytic || values.technique || values.tactic || values.kind;
      if (filtered && scenarios.length) console.log('No scenario matches these filters (purple list shows them all).');
      else console.log(`No scenarios${errors.length ? ' could be loaded' : ''} in ${dir}. A scenario is a folder <id>/ holding scenario.yaml and its payload scripts.`);
    }
    if (errors.length) {
      console.error(`\n${errors.length} problem${errors.length === 1 ? '' : 's'} in scenario files:`);
      for (const e of errors) console.error(`  ${formatScenarioError(e)}`);
      return EXIT.usage;
    }
    return EXIT.ok;
  },
};

/** The listing narrowed by --analytic, --technique, --tactic and --kind; an unknown value is a usage error with a suggestion. */
export function filterListing(rows: ScenarioListing[], f: { analytic?: string; technique?: string; tactic?: string; kind?: string }): ScenarioListing[] {
  const catalog = loadCatalog();
  const known = {
    analytic: [...catalog.keys()],
    technique: [...new Set([...catalog.values()].flatMap((a) => a.techniques.flatMap((t) => [t.id, t.id.split('.')[0]!])))],
    tactic: [...new Set([...catalog.values()].flatMap((a) => a.techniques.flatMap((t) => t.tactics)))],
    kind: ['emulation', 'benign'],
  };
  const check = (flag: keyof typeof known, value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const match = known[flag].find((k) => k.toLowerCase() === value.toLowerCase());
    if (!match) throw new UsageError(`--${flag} ${value}: unknown${didYouMean(value, known[flag])}; known: ${known[flag].join(', ')}`);
    return match;
  };
  const analytic = check('analytic', f.analytic);
  const technique = check('technique', f.technique);
  const tactic = check('tactic', f.tactic);
  const kind = check('kind', f.kind);
  const tacticsOf = (r: ScenarioListing) => catalog.get(r.analytic.id)?.techniques.find((t) => t.id === r.technique.id)?.tactics ?? [];
  return rows.filter(
    (r) =>
      (!analytic || r.analytic.id === analytic) &&
      (!technique || r.technique.id === technique || r.technique.id.startsWith(`${technique}.`)) &&
      (!tactic || tacticsOf(r).includes(tactic)) &&
      (!kind || r.kind === kind),
  );
}

/**
 * Columns ID, KIND, ANALYTIC, TECHNIQUE, PLATFORMS, fitted to `width`: the widest layout that fits is used
 * (twin names, then technique names, then detection strategies are dropped), and ids are cut last.
 */
function renderTable(rows: ScenarioListing[], width: number, color: boolean): string {
  const paint = (style: Parameters<typeof styleText>[0], text: string) => (color ? styleText(style, text, { validateStream: false }) : text);
  const layouts = [
    { twin: true, techniqueName: true, strategy: true },
    { twin: true, techniqueName: true, strategy: false },
    { twin: false, techniqueName: true, strategy: false },
    { twin: false, techniqueName: false, strategy: false },
  ];
  const cellsFor = (r: ScenarioListing, l: (typeof layouts)[number]) => [
    visible(r.id),
    r.kind === 'benign' ? (l.twin ? `benign (twin of ${visible(r.twinOf ?? '?')})` : 'benign') : 'emulation',
    l.strategy ? `${r.analytic.id} (${r.analytic.detectionStrategy})` : r.analytic.id,
    l.techniqueName ? `${r.technique.id} ${r.technique.name}` : r.technique.id,
    r.platforms.join(', '),
  ];
  const head = ['ID', 'KIND', 'ANALYTIC', 'TECHNIQUE', 'PLATFORMS'];
  const measure = (table: string[][]) => head.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const lineWidth = (widths: number[]) => 1 + widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  let chosen = layouts[layouts.length - 1]!;
  for (const l of layouts) {
    if (lineWidth(measure([head, ...rows.map((r) => cellsFor(r, l))])) <= width) {
      chosen = l;
      break;
    }
  }
  const table = [head, ...rows.map((r) => cellsFor(r, chosen))];
  const widths = measure(table);
  if (lineWidth(widths) > width) {
    // Too narrow for columns: each scenario on two lines, its id whole, its details below.
    return rows
      .flatMap((r) => {
        const [id, ...rest] = cellsFor(r, chosen);
        return [` ${id!.length < width ? id : `${id!.slice(0, width - 2)}…`}`, ...wrap(rest.join('  '), width - 4, '').map((l) => `    ${l}`)];
      })
      .join('\n');
  }
  const fit = (text: string, w: number) => (text.length <= w ? text.padEnd(w) : `${text.slice(0, w - 1)}…`);
  return table
    .map((row, i) => {
      const line = ' ' + row.map((cell, c) => fit(cell, widths[c]!)).join('  ');
      if (i === 0) return paint('bold', line.trimEnd());
      return line.trimEnd().replace(/ emulation /, (m) => paint('red', m));
    })
    .join('\n');
}
