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
import { createEngine, detectorNeeds } from '../../../detectors/engine.js';
import { auditDemand } from '../../events/needs.js';
import type Dockerode from 'dockerode';
import { parseUserMap } from '../../targets/ssh/host-run.js';
import { LOCAL_SCHEME, loadTargetKinds, parseTarget, type TargetChoice, type TargetOptions } from '../../targets/kinds.js';
import type { PlannedScenario, RunTarget } from '../../run/suite.js';
import { abortOnSignals, SIGNAL_EXIT } from '../../run/interrupt.js';
import { failureLabel, guardRun } from '../../run/guard.js';
import type { RunReport } from '../../run/results.js';
import { checkOutDir, emptyOutDir } from '../out-dir.js';
import { newRunId, runSuite } from '../../run/suite.js';
import { writeRunOutputs } from '../../../reports/outputs.js';
import { renderTerminal, renderQuiet } from '../../../reports/terminal.js';
import { renderJson } from '../../../reports/json.js';
import { loadReport } from '../../../reports/schema.js';
import { exitCodeFor, withBaseline } from '../../run/judge/index.js';
import { judgementFlags, judged, progressLine, ruleDefaults, writeGithubSummary, JUDGEMENT_OPTIONS, JUDGEMENT_USAGE } from '../run-judgement.js';
import { colorFor, terminalWidth } from '../../../reports/tty.js';
import { didYouMean } from '../suggest.js';
import { BYOD_OPTIONS, BYOD_USAGE, loadByod } from '../byod-options.js';
import { applyRuleScoring, ruleRegressions } from '../../run/rule-scoring.js';
import { renderRuleSummary } from '../../../reports/rules-terminal.js';
import { writeRuleOutputs } from '../../../reports/rules-outputs.js';
import { visible } from '../../../reports/sanitize.js';

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
  --update-baseline FILE  write this run's report.json to FILE as the new baseline, only when
                          the run is complete (no error, nothing incomplete, not interrupted)
  --force                 empty a non-empty --out folder first, and write --update-baseline
                          even after an incomplete run
  --quiet                 print one summary line
  --json                  print report.json on stdout
${JUDGEMENT_USAGE}

your own detections, scored beside the built-ins (see README "Bring your own detections"):
${BYOD_USAGE}

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
            2 usage or configuration error, 3 the environment is not ready (see purple doctor),
            4 harness error (a fault in purple itself; the run was stopped, cleaned up and reported),
            130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM, 129 by SIGHUP (after cleanup)`;

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
          force: { type: 'boolean', default: false },
          quiet: { type: 'boolean', default: false },
          json: { type: 'boolean', default: false },
          target: { type: 'string', multiple: true, default: [] },
          targets: { type: 'string' },
          identity: { type: 'string' },
          'known-hosts': { type: 'string' },
          'user-map': { type: 'string', multiple: true, default: [] },
          ...JUDGEMENT_OPTIONS,
          ...BYOD_OPTIONS,
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { values, positionals } = parsed;
    const parallel = positiveInt('--parallel', values.parallel!);
    const repeat = positiveInt('--repeat', values.repeat!);
    if (values.out !== undefined) checkOutDir(values.out, values.force!);

    const { scenarios: all, errors } = loadScenarios(values.scenarios ?? DEFAULT_SCENARIOS_DIR);
    if (errors.length) throw new UsageError(`invalid scenarios:\n${errors.map((e) => `  ${formatScenarioError(e)}`).join('\n')}`);
    await loadTargetKinds();
    const choices = targetChoices(values.target!, values.targets);
    const remote = choices.filter((c) => c.kind.overSsh);
    const hosts = choices.filter((c) => c.kind.platform === 'host');
    const onContainers = choices.some((c) => c.kind.platform === 'container');
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
    const byod = loadByod(values);
    if (byod.skipped.length) process.stderr.write(`purple: ${byod.skipped.length} Sigma rules skipped as unsupported (purple rules lint says why), e.g. ${visible(byod.skipped[0]!)}\n`);

    const progress = progressPrinter(values.quiet! || values.json!);
    const runId = newRunId();
    const runDir = path.resolve(values.out ?? path.join('reports', 'runs', runId));
    const total = choices.reduce((n, c) => n + plannedOn(c.kind.platform).length, 0) * repeat;
    if (!values.quiet && !values.json) process.stderr.write(`purple run ${runId}: ${total} scenario run(s), output in ${shownPath(runDir)}/\n`);
    let done = 0;
    const { targets, docker: engine, warnings: hostWarnings } = await connectTargets(
      choices,
      { identity: values.identity, knownHosts: values['known-hosts'], userMap, audit: auditDemand(detectorNeeds(detectors)) },
      (choice) => plannedOn(choice.kind.platform),
      progress,
    );

    if (values.out !== undefined && values.force) emptyOutDir(values.out);
    const interrupt = abortOnSignals((signal) => process.stderr.write(`\npurple: ${signal}: stopping, cleaning up...\n`));
    const guard = guardRun((failure) => {
      process.stderr.write(`purple: ${failureLabel(failure)}\npurple: stopping the run, cleaning up...\n`);
      interrupt.stop(failureLabel(failure));
    });
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
        harnessFailures: guard.failures,
        progress,
        onScenarioDone: (result) => {
          if (!values.quiet && !values.json) process.stderr.write(progressLine(++done, total, result, colorFor(process.stderr)) + '\n');
        },
        ...(byod.config ? { byod: byod.config } : {}),
        noBuiltin: byod.noBuiltin,
      });
    } finally {
      interrupt.dispose();
    }
    try {
      if (byod.config) {
        applyRuleScoring(report, { paths: byod.paths, builtin: !byod.noBuiltin, sigma: byod.sigma, detectors: byod.detectors.map((d) => d.name), lint: byod.lint });
      }
      if (baseline && values.baseline) report = withBaseline(report, baseline, values.baseline);
      if (baseline && report.baseline && byod.config) report.baseline.regressions.push(...ruleRegressions(report, baseline));
      report = judged(report, judgement, ruleDefaults(detectors));
      writeRunOutputs(report, runDir);
      writeRuleOutputs(report, runDir);
      writeGithubSummary(report, values['github-summary']!);
    } finally {
      guard.dispose();
    }
    if (values['update-baseline']) {
      const planned = targets.reduce((n, t) => n + t.scenarios.length, 0) * repeat;
      updateBaseline(report, runDir, values['update-baseline'], { planned, interrupted: interrupt.signal.aborted, harnessErrors: guard.failures.length, force: values.force! });
    }
    if (values.json) process.stdout.write(renderJson(report));
    else if (values.quiet) process.stdout.write(renderQuiet(report, { color: colorFor(process.stdout) }) + '\n');
    else {
      process.stdout.write(renderTerminal(report, { color: colorFor(process.stdout), width: terminalWidth(), wide: values.wide! }));
      if (report.rules) process.stdout.write(renderRuleSummary(report));
      process.stdout.write(`\nreports: ${shownPath(runDir)}/\n  report.html, report.md, report.json, junit.xml, attack-layer.json, attire.json\n`);
    }
    if (interrupt.received) return SIGNAL_EXIT[interrupt.received] ?? EXIT.failed;
    if (guard.failures.length) return EXIT.harness;
    return exitCodeFor(report);
  },
};

/** Why a run cannot stand as a baseline; empty when it is complete. */
export function incompleteBecause(report: RunReport, facts: { planned: number; interrupted: boolean; harnessErrors: number }): string[] {
  const reasons: string[] = [];
  if (facts.interrupted) reasons.push('the run was interrupted');
  if (facts.harnessErrors) reasons.push(`${facts.harnessErrors} harness error(s)`);
  if (report.scenarios.length < facts.planned) reasons.push(`${facts.planned - report.scenarios.length} of ${facts.planned} scenario runs did not run`);
  const errors = report.scenarios.filter((s) => s.verdicts.some((v) => v.verdict === 'error')).length;
  if (errors) reasons.push(`${errors} scenario run(s) ended in error`);
  const incomplete = report.scenarios.filter((s) => s.verdicts.some((v) => v.verdict === 'incomplete')).length;
  if (incomplete) reasons.push(`${incomplete} scenario run(s) have incomplete telemetry`);
  return reasons;
}

/** Writes the run's report.json as the baseline when the run is complete (or forced), and says so either way. */
function updateBaseline(
  report: RunReport,
  runDir: string,
  file: string,
  facts: { planned: number; interrupted: boolean; harnessErrors: number; force: boolean },
): void {
  const reasons = incompleteBecause(report, facts);
  if (reasons.length && !facts.force) {
    process.stderr.write(`purple: baseline ${file} NOT updated: ${reasons.join('; ')} (add --force to write it anyway)\n`);
    return;
  }
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  copyFileSync(path.join(runDir, 'report.json'), file);
  const counts = new Map<string, number>();
  for (const s of report.scenarios) for (const v of s.verdicts) counts.set(v.verdict, (counts.get(v.verdict) ?? 0) + 1);
  const tally = [...counts].map(([verdict, n]) => `${n} ${verdict}`).join(', ');
  process.stderr.write(
    `purple: baseline ${file} updated from run ${report.run_id}: ${report.scenarios.length} scenario run(s), ${tally || 'no verdict'}` +
      `${reasons.length ? ` (forced although ${reasons.join('; ')})` : ''}\n`,
  );
}

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

/** The --target and --targets values, parsed by their kinds; `local` when none is named. */
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
  if (!lines.length) lines.push({ text: LOCAL_SCHEME, where: 'default' });
  const choices: TargetChoice[] = [];
  for (const { text, where } of lines) {
    const choice = parseTarget(text, where);
    if (!choices.some((c) => c.uri === choice.uri)) choices.push(choice);
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

/** Every target connected and checked by its kind, in the order named; if any fails, the others are closed again. */
async function connectTargets(
  choices: TargetChoice[],
  options: Omit<TargetOptions, 'progress'>,
  scenariosFor: (choice: TargetChoice) => PlannedScenario[],
  progress: (scenario: string, message: string) => void,
): Promise<{ targets: RunTarget[]; docker: Dockerode | null; warnings: string[] }> {
  const settled = await Promise.allSettled(
    choices.map((choice) =>
      choice.kind.connect(choice.spec, scenariosFor(choice), { ...options, progress: (line) => progress(choice.kind.overSsh ? choice.uri : 'images', line) }),
    ),
  );
  const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length) {
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.target.close?.() : undefined)));
    if (failures.length === 1) throw failures[0]!;
    throw new EnvironmentError(failures.map((f) => f.message).join('\n'));
  }
  const connected = settled.map((r) => (r as PromiseFulfilledResult<Awaited<ReturnType<TargetChoice['kind']['connect']>>>).value);
  return {
    targets: connected.map((c) => c.target),
    docker: connected.find((c) => c.docker)?.docker ?? null,
    warnings: connected.flatMap((c) => c.warnings ?? []),
  };
}

function progressPrinter(silent: boolean): (scenario: string, message: string) => void {
  const start = Date.now();
  return (scenario, message) => {
    if (silent) return;
    const elapsed = ((Date.now() - start) / 1000).toFixed(1).padStart(5);
    process.stderr.write(`[${elapsed}s] ${scenario}: ${message}\n`);
  };
}
