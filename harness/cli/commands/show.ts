// `purple show ID`: one scenario in full: what it emulates, its inputs with defaults, its steps, what each
// analytic is expected to do, and the telemetry the run must see.
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { EXIT, UsageError } from '../command.js';
import { loadCatalog } from '../../attack/catalog.js';
import { DEFAULT_SCENARIOS_DIR, loadScenarios } from '../../scenario/loader.js';
import type { Scenario, Step, TelemetryCheckSpec } from '../../scenario/types.js';
import { formatSize } from '../../../detectors/lib/units.js';
import { visible } from '../../../reports/sanitize.js';
import { terminalWidth, wrap } from '../../../reports/tty.js';
import { didYouMean } from '../suggest.js';

const usage = `usage: purple show SCENARIO_ID [--json] [--scenarios DIR]

Shows one scenario: description, ATT&CK analytic and technique, inputs with their defaults (change
them with purple run --set), steps, expectations per analytic and the telemetry checks.

options:
  --json           print the scenario as JSON
  --scenarios DIR  scenario folder (default: the project's scenarios/)`;

export const showCommand: Command = {
  name: 'show',
  summary: 'show one scenario: inputs, steps, expectations, telemetry checks',
  usage,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false }, scenarios: { type: 'string' } } });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) throw new UsageError('which scenario? give one id (purple list shows them)');
    const id = positionals[0]!;
    const { scenarios } = loadScenarios(values.scenarios ?? DEFAULT_SCENARIOS_DIR);
    const scenario = scenarios.find((s) => s.id === id);
    if (!scenario) throw new UsageError(`no scenario "${id}"${didYouMean(id, scenarios.map((s) => s.id))} (purple list shows them)`);
    if (values.json) {
      const { dir: _dir, file: _file, ...rest } = scenario;
      console.log(JSON.stringify(rest, null, 2));
    } else {
      console.log(renderScenario(scenario, terminalWidth()));
    }
    return EXIT.ok;
  },
};

export function renderScenario(s: Scenario, width: number): string {
  const out: string[] = [];
  const para = (text: string, indent = '') => out.push(...wrap(visible(text), width - indent.length, '  ').map((l) => indent + l));
  const ref = loadCatalog().get(s.analytic);
  const technique = ref?.techniques.find((t) => t.id === s.technique);
  para(`${s.id}: ${s.name}`);
  para(`${s.kind === 'benign' ? `benign twin of ${s.twinOf}` : 'emulation'}; ${s.analytic} ${ref?.name ?? ''} (${ref?.detectionStrategy.id ?? '?'}), ${s.technique} ${technique?.name ?? ''}; platforms: ${s.platforms.join(', ')}; timeout ${Math.round(s.timeoutMs / 1000)} s`);
  out.push('');
  para(s.description.trim().replace(/\s+/g, ' '));
  out.push('', 'Inputs (purple run --set NAME=VALUE)');
  if (!s.inputs.length) out.push('  none');
  for (const i of s.inputs) {
    const value = i.type === 'size' && typeof i.default === 'number' ? formatSize(i.default) : String(i.default);
    const range = i.values ? `one of ${i.values.join(', ')}` : i.min !== undefined || i.max !== undefined ? `${i.min ?? ''}..${i.max ?? ''}` : '';
    para(`${i.name} = ${value} (${i.type}${range ? `, ${range}` : ''}): ${i.description}`, '  ');
  }
  out.push('', `Containers: ${s.containers.join(', ')}`, '', 'Steps');
  s.steps.forEach((step, n) => para(`${n + 1}. ${stepLine(step)}`, '  '));
  if (s.cleanup.length) {
    out.push('', 'Cleanup');
    s.cleanup.forEach((step, n) => para(`${n + 1}. ${stepLine(step)}`, '  '));
  }
  out.push('', 'Expectations');
  for (const [analytic, e] of Object.entries(s.expect)) para(`${analytic}: ${e === 'alert' ? 'alert expected' : 'no alert expected'}`, '  ');
  out.push('  every other analytic: no alert expected', '', 'Telemetry checks');
  if (!s.telemetry.length) out.push('  none');
  for (const c of s.telemetry) para(`- ${checkLine(c)}`, '  ');
  return out.join('\n');
}

function stepLine(step: Step): string {
  const command = 'script' in step.command ? [step.command.script, ...step.command.args].join(' ') : step.command.run;
  return `${step.name}: ${command} (as ${step.user} in ${step.container}, ${step.launch}, timeout ${Math.round(step.timeoutMs / 1000)} s)`;
}

function checkLine(c: TelemetryCheckSpec): string {
  switch (c.kind) {
    case 'execve':
      return `execve of ${c.exe}${c.user ? ` as ${c.user}` : ''}${c.tty ? `, tty ${c.tty}` : ''}${c.ancestor ? `, under ${c.ancestor}` : ''}`;
    case 'connect':
      return `connect to ${c.to}${c.port ? `:${c.port}` : ''}${c.user ? ` as ${c.user}` : ''}`;
    case 'flow':
      return `flow to ${c.to} of at least ${c.minBytes}${c.maxBytes ? ` and at most ${c.maxBytes}` : ''}`;
    case 'file': {
      const k = c.constraints;
      const parts = [
        k.minEntropy !== undefined ? `entropy >= ${k.minEntropy}` : '',
        k.maxEntropy !== undefined ? `entropy <= ${k.maxEntropy}` : '',
        k.format ? `format ${k.format}` : '',
        k.minSize ? `size >= ${k.minSize}` : '',
        k.maxSize ? `size <= ${k.maxSize}` : '',
      ].filter(Boolean);
      return `file created in ${c.createdIn}${c.user ? ` by ${c.user}` : ''}${parts.length ? ` (${parts.join(', ')})` : ''}`;
    }
    case 'open':
      return `open of ${c.path}${c.user ? ` by ${c.user}` : ''}`;
  }
}
