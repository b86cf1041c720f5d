import path from 'node:path';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { EXIT, EnvironmentError, UsageError } from '../command.js';
import { DEFAULT_SCENARIOS_DIR, formatScenarioError, loadScenarios } from '../../scenario/loader.js';
import { checkOverrides, parseSetArgs, resolveInputs } from '../../scenario/inputs.js';
import type { Platform, Scenario } from '../../scenario/types.js';
import { loadConfig } from '../../config.js';
import { loadDetectors } from '../../../detectors/registry.js';
import { createEngine } from '../../../detectors/engine.js';
import { docker } from '../../host/docker.js';
import { DockerEnvironment } from '../../targets/docker-environment.js';
import { localTransport } from '../../targets/transport.js';
import { parseSshTarget, PASSWORD_ENV, type SshOptions, type SshTargetSpec } from '../../targets/ssh/session.js';
import { connectEngine } from '../../targets/ssh/engine-run.js';
import { localEngineHost } from '../../targets/engine-host.js';
import { connectHost, parseUserMap } from '../../targets/ssh/host-run.js';
import type { PlannedScenario, RunTarget } from '../../run/suite.js';
import { ensureImages, imageRef } from '../../host/images.js';
import { runDoctorChecks } from '../../host/doctor.js';
import { abortOnSignals } from '../../run/interrupt.js';
import { newRunId, runSuite } from '../../run/suite.js';
import { writeRunOutputs } from '../../../reports/outputs.js';
import { renderTerminal, renderQuiet } from '../../../reports/terminal.js';
import { renderJson } from '../../../reports/json.js';
import { loadReport } from '../../../reports/schema.js';
import { exitCodeFor, withBaseline } from '../../run/judge/index.js';
import { judgementFlags, judged, progressLine, ruleDefaults, writeGithubSummary, JUDGEMENT_OPTIONS, JUDGEMENT_USAGE } from '../run-judgement.js';
import { colorFor, terminalWidth } from '../../../reports/tty.js';
import { didYouMean } from '../suggest.js';

const usage = `usage: purple run [SCENARIO_ID...] [options]

Runs scenarios (all by default; ids may end in * to select by prefix) in fresh containers, or on
Linux hosts over SSH with --target; collects audit, flow and file telemetry, runs the detectors
and writes every report.

options:
  --set KEY=VALUE         override a scenario input (KEY or SCENARIO_ID.KEY); repeatable
  --parallel N            scenarios at once (default 4)
  --repeat N              run each scenario N times and report how often it was detected
  --out DIR               output folder (default reports/runs/<run id>)
  --config FILE           trusted_cidrs, standard_users and per-analytic thresholds (YAML or JSON)
  --scenarios DIR         scenario folder (default: the project's scenarios/)
  --baseline FILE         compare with a previous report.json: regressions fail the run
  --update-baseline FILE  write this run's report.json to FILE as the new baseline
  --quiet                 print one summary line
  --json                  print report.json on stdout
${JUDGEMENT_USAGE}

targets (default: this machine's Docker engine); repeatable, scenarios fan out, one report:
  --target ssh://USER@HOST[:PORT]         run on that Linux host itself over SSH
                                          (only scenarios with platforms: [..., host])
  --target docker+ssh://USER@HOST[:PORT]  run the container scenarios on that host's Docker
                                          engine (images copied from here, telemetry over SSH)
  --target local          this machine's Docker engine, next to other targets
  --targets FILE          one target per line (# comments)
  --identity FILE         private key (default ~/.ssh/id_ed25519, id_ecdsa or id_rsa);
                          a password is only read from $PURPLE_SSH_PASSWORD
  --known-hosts FILE      host keys to trust (default ~/.ssh/known_hosts); unknown keys are refused
  --user-map NAME=USER    run the scenario user NAME as USER on the host; repeatable

exit codes: 0 every expectation met and no regression, 1 an expectation failed or a regression,
            2 usage or configuration error, 3 the environment is not ready (see purple doctor)`;

export const runCommand: Command = {
  name: 'run',
  summary: 'run scenarios in containers and score the detectors',
  usage,
  async run(args) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        allowPositionals: true,
        options: {
          set: { type: 'string', multiple: true, default: [] },
          parallel: { type: 'string', default: '4' },
          repeat: { type: 'string', default: '1' },
          out: { type: 'string' },
          config: { type: 'string' },
          scenarios: { type: 'string' },
          baseline: { type: 'string' },
          'update-baseline': { type: 'string' },
          quiet: { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
          target: { type: 'string', multiple: true, default: [] },
          targets: { type: 'string' },
          identity: { type: 'string' },
          'known-hosts': { type: 'string' },
          'user-map': { type: 'string', multiple: true, default: [] },
          ...JUDGEMENT_OPTIONS,
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    const parallel = positiveInt('--parallel', values.parallel!);
    const repeat = positiveInt('--repeat', values.repeat!);

    const { scenarios: all, errors } = loadScenarios(values.scenarios ?? DEFAULT_SCENARIOS_DIR);
    if (errors.length) throw new UsageError(`invalid scenarios:\n${errors.map((e) => `  ${formatScenarioError(e)}`).join('\n')}`);
    const choices = targetChoices(values.target!, values.targets);
    const remote = choices.filter((c): c is SshTargetSpec => c !== LOCAL);
    const hosts = remote.filter((c) => c.scheme === 'ssh');
    const onContainers = choices.some((c) => c === LOCAL || c.scheme === 'docker+ssh');
    let userMap: Record<string, string>;
    try {
      userMap = parseUserMap(values['user-map']!);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (!remote.length && (values.identity || values['known-hosts'])) throw new UsageError('--identity and --known-hosts only apply with an ssh:// or docker+ssh:// target');
    if (!hosts.length && values['user-map']!.length) throw new UsageError('--user-map only applies with an ssh:// host target');
    const selected = onContainers ? select(all, positionals) : selectForHosts(all, positionals);
    const overrides = parseSetArgs(values.set!);
    const overrideErrors = checkOverrides(overrides, selected);
    if (overrideErrors.length) throw new UsageError(overrideErrors.join('\n'));
    const planned = selected.map((scenario) => ({ scenario, inputs: resolveInputs(scenario, overrides) }));
    const plannedOn = (platform: Platform) => planned.filter((p) => p.scenario.platforms.includes(platform));
    if (!onContainers || !hosts.length) {
      const platform: Platform = onContainers ? 'container' : 'host';
      const off = selected.filter((s) => !s.platforms.includes(platform)).map((s) => s.id);
      if (off.length && positionals.length) throw new UsageError(`${off.join(', ')} cannot run on ${platform === 'host' ? 'a host' : 'containers'} (platforms: see purple list)`);
    }

    const config = values.config ? loadConfig(values.config) : { shared: { trustedCidrs: [], standardUsers: [] }, overrides: {} };
    const detectors = await loadDetectors();
    const thresholds = createEngine({ shared: config.shared, overrides: config.overrides }).thresholds();
    const baseline = values.baseline ? loadReport(values.baseline) : null;
    const judgement = judgementFlags(values, Boolean(values.baseline));

    const progress = progressPrinter(values.quiet! || values.json!);
    const runId = newRunId();
    const runDir = path.resolve(values.out ?? path.join('reports', 'runs', runId));
    const total = choices.reduce((n, c) => n + plannedOn(c !== LOCAL && c.scheme === 'ssh' ? 'host' : 'container').length, 0) * repeat;
    if (!values.quiet && !values.json) process.stderr.write(`purple run ${runId}: ${total} scenario run(s), output in ${shownPath(runDir)}/\n`);
    let done = 0;
    let engine: ReturnType<typeof docker> | null = null;
    let hostWarnings: string[] = [];
    if (choices.includes(LOCAL)) {
      const checks = await runDoctorChecks();
      const failing = checks.filter((c) => !c.ok && c.severity === 'fail' && c.name !== 'images');
      if (failing.length) {
        throw new EnvironmentError(
          `the host is not ready:\n${failing.map((c) => `  ${c.name}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`).join('\n')}`,
        );
      }
      hostWarnings = checks.filter((c) => !c.ok && c.severity === 'warn').map((c) => `${c.name}: ${c.detail}${c.fix ? ` (fix: ${c.fix})` : ''}`);
      for (const warning of hostWarnings) process.stderr.write(`purple: warning: ${warning}\n`);
      await ensureImages({ onProgress: (line: string) => progress('images', line) });
      engine = docker();
    }
    const local = engine;
    const targets = await connectTargets(
      choices,
      { identity: values.identity, knownHosts: values['known-hosts'] },
      (choice) => plannedOn(choice !== LOCAL && choice.scheme === 'ssh' ? 'host' : 'container'),
      userMap,
      progress,
      (planned) => ({
        uri: localEngineHost.uri,
        transport: localTransport,
        createTarget: (id, slug) => new DockerEnvironment(local!, id, slug, imageRef),
        scenarios: planned,
      }),
    );

    const interrupt = abortOnSignals((signal) => process.stderr.write(`\npurple: ${signal}: stopping, cleaning up...\n`));
    let report;
    try {
      report = await runSuite({
        docker: engine,
        targets,
        runId,
        runDir,
        parallel,
        repeat,
        shared: config.shared,
        overrides: config.overrides,
        thresholds,
        analytics: new Map(detectors.map((d) => [d.analytic.id, d.analytic.techniques[0]?.id ?? ''])),
        signal: interrupt.signal,
        command: ['purple', 'run', ...args].join(' '),
        hostWarnings,
        progress,
        onScenarioDone: (result) => {
          if (!values.quiet && !values.json) process.stderr.write(progressLine(++done, total, result, colorFor(process.stderr)) + '\n');
        },
      });
    } finally {
      interrupt.dispose();
    }
    if (baseline && values.baseline) report = withBaseline(report, baseline, values.baseline);
    report = judged(report, judgement, ruleDefaults(detectors));
    writeRunOutputs(report, runDir);
    writeGithubSummary(report, values['github-summary']!);
    if (values['update-baseline']) {
      mkdirSync(path.dirname(path.resolve(values['update-baseline'])), { recursive: true });
      copyFileSync(path.join(runDir, 'report.json'), values['update-baseline']);
    }
    if (values.json) process.stdout.write(renderJson(report));
    else if (values.quiet) process.stdout.write(renderQuiet(report, { color: colorFor(process.stdout) }) + '\n');
    else {
      process.stdout.write(renderTerminal(report, { color: colorFor(process.stdout), width: terminalWidth(), wide: values.wide! }));
      process.stdout.write(`\nreports: ${path.relative(process.cwd(), runDir) || '.'}/ (report.html, report.md, report.json, junit.xml, attack-layer.json, attire.json)\n`);
    }
    if (report.warnings.some((w) => w.startsWith('run interrupted'))) return EXIT.failed;
    return exitCodeFor(report);
  },
};

/** A folder as people read it: relative to the working directory when inside it, absolute otherwise. */
function shownPath(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return relative === '' ? '.' : relative.startsWith('..') ? dir : relative;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer (got "${value}")`);
  return n;
}

function select(all: Scenario[], wanted: string[]): Scenario[] {
  if (wanted.length === 0) return all;
  const chosen: Scenario[] = [];
  for (const w of wanted) {
    const matches = w.endsWith('*') ? all.filter((s) => s.id.startsWith(w.slice(0, -1))) : all.filter((s) => s.id === w);
    if (matches.length === 0) throw new UsageError(`no scenario matches "${w}"${didYouMean(w, all.map((s) => s.id))} (see purple list)`);
    for (const m of matches) if (!chosen.includes(m)) chosen.push(m);
  }
  return chosen;
}

/** `local`: this machine's engine (the default when no target is named at all). */
const LOCAL = 'local';
type TargetChoice = typeof LOCAL | SshTargetSpec;

function targetChoices(flags: string[], file: string | undefined): TargetChoice[] {
  const lines: { text: string; where: string }[] = flags.map((text) => ({ text, where: '--target' }));
  if (file) {
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--targets ${file}: ${(err as Error).message}`);
    }
    content.split('\n').forEach((line, i) => {
      const text = line.replace(/#.*/, '').trim();
      if (text) lines.push({ text, where: `${file}:${i + 1}` });
    });
  }
  if (!lines.length) return [LOCAL];
  const choices: TargetChoice[] = [];
  for (const { text, where } of lines) {
    if (text === LOCAL) {
      if (!choices.includes(LOCAL)) choices.push(LOCAL);
      continue;
    }
    try {
      const spec = parseSshTarget(text);
      if (!choices.some((c) => c !== LOCAL && c.uri === spec.uri)) choices.push(spec);
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message.replace(/^--target /, '').replace(/expected /, 'expected local, ')}`);
    }
  }
  return choices;
}

/** Host-capable scenarios only: naming a container-only one with a host target is a usage error. */
function selectForHosts(all: Scenario[], wanted: string[]): Scenario[] {
  const capable = all.filter((s) => s.platforms.includes('host'));
  if (wanted.length === 0) return capable;
  const chosen: Scenario[] = [];
  for (const w of wanted) {
    const matches = w.endsWith('*') ? all.filter((s) => s.id.startsWith(w.slice(0, -1))) : all.filter((s) => s.id === w);
    if (matches.length === 0) throw new UsageError(`no scenario matches "${w}" (see purple list)`);
    const onHosts = matches.filter((m) => capable.includes(m));
    if (!w.endsWith('*') && onHosts.length === 0) {
      throw new UsageError(`scenario ${w} only runs in containers (platforms: [${matches[0]!.platforms.join(', ')}]): drop it or drop --target`);
    }
    if (onHosts.length === 0) throw new UsageError(`no scenario matching "${w}" runs on a host (platforms: [..., host])`);
    for (const m of onHosts) if (!chosen.includes(m)) chosen.push(m);
  }
  return chosen;
}

/** Every target connected and checked, in the order named; if any fails, the others are closed again. */
async function connectTargets(
  choices: TargetChoice[],
  options: { identity: string | undefined; knownHosts: string | undefined },
  scenariosFor: (choice: TargetChoice) => PlannedScenario[],
  userMap: Record<string, string>,
  progress: (scenario: string, message: string) => void,
  localTarget: (planned: PlannedScenario[]) => RunTarget,
): Promise<RunTarget[]> {
  const ssh: SshOptions = { identity: options.identity, knownHosts: options.knownHosts, password: process.env[PASSWORD_ENV] || undefined };
  const settled = await Promise.allSettled(
    choices.map(async (choice) => {
      const planned = scenariosFor(choice);
      if (choice === LOCAL) return localTarget(planned);
      if (choice.scheme === 'docker+ssh') {
        progress(choice.uri, 'connecting, checking root, the Docker engine and the images');
        return connectEngine(choice, ssh, planned, (line) => progress(choice.uri, line));
      }
      progress(choice.uri, 'connecting, checking users, sudo and commands');
      return connectHost(choice, ssh, planned, userMap);
    }),
  );
  const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length) {
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.close?.() : undefined)));
    if (failures.length === 1) throw failures[0]!;
    throw new EnvironmentError(failures.map((f) => f.message).join('\n'));
  }
  return settled.map((r) => (r as PromiseFulfilledResult<RunTarget>).value);
}

function progressPrinter(silent: boolean): (scenario: string, message: string) => void {
  const start = Date.now();
  return (scenario, message) => {
    if (silent) return;
    const elapsed = ((Date.now() - start) / 1000).toFixed(1).padStart(5);
    process.stderr.write(`[${elapsed}s] ${scenario}: ${message}\n`);
  };
}
