// One scenario, start to end: a fresh target (containers on their own internal network, or a
// private work dir on a host), live collectors feeding the detectors, the steps in order, the
// telemetry saved for replay, and cleanup always.
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { AuditEvent } from '../audit/event.js';
import type { Flow, FileArtifact, TelemetryItem } from '../telemetry/types.js';
import { ConntrackParser, flowKey } from '../telemetry/conntrack.js';
import type { AuditCollector } from '../collectors/audit-collector.js';
import type { FlowCollector } from '../collectors/flow-collector.js';
import { ArtifactCollector } from '../collectors/artifact-collector.js';
import type { ScenarioTarget } from './target.js';
import type { Role, Scenario, Step } from '../scenario/types.js';
import { WORKDIR_TEMPLATE, payloadDirs } from '../scenario/loader.js';
import { interpolate, scenarioEnv, templateValues } from '../scenario/inputs.js';
import type { InputValue } from '../scenario/types.js';
import { evaluateTelemetryChecks } from '../scenario/checks.js';
import { createEngine, detectorNeeds } from '../../detectors/engine.js';
import { TimeOrderedFeed, itemTime } from '../../detectors/time-order.js';
import { ContentSelection } from '../events/needs.js';
import { userDirectory, type UserDirectory } from '../events/users.js';
import type { SharedConfig } from '../../detectors/types.js';
import type { ScenarioResult, StepOutcome } from './results.js';
import { score, type EmittedAlert } from './scoring.js';
import { interruptedReason } from './interrupt.js';
import { hasByod, RuleSources, type ByodConfig, type DetectorStatus } from '../../detectors/byod/sources.js';
import { builtinAlert } from '../../detectors/byod/types.js';
import { StepGate } from '../events/step-gate.js';
import type { EmittedRuleAlert } from './rule-scoring.js';
import { PhaseClock } from './phases.js';

export interface ScenarioRunContext {
  runId: string;
  runDir: string;
  /** The collectors of the host the target runs on. */
  audit: AuditCollector;
  flows: FlowCollector;
  /** A fresh target for one scenario (its slug names what it creates). */
  createTarget: (slug: string) => ScenarioTarget;
  shared: SharedConfig;
  overrides: Record<string, Record<string, unknown>>;
  /** analytic id -> technique id, for every registered detector. */
  analytics: Map<string, string>;
  signal: AbortSignal;
  progress: (scenario: string, message: string) => void;
  /** The user's Sigma rules and external detectors (`--rules`, `--detector`), if any. */
  byod?: ByodConfig;
  /** `--no-builtin`: the built-in detectors do not run. */
  noBuiltin?: boolean;
}

export interface ScenarioRunRequest {
  scenario: Scenario;
  inputs: Record<string, InputValue>;
  /** Folder name under the run's scenarios/ folder (the id, plus the repetition when repeating). */
  slug: string;
  repetition?: number;
}

/** Every file a scenario run saves, so that `purple replay --run` can replay it. */
export const SAVED = {
  audit: 'audit.log',
  flows: 'flows.conntrack',
  artifacts: 'artifacts.json',
  context: 'context.json',
  steps: 'steps.json',
  alerts: 'alerts.json',
  /** The victim's passwd and group when the run started (user names in replay are the target's). */
  accounts: 'accounts.json',
  /** Host name -> ids of the audit events of roles other than the victim (the sink's). */
  roles: 'roles.json',
  /** Every path whose content the detectors' needs selected, in order (read or gone). */
  selected: 'content-selected.json',
} as const;

/** After an interruption, a cleanup step gets at most this long: the run must stop within seconds. */
const INTERRUPTED_CLEANUP_STEP_MS = 5_000;

/** Which files' content the detectors need: the same selection replay makes. */
const contentSelection = new ContentSelection(detectorNeeds());

/** The live content reader of one scenario's victim: it reads what the detectors' needs select. */
export function newArtifactCollector(host: string): ArtifactCollector {
  return new ArtifactCollector(host, contentSelection);
}

export async function runScenario(ctx: ScenarioRunContext, request: ScenarioRunRequest): Promise<ScenarioResult> {
  const { scenario, inputs, slug } = request;
  const dir = path.join(ctx.runDir, 'scenarios', slug);
  mkdirSync(dir, { recursive: true });
  const started = new Date();
  const clock = new PhaseClock();
  const env = ctx.createTarget(slug);
  // {{workdir}} is a template value (and PURPLE_WORKDIR in the steps' environment), not an input.
  const templated = { ...inputs, [WORKDIR_TEMPLATE]: env.workdir };
  const steps: StepOutcome[] = [];
  const events: AuditEvent[] = [];
  const flows = new Map<string, Flow>();
  const artifacts: FileArtifact[] = [];
  const emitted: EmittedAlert[] = [];
  const incomplete: string[] = [];
  let error: string | null = null;
  let ranToEnd = false;
  let auditLog: WriteStream | undefined;
  let flowLog: WriteStream | undefined;
  let lostBefore = NaN;
  const gapsBefore = ctx.audit.gaps;
  let engine: ReturnType<typeof createEngine> | undefined;
  let addresses: Partial<Record<Role, string>> = {};
  let users: UserDirectory = userDirectory({}, env.users?.() ?? {});
  let artifactCollector: ArtifactCollector | undefined;
  const otherRoles = new Map<string, string[]>();
  let sources: RuleSources | undefined;
  const gate = new StepGate();
  const stepNames = new Map<string, string>();
  const ruleEmitted: EmittedRuleAlert[] = [];
  let detectorStatus: DetectorStatus[] = [];
  const push = (item: TelemetryItem) => {
    for (const alert of engine?.push(item) ?? []) emitted.push({ alert, emittedAt: Date.now() });
    if (!sources) return;
    const tag = item.kind === 'audit' ? gate.observe(item.event, item.host ?? null) : undefined;
    const step = tag === undefined ? undefined : tag === null ? null : stepNames.get(tag) ?? tag;
    for (const alert of sources.push(item, step)) ruleEmitted.push({ alert, emittedAt: Date.now() });
  };
  // Detectors see items in time order, as replay of the saved files will: a flow waits for the audit events
  // (exec, connect) that came before it, even when auditd delivers them late.
  const feed = new TimeOrderedFeed(push);
  const addHeld = (item: TelemetryItem) => {
    feed.add(item);
    ctx.audit.readUpTo(Date.parse(itemTime(item))).then(
      (markerMs) => feed.auditReadUpTo(markerMs),
      () => undefined, // a barrier that fails is reported by the next settle; the feed is flushed at the end
    );
  };
  const announce = (tag: string, name: string, argv: string[]) => {
    gate.expect(tag, argv.join(' '));
    stepNames.set(tag, name);
  };
  const deadline = AbortSignal.any([ctx.signal, AbortSignal.timeout(scenario.timeoutMs)]);
  // A collector that falls behind makes the telemetry incomplete, not the scenario an error.
  // `alongside`: other settling work (a last conntrack read) done meanwhile.
  const settleAudit = (...alongside: Promise<unknown>[]) =>
    clock.time('settle', () =>
      Promise.all([
        ctx.audit.barrier().then((markerMs) => feed.auditReadUpTo(markerMs), (err: unknown) => {
          if (!incomplete.includes((err as Error).message)) incomplete.push((err as Error).message);
        }),
        ...alongside,
      ]),
    );

  try {
    ctx.progress(slug, env.workdir ? `preparing ${env.workdir} on ${env.uri}` : 'starting containers');
    await env.start(scenario.containers, clock);
    const attaching = performance.now();
    addresses = env.addresses();
    const trusted = addresses.trusted ? [`${addresses.trusted}/32`] : [];
    const shared: SharedConfig = { ...ctx.shared, trustedCidrs: [...ctx.shared.trustedCidrs, ...trusted] };
    const accounts = await env.accounts();
    users = userDirectory(accounts, env.users?.() ?? {});
    writeFileSync(path.join(dir, SAVED.accounts), JSON.stringify(accounts, null, 2));
    engine = createEngine({ shared, overrides: ctx.overrides, users, ...(ctx.noBuiltin ? { only: [] } : {}) });
    let knownUsers: Map<number, string> | undefined;
    if (hasByod(ctx.byod)) {
      // User names in rules' fields are the target's own, from the same directory the built-ins use.
      knownUsers = new Map(Object.entries(users.users()).map(([name, uid]) => [uid, name]));
      sources = new RuleSources(ctx.byod, knownUsers);
      sources.start({ scenario: scenario.id, technique: scenario.technique });
    }
    writeFileSync(
      path.join(dir, SAVED.context),
      JSON.stringify({ host: env.hostName('victim'), target: env.uri, workdir: env.workdir, addresses, trusted_cidrs: shared.trustedCidrs, standard_users: shared.standardUsers, ...(knownUsers ? { users: Object.fromEntries([...knownUsers].map(([uid, name]) => [name, uid])) } : {}) }, null, 2),
    );

    auditLog = createWriteStream(path.join(dir, SAVED.audit));
    flowLog = createWriteStream(path.join(dir, SAVED.flows));
    const victimName = env.hostName('victim');
    const collector = (artifactCollector = newArtifactCollector(victimName));
    ctx.audit.subscribe(slug, (event, raw, owner) => {
      auditLog!.write(raw.join('\n') + '\n');
      events.push(event);
      const host = env.hostName(owner.container as Role);
      if (owner.container === 'victim') collector.observe(event);
      else otherRoles.set(host, [...(otherRoles.get(host) ?? []), event.id]);
      feed.add({ kind: 'audit', event, host });
    });
    for (const role of scenario.containers) {
      for (const pid of env.attributionRoots(role)) ctx.audit.attribution.addRoot(pid, { scenario: slug, container: role });
    }
    const parser = new ConntrackParser({ host: victimName });
    const watching = ctx.flows.watch(slug, addresses.victim ?? '', (line, stamped) => {
      flowLog!.write(stamped + '\n');
      const flow = parser.push(stamped);
      if (!flow) return;
      flows.set(flowKey(flow), flow);
      addHeld({ kind: 'flow', flow });
    });
    lostBefore = (await Promise.all([ctx.audit.counters(), watching]))[0].lost;
    clock.since('collectors', attaching);

    await clock.time('payloads', async () => {
      for (const dir of payloadDirs(scenario)) await env.copyScenario(dir);
    });

    const environment = scenarioEnv(templated, addresses);
    const values = templateValues(templated, addresses);
    const onPid = (role: Role) => (pid: number) => ctx.audit.attribution.addRoot(pid, { scenario: slug, container: role });
    const collectArtifacts = async () => {
      const fresh = await clock.time('artifacts', () => collector.collectMany((paths) => env.readArtifacts('victim', paths, deadline)));
      for (const artifact of fresh) {
        artifacts.push(artifact);
        addHeld({ kind: 'artifact', artifact });
      }
    };
    for (const [index, step] of scenario.steps.entries()) {
      if (deadline.aborted) throw new Error(abortReason(ctx.signal, scenario));
      ctx.progress(slug, `step ${index + 1}/${scenario.steps.length}: ${step.name} (${step.launch})`);
      const outcome = await clock.time('steps', () => runStep(env, step, values, environment, `${index + 1}`, deadline, onPid(step.container), announce));
      steps.push(outcome);
      // Content is read while the process tree may still be young: before later steps change the files.
      await settleAudit();
      const failure = outcome.timedOut
        ? `step "${step.name}" timed out after ${step.timeoutMs} ms and was killed`
        : outcome.exitCode !== 0
          ? `step "${step.name}" failed with exit code ${outcome.exitCode}: ${lastLine(outcome.stderrTail)}`
          : null;
      // After a failed step the files are still evidence, but the step's failure stays the reason
      // (its container may be gone, so reading them can fail too).
      await collectArtifacts().catch((err: unknown) => {
        if (!failure) throw err;
      });
      if (failure) throw new Error(failure);
    }
    ctx.progress(slug, 'collecting telemetry');
    await settleAudit(ctx.flows.poll());
    await collectArtifacts();
    ranToEnd = true;
  } catch (err) {
    error = (err as Error).message;
  } finally {
    // Cut short by Ctrl-C, SIGTERM or a harness error: whatever failed on the way (a killed step, an
    // exec on a container being removed) is a consequence, not the reason.
    if (ctx.signal.aborted && !ranToEnd) error = interruptedReason(ctx.signal);
    ctx.progress(slug, 'cleaning up');
    const values = templateValues(templated, addresses);
    for (const [index, step] of scenario.cleanup.entries()) {
      if (!env.has(step.container)) continue;
      try {
        const timeoutMs = ctx.signal.aborted ? Math.min(step.timeoutMs, INTERRUPTED_CLEANUP_STEP_MS) : step.timeoutMs;
        const outcome = await clock.time('cleanupSteps', () => runStep(env, step, values, scenarioEnv(templated, addresses), `cleanup-${index + 1}`, AbortSignal.timeout(timeoutMs), undefined, announce));
        steps.push({ ...outcome, name: `cleanup: ${step.name}` });
      } catch (err) {
        steps.push({ ...failedStep(step, (err as Error).message), name: `cleanup: ${step.name}` });
      }
    }
    const cleaning = performance.now();
    ctx.audit.unsubscribe(slug);
    await ctx.flows.unwatch(slug).catch(() => undefined);
    const failures = await env.teardown();
    if (failures.length) error = [error, `cleanup: ${failures.join('; ')}`].filter(Boolean).join('; ');
    await Promise.all([auditLog, flowLog].map((s) => s && new Promise((resolve) => s.end(resolve))));
    clock.since('cleanup', cleaning);
  }
  const resulting = performance.now();

  feed.end();
  for (const alert of engine?.flush() ?? []) emitted.push({ alert, emittedAt: Date.now() });
  const engineStats = engine?.stats();
  const detectorViews = engineStats
    ? Object.fromEntries(engineStats.enabled.map((id) => [id, { nearMisses: engineStats.nearMisses[id] ?? [], counters: engineStats.detectors[id] ?? {} }]))
    : undefined;
  if (sources) {
    const finished = await sources.finish();
    for (const alert of finished.alerts) ruleEmitted.push({ alert, emittedAt: Date.now() });
    detectorStatus = finished.detectors;
  }
  const lostAfter = await ctx.audit.counters().then((c) => c.lost, () => NaN);
  if (lostAfter > lostBefore) incomplete.push(`the kernel lost ${lostAfter - lostBefore} audit events during the scenario`);
  if (ctx.audit.gaps > gapsBefore) incomplete.push(`audit events may be missing: ${ctx.audit.lastGap}`);
  if (ctx.flows.problem && scenario.telemetry.some((t) => t.kind === 'flow')) incomplete.push(ctx.flows.problem);

  const checks = evaluateTelemetryChecks(scenario, templated, {
    events,
    flows: [...flows.values()],
    artifacts,
    addresses,
    users: users.users(),
  });
  const verdicts = ctx.noBuiltin ? [] : score({
    analytics: ctx.analytics,
    expect: scenario.expect,
    alerts: emitted,
    checks,
    incompleteBecause: incomplete,
    errorBecause: error,
    ...(detectorViews ? { detectorViews, disabled: engineStats!.disabled } : {}),
  });
  const own = verdicts.find((v) => v.analytic === scenario.analytic) ?? { verdict: error ? ('error' as const) : incomplete.length ? ('incomplete' as const) : ('quiet' as const), latencyMs: null };
  const alerts = emitted.map((e) => e.alert);
  const ruleAlerts = ruleEmitted.map((e) => ({ ...e.alert, emitted: new Date(e.emittedAt).toISOString() }));
  writeFileSync(path.join(dir, SAVED.artifacts), JSON.stringify(artifacts, null, 2));
  writeFileSync(path.join(dir, SAVED.roles), JSON.stringify(Object.fromEntries(otherRoles), null, 2));
  writeFileSync(path.join(dir, SAVED.selected), JSON.stringify(artifactCollector?.selected ?? [], null, 2));
  writeFileSync(path.join(dir, SAVED.steps), JSON.stringify(steps, null, 2));
  writeFileSync(path.join(dir, SAVED.alerts), JSON.stringify([...alerts.map(builtinAlert), ...ruleAlerts], null, 2));
  const result: ScenarioResult = {
    id: scenario.id,
    name: scenario.name,
    kind: scenario.kind,
    twinOf: scenario.twinOf,
    analytic: scenario.analytic,
    technique: scenario.technique,
    verdict: own.verdict,
    latency_ms: own.latencyMs,
    verdicts,
    inputs,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    steps,
    telemetry: {
      auditEvents: events.length,
      flows: flows.size,
      artifacts: artifacts.length,
      lostEvents: Math.max(0, lostAfter - lostBefore) || 0,
      complete: incomplete.length === 0,
      checks,
    },
    alerts,
    dir: path.join('scenarios', slug),
    target: env.uri,
    error,
  };
  if (request.repetition !== undefined) result.repetition = request.repetition;
  if (sources) Object.assign(result, { ruleAlerts, detectors: detectorStatus });
  clock.since('results', resulting);
  result.timing = clock.timing();
  return result;
}

async function runStep(
  env: ScenarioTarget,
  step: Step,
  values: Record<string, InputValue>,
  environment: Record<string, string>,
  tag: string,
  signal: AbortSignal,
  onPid?: (pid: number) => void,
  announce?: (tag: string, name: string, argv: string[]) => void,
): Promise<StepOutcome> {
  const argv =
    'script' in step.command
      ? [`${env.payloadDir}/${step.command.script}`, ...step.command.args.map((a) => interpolate(a, values))]
      : ['/bin/sh', '-c', interpolate(step.command.run, values)];
  announce?.(tag, step.name, argv);
  const user = interpolate(step.user, values);
  const started = new Date();
  const r = await env.launch({
    ...(onPid ? { onPid } : {}),
    role: step.container,
    user,
    launch: step.launch,
    argv,
    env: environment,
    timeoutMs: step.timeoutMs,
    tag,
    signal,
  });
  return {
    name: step.name,
    container: step.container,
    user,
    launch: step.launch,
    started: started.toISOString(),
    finished: new Date().toISOString(),
    exitCode: r.exitCode,
    timedOut: r.timedOut,
    stdoutTail: r.stdout,
    stderrTail: r.stderr,
    command: argv.join(' '),
    pid: r.pid,
  };
}

function failedStep(step: Step, message: string): StepOutcome {
  const now = new Date().toISOString();
  return {
    name: step.name,
    container: step.container,
    user: step.user,
    launch: step.launch,
    started: now,
    finished: now,
    exitCode: null,
    timedOut: false,
    stdoutTail: '',
    stderrTail: message,
  };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '';
}

function abortReason(signal: AbortSignal, scenario: Scenario): string {
  return signal.aborted ? interruptedReason(signal) : `scenario timed out after ${scenario.timeoutMs} ms`;
}
