// Loads scenarios/<id>/scenario.yaml: YAML with node positions, structure from the JSON Schema
// (scenario.schema.json), meaning in code (catalog, payload files, references, inputs). Every
// problem of a file is collected and located as file:line: field: message.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { loadCatalog, type AnalyticRef } from '../attack/catalog.js';
import type { Expectation } from './types.js';
import { parseSize } from '../shared/units.js';
import { KNOWN_FORMATS as RECOGNIZED_FORMATS } from '../telemetry/format.js';
import { convertInput, interpolate, templateNames } from './inputs.js';
import {
  ROLES,
  type FileConstraints,
  type InputSpec,
  type InputValue,
  type Role,
  type Scenario,
  type ScenarioError,
  type Step,
  type TelemetryCheckSpec,
} from './types.js';

export const SCENARIO_FILE = 'scenario.yaml';
/**
 * Payload scripts several scenarios use live once, in this folder next to the scenario folders; a step's `script:`
 * is looked up in the scenario's own folder first, then here. Both are copied to the same payload folder at run time.
 */
export const SHARED_PAYLOADS = '_payloads';

/** The shared payload folder of the scenarios in the folder holding `scenarioDir`. */
export function sharedPayloadsDir(scenarioDir: string): string {
  return path.join(path.dirname(scenarioDir), SHARED_PAYLOADS);
}

/** The local file a step's `script:` names: the scenario's own, else the shared one. */
export function payloadFile(scenario: Pick<Scenario, 'dir'>, script: string): string {
  const own = path.join(scenario.dir, script);
  if (existsSync(own)) return own;
  const shared = path.join(sharedPayloadsDir(scenario.dir), script);
  return existsSync(shared) ? shared : own;
}

/** The folders copied into a scenario's payload folder, in order (the scenario's own last, so its files win). */
export function payloadDirs(scenario: Pick<Scenario, 'dir'>): string[] {
  const shared = sharedPayloadsDir(scenario.dir);
  return existsSync(shared) && statSync(shared).isDirectory() ? [shared, scenario.dir] : [scenario.dir];
}
/** The project's own scenarios/ folder, wherever purple is run from. */
export const DEFAULT_SCENARIOS_DIR = fileURLToPath(new URL('../../../scenarios', import.meta.url));
export const SCHEMA_PATH = fileURLToPath(new URL('../../../harness/scenario/scenario.schema.json', import.meta.url));
const DEFAULT_STEP_TIMEOUT_MS = 60_000;
const DEFAULT_SCENARIO_TIMEOUT_MS = 120_000;

export interface LoadedScenario {
  /** null when the file has errors. */
  scenario: Scenario | null;
  errors: ScenarioError[];
}

export interface LoadedScenarios {
  /** The scenarios without errors, sorted by id. */
  scenarios: Scenario[];
  /** Every problem of every file (and cross-scenario problems: duplicate ids, missing twins). */
  errors: ScenarioError[];
}

/** Thrown by requireScenarios() when any file has an error; the message lists them all. */
export class ScenarioLoadError extends Error {
  constructor(readonly errors: ScenarioError[]) {
    super(errors.map(formatScenarioError).join('\n'));
  }
}

/** `scenarios/x/scenario.yaml:12: steps[1].launch: must be one of exec, cron, tty (got "crontab")`. */
export function formatScenarioError(e: ScenarioError): string {
  const where = e.line === null ? e.file : `${e.file}:${e.line}`;
  return e.field ? `${where}: ${e.field}: ${e.message}` : `${where}: ${e.message}`;
}

/** Every scenario folder under dir (a folder holding scenario.yaml). A missing dir has none. */
export function loadScenarios(dir = DEFAULT_SCENARIOS_DIR): LoadedScenarios {
  const scenarios: Scenario[] = [];
  const errors: ScenarioError[] = [];
  if (!existsSync(dir)) return { scenarios, errors };
  if (!statSync(dir).isDirectory()) return { scenarios, errors: [{ file: shown(dir), line: null, field: '', message: 'is not a folder of scenarios' }] };
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== SHARED_PAYLOADS)
    .map((d) => path.join(dir, d.name))
    .sort();
  const seen = new Map<string, string>();
  for (const folder of folders) {
    const result = loadScenario(folder);
    errors.push(...result.errors);
    const s = result.scenario;
    if (!s) continue;
    const other = seen.get(s.id);
    if (other) {
      errors.push({ file: shown(s.file), line: 1, field: 'id', message: `duplicate id ${s.id} (also in ${other})` });
      continue;
    }
    seen.set(s.id, shown(s.file));
    scenarios.push(s);
  }
  errors.push(...checkTwins(scenarios, folders));
  const broken = new Set(errors.map((e) => e.file));
  return { scenarios: scenarios.filter((s) => !broken.has(shown(s.file))).sort((a, b) => a.id.localeCompare(b.id)), errors };
}

/** loadScenarios(), but throws ScenarioLoadError when any file is broken. */
export function requireScenarios(dir = DEFAULT_SCENARIOS_DIR): Scenario[] {
  const { scenarios, errors } = loadScenarios(dir);
  if (errors.length) throw new ScenarioLoadError(errors);
  return scenarios;
}

function checkTwins(scenarios: Scenario[], folders: string[]): ScenarioError[] {
  const errors: ScenarioError[] = [];
  const byId = new Map(scenarios.map((s) => [s.id, s]));
  const folderNames = new Set(folders.map((f) => path.basename(f)));
  for (const s of scenarios) {
    if (!s.twinOf) continue;
    const twin = byId.get(s.twinOf);
    const at = { file: shown(s.file), line: twinLines.get(s) ?? 1, field: 'twin_of' };
    if (!twin) {
      const why = folderNames.has(s.twinOf) ? `scenario ${s.twinOf} has errors` : `no scenario ${s.twinOf} in ${shown(path.dirname(s.dir))}`;
      errors.push({ ...at, message: `${why}` });
    } else if (twin.kind !== 'emulation') {
      errors.push({ ...at, message: `must name an emulation, ${twin.id} is ${twin.kind}` });
    } else if (twin.analytic !== s.analytic) {
      errors.push({ ...at, message: `${twin.id} emulates ${twin.analytic}, this scenario is about ${s.analytic}` });
    }
  }
  return errors;
}

/** One scenario folder. Never throws for bad content: problems come back as errors. */
export function loadScenario(folder: string): LoadedScenario {
  const file = path.join(folder, SCENARIO_FILE);
  const name = shown(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = code === 'ENOENT' ? `missing ${SCENARIO_FILE} (every folder under scenarios/ is a scenario)` : `cannot read: ${(err as Error).message}`;
    return { scenario: null, errors: [{ file: name, line: null, field: '', message }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      scenario: null,
      errors: doc.errors.map((e) => ({
        file: name,
        line: e.linePos?.[0]?.line ?? lineCounter.linePos(e.pos[0]).line,
        field: '',
        message: `YAML syntax: ${e.message.split('\n')[0]}`,
      })),
    };
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { scenario: null, errors: [{ file: name, line: 1, field: '', message: `YAML: ${(err as Error).message}` }] };
  }
  const ctx = new Context(name, doc, lineCounter);
  if (!isObject(raw)) {
    ctx.error([], `must be a mapping of fields (id, name, steps...), got ${describe(raw)}`);
    return { scenario: null, errors: ctx.errors };
  }
  const validate = schemaValidator();
  if (!validate(raw)) for (const e of validate.errors ?? []) ctx.schemaError(e);
  let scenario: Scenario | null = null;
  try {
    scenario = checkMeaning(raw, path.resolve(folder), path.resolve(file), ctx);
  } catch (err) {
    // A bug in the checks must not hide the other scenarios: report it against this file.
    ctx.error([], `internal error while validating (please report): ${(err as Error).stack ?? err}`);
  }
  return { scenario: ctx.errors.length ? null : scenario, errors: ctx.errors };
}

// ---------------------------------------------------------------------------------------------
// Locating problems

type FieldPath = (string | number)[];

class Context {
  readonly errors: ScenarioError[] = [];
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Line of the value at path, or of its nearest existing parent. */
  lineOf(at: FieldPath, key = false): number {
    for (let n = at.length; n >= 0; n--) {
      const node = this.doc.getIn(at.slice(0, n), true);
      if (key && n === at.length && n > 0) {
        const parent = this.doc.getIn(at.slice(0, n - 1), true);
        if (isMap(parent)) {
          const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(at[n - 1]));
          if (pair && isNode(pair.key) && pair.key.range) return this.lines.linePos(pair.key.range[0]).line;
        }
      }
      if (isNode(node) && node.range) return this.lines.linePos(node.range[0]).line;
      if (n === 0) break;
    }
    return 1;
  }

  error(at: FieldPath, message: string, opts: { key?: boolean } = {}): void {
    this.errors.push({ file: this.file, line: this.lineOf(at, opts.key), field: fieldName(at), message });
  }

  schemaError(e: ErrorObject): void {
    const at: FieldPath = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const params = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = String(params.additionalProperty);
        const allowed = Object.keys((e.parentSchema as { properties?: object })?.properties ?? {});
        this.error([...at, extra], `unknown field${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`, { key: true });
        return;
      }
      case 'required':
        this.errors.push({ file: this.file, line: this.lineOf(at), field: fieldName([...at, String(params.missingProperty)]), message: 'required field is missing' });
        return;
      case 'enum':
        this.error(at, `must be one of ${(params.allowedValues as unknown[]).join(', ')} (got ${describe(e.data)})`);
        return;
      case 'type':
        this.error(at, `must be ${articleList(String(params.type).split(','))} (got ${describe(e.data)})`);
        return;
      case 'pattern':
      case 'propertyNames': {
        if (e.keyword === 'propertyNames') return; // reported by the nested pattern error with the key's name
        const hint = (e.parentSchema as { description?: string })?.description;
        if (e.propertyName !== undefined) {
          this.error([...at, e.propertyName], `name ${JSON.stringify(e.propertyName)} is not allowed (must match ${params.pattern})`, { key: true });
          return;
        }
        this.error(at, `must be ${hint ?? `text matching ${params.pattern}`} (got ${describe(e.data)})`);
        return;
      }
      case 'minProperties':
      case 'maxProperties': {
        const hint = (e.parentSchema as { description?: string })?.description;
        this.error(at, hint ? `must name ${hint} (got ${Object.keys(e.data as object).join(', ') || 'none'})` : String(e.message));
        return;
      }
      case 'minItems':
        this.error(at, `must list at least ${params.limit} item${params.limit === 1 ? '' : 's'}`);
        return;
      case 'uniqueItems':
        this.error(at, `items ${params.j} and ${params.i} are the same`);
        return;
      case 'minLength':
        this.error(at, 'must not be empty');
        return;
      default:
        this.error(at, `${e.message}${e.data !== undefined && typeof e.data !== 'object' ? ` (got ${describe(e.data)})` : ''}`);
    }
  }
}

function fieldName(at: FieldPath): string {
  let out = '';
  for (const p of at) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return `${typeof v} ${String(v)}`;
}

function articleList(types: string[]): string {
  const words = types.map((t) => ({ string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', array: 'a list', object: 'a mapping', null: 'null' })[t] ?? t);
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

function shown(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

let compiled: ValidateFunction | undefined;
function schemaValidator(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
    compiled = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')));
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Meaning: what the schema cannot say. Written defensively: the raw value may be anything.

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const RESERVED_INPUTS = new Set<string>(ROLES);
/** {{workdir}}: '' in containers, the scenario's private work dir on a host target (prefix of every path it writes). */
export const WORKDIR_TEMPLATE = 'workdir';
const USER_TEMPLATE_OR_NAME = /^(\{\{\s*[a-z][a-z0-9_]*\s*\}\}|[a-z_][a-z0-9_-]{0,31}|\d+)$/;

/** Where each loaded scenario's twin_of is, for the cross-scenario check. */
const twinLines = new WeakMap<Scenario, number>();

function checkMeaning(raw: Obj, dir: string, file: string, ctx: Context): Scenario {
  const folderName = path.basename(dir);
  const id = str(raw.id) ?? '';
  if (typeof raw.id === 'string' && id !== folderName) ctx.error(['id'], `must equal the folder name ${JSON.stringify(folderName)} (got ${JSON.stringify(id)})`);

  // ATT&CK catalog.
  const catalog = loadCatalog();
  const analyticId = str(raw.analytic) ?? '';
  const analytic: AnalyticRef | undefined = catalog.get(analyticId);
  if (typeof raw.analytic === 'string' && !analytic) ctx.error(['analytic'], `${analyticId} is not in the ATT&CK catalog (known: ${[...catalog.keys()].join(', ')})`);
  const technique = str(raw.technique) ?? '';
  if (analytic && typeof raw.technique === 'string' && !analytic.techniques.some((t) => t.id === technique)) {
    const known = analytic.techniques.map((t) => `${t.id} ${t.name}`).join(', ');
    const inCatalog = [...catalog.values()].some((a) => a.techniques.some((t) => t.id === technique));
    ctx.error(['technique'], `${technique} is ${inCatalog ? 'not one' : 'not a technique'} ${analyticId} detects (it detects: ${known})`);
  }

  // Kind and twin.
  const kind = raw.kind === 'benign' ? 'benign' : 'emulation';
  const twinOf = str(raw.twin_of) ?? null;
  if (raw.kind === 'benign' && !twinOf) ctx.error(['twin_of'], 'a benign scenario must name the emulation it looks like (twin_of: <id>)');
  if (raw.kind === 'emulation' && twinOf) ctx.error(['twin_of'], 'only benign scenarios have a twin; an emulation has twin_of: null');
  if (twinOf && twinOf === id) ctx.error(['twin_of'], 'a scenario cannot be its own twin');

  // Inputs.
  const inputs: InputSpec[] = [];
  if (isObject(raw.inputs)) {
    for (const [name, spec] of Object.entries(raw.inputs)) {
      if (!isObject(spec)) continue;
      const at = ['inputs', name];
      if (RESERVED_INPUTS.has(name)) ctx.error(at, `${name} is reserved for the address of the ${name} container`, { key: true });
      if (name === WORKDIR_TEMPLATE) ctx.error(at, `${name} is reserved for the work dir prefix ({{workdir}})`, { key: true });
      const input = checkInput(name, spec, at, ctx);
      if (input) inputs.push(input);
    }
  }
  const defaults: Record<string, InputValue> = {};
  for (const i of inputs) defaults[i.name] = i.default;

  // Containers.
  const containers = list(raw.containers).filter((c): c is Role => (ROLES as readonly unknown[]).includes(c));
  if (Array.isArray(raw.containers) && !containers.includes('victim')) ctx.error(['containers'], 'must include victim (where the behaviour happens)');
  const templateNamesKnown = new Set<string>([...inputs.map((i) => i.name), ...containers, WORKDIR_TEMPLATE]);
  const declaredInputs = new Set(raw.inputs && isObject(raw.inputs) ? Object.keys(raw.inputs) : []);
  const checkTemplates = (at: FieldPath, value: unknown): void => {
    if (typeof value !== 'string') return;
    for (const ref of templateNames(value)) {
      if (templateNamesKnown.has(ref) || declaredInputs.has(ref)) continue;
      const hint = (ROLES as readonly string[]).includes(ref)
        ? `the ${ref} container is not in containers`
        : `no input named ${ref} (inputs: ${[...declaredInputs].join(', ') || 'none'}; addresses: ${containers.join(', ')})`;
      ctx.error(at, `{{${ref}}}: ${hint}`);
    }
  };

  // Timeouts.
  const timeoutMs = raw.timeout === undefined ? DEFAULT_SCENARIO_TIMEOUT_MS : (parseTimeout(raw.timeout) ?? DEFAULT_SCENARIO_TIMEOUT_MS);

  // Steps.
  // Shared payloads this scenario names: listed with its own files when a script is missing.
  const sharedUsed = [...list(raw.steps), ...list(raw.cleanup)]
    .map((s) => (typeof s === 'object' && s !== null ? str((s as Obj).script) : undefined))
    .filter((s): s is string => s !== undefined && existsSync(path.join(sharedPayloadsDir(dir), s)) && !existsSync(path.join(dir, s)));
  const steps = list(raw.steps).map((s, i) => checkStep(s, ['steps', i], { dir, containers, timeoutMs, ctx, checkTemplates, cleanup: false, sharedUsed }));
  const cleanup = list(raw.cleanup).map((s, i) => checkStep(s, ['cleanup', i], { dir, containers, timeoutMs, ctx, checkTemplates, cleanup: true, sharedUsed }));
  const names = new Map<string, number>();
  steps.forEach((s, i) => {
    if (!s) return;
    const first = names.get(s.name);
    if (first !== undefined) ctx.error(['steps', i, 'name'], `duplicate step name ${JSON.stringify(s.name)} (also steps[${first}])`);
    else names.set(s.name, i);
  });

  // A plain host has one role and no cron purple may take over.
  if (list(raw.platforms).includes('host')) {
    const others = containers.filter((c) => c !== 'victim');
    if (others.length) ctx.error(['platforms'], `host: a host target has only the victim role, but containers lists ${others.join(', ')} (drop host from platforms)`);
    const cronStep = steps.findIndex((s) => s?.launch === 'cron');
    if (cronStep >= 0) ctx.error(['platforms'], `host: steps[${cronStep}] is launched by cron, which purple only drives inside its own containers, never on a host (drop host from platforms)`);
  }

  // Expectations.
  const expect: Record<string, Expectation> = {};
  if (isObject(raw.expect)) {
    for (const [an, value] of Object.entries(raw.expect)) {
      if (value !== 'alert' && value !== 'no-alert') continue;
      if (/^AN\d+$/.test(an) && !catalog.has(an)) ctx.error(['expect', an], `${an} is not in the ATT&CK catalog (known: ${[...catalog.keys()].join(', ')})`, { key: true });
      expect[an] = value;
    }
    if (analytic && !(analyticId in raw.expect)) ctx.error(['expect'], `must state the expectation for the scenario's own analytic ${analyticId}`);
    const own = expect[analyticId];
    if (own && raw.kind === 'emulation' && own !== 'alert') ctx.error(['expect', analyticId], 'an emulation expects its own analytic to alert');
    if (own && raw.kind === 'benign' && own !== 'no-alert') ctx.error(['expect', analyticId], 'a benign scenario expects its own analytic to stay quiet (no-alert)');
  }

  // Telemetry checks.
  const telemetry: TelemetryCheckSpec[] = [];
  list(raw.telemetry).forEach((item, i) => {
    const check = checkTelemetry(item, ['telemetry', i], { containers, defaults, ctx, checkTemplates });
    if (check) telemetry.push(check);
  });

  const scenario: Scenario = {
    id,
    name: str(raw.name) ?? '',
    description: (str(raw.description) ?? '').trim(),
    analytic: analyticId,
    technique,
    kind,
    twinOf,
    platforms: list(raw.platforms).filter((p): p is Scenario['platforms'][number] => p === 'container' || p === 'host'),
    requires: list(raw.requires).filter((r): r is string => typeof r === 'string'),
    inputs,
    containers,
    steps: steps.filter((s): s is Step => s !== null),
    cleanup: cleanup.filter((s): s is Step => s !== null),
    timeoutMs,
    expect,
    telemetry,
    dir,
    file,
  };
  twinLines.set(scenario, ctx.lineOf(['twin_of']));
  return scenario;
}

function checkInput(name: string, spec: Obj, at: FieldPath, ctx: Context): InputSpec | null {
  const type = spec.type as InputSpec['type'];
  if (typeof type !== 'string') return null;
  const input: InputSpec = { name, type, default: '', description: str(spec.description) ?? '' };
  if ((spec.min !== undefined || spec.max !== undefined) && type !== 'integer' && type !== 'size') {
    ctx.error([...at, spec.min !== undefined ? 'min' : 'max'], `min/max only apply to integer and size inputs, not ${type}`, { key: true });
  }
  for (const bound of ['min', 'max'] as const) {
    const v = spec[bound];
    if (v === undefined || (type !== 'integer' && type !== 'size')) continue;
    try {
      const n = type === 'size' ? parseSize(v) : typeof v === 'number' && Number.isInteger(v) ? v : NaN;
      if (!Number.isFinite(n)) throw new Error(`expected an integer, got ${JSON.stringify(v)}`);
      input[bound] = n;
    } catch (err) {
      ctx.error([...at, bound], (err as Error).message);
    }
  }
  if (input.min !== undefined && input.max !== undefined && input.min > input.max) ctx.error([...at, 'max'], `max ${spec.max} is below min ${spec.min}`);
  if (type === 'enum') {
    if (!Array.isArray(spec.values)) ctx.error(at, 'an enum input lists its allowed values (values: [a, b])');
    else input.values = spec.values.filter((v): v is string => typeof v === 'string');
  } else if (spec.values !== undefined) {
    ctx.error([...at, 'values'], `values only apply to enum inputs, not ${type}`, { key: true });
  }
  if (spec.default === undefined || !['string', 'number', 'boolean'].includes(typeof spec.default)) return null;
  try {
    input.default = convertInput(input, spec.default);
  } catch (err) {
    ctx.error([...at, 'default'], (err as Error).message);
    return null;
  }
  return input;
}

/** Milliseconds from 30s, 2m, 500ms or a number of seconds; null when not one of these. */
export function parseTimeout(v: unknown): number | null {
  if (typeof v === 'number') return Number.isInteger(v) && v > 0 ? v * 1000 : null;
  if (typeof v !== 'string') return null;
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) return null;
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
  return ms > 0 ? ms : null;
}

interface StepContext {
  dir: string;
  containers: Role[];
  timeoutMs: number;
  ctx: Context;
  checkTemplates: (at: FieldPath, value: unknown) => void;
  cleanup: boolean;
  /** Shared payloads (scenarios/_payloads) this scenario names. */
  sharedUsed: string[];
}

function checkStep(raw: unknown, at: FieldPath, c: StepContext): Step | null {
  if (!isObject(raw)) return null;
  const { ctx } = c;
  const hasScript = raw.script !== undefined;
  const hasRun = raw.run !== undefined;
  if (hasScript === hasRun) ctx.error(at, hasScript ? 'has both script and run: give exactly one' : 'needs either script (a payload file) or run (a shell command)');
  if (raw.args !== undefined && !hasScript) ctx.error([...at, 'args'], 'args go with script; put arguments of run inside the command', { key: true });

  const container = raw.container as Role;
  if ((ROLES as readonly unknown[]).includes(container) && !c.containers.includes(container)) {
    ctx.error([...at, 'container'], `${container} is not in containers (${c.containers.join(', ')})`);
  }
  const user = str(raw.user);
  if (user !== undefined && !USER_TEMPLATE_OR_NAME.test(user)) ctx.error([...at, 'user'], `must be a user name or a {{input}} (got ${JSON.stringify(user)})`);
  c.checkTemplates([...at, 'user'], user);

  let command: Step['command'] | null = null;
  const script = str(raw.script);
  if (script !== undefined && !hasRun) {
    const problem = scriptProblem(c.dir, script, c.sharedUsed);
    if (problem) ctx.error([...at, 'script'], problem);
    const args = list(raw.args).map((a) => (typeof a === 'string' || typeof a === 'number' || typeof a === 'boolean' ? String(a) : ''));
    args.forEach((a, i) => c.checkTemplates([...at, 'args', i], a));
    command = { script, args };
  }
  const run = str(raw.run);
  if (run !== undefined && !hasScript) {
    c.checkTemplates([...at, 'run'], run);
    command = { run };
  }

  let timeoutMs = DEFAULT_STEP_TIMEOUT_MS;
  if (raw.timeout !== undefined) {
    const t = parseTimeout(raw.timeout);
    if (t !== null) timeoutMs = t;
  }
  if (timeoutMs > c.timeoutMs) ctx.error([...at, raw.timeout === undefined ? 'name' : 'timeout'], `step timeout ${timeoutMs / 1000}s exceeds the scenario timeout ${c.timeoutMs / 1000}s`);

  if (!command || typeof raw.container !== 'string' || !user) return null;
  const index = at[1] as number;
  return {
    name: str(raw.name) ?? (c.cleanup ? `cleanup ${index + 1}` : `step ${index + 1}`),
    container,
    user,
    launch: raw.launch === 'cron' || raw.launch === 'tty' ? raw.launch : 'exec',
    command,
    timeoutMs,
    line: ctx.lineOf(at),
  };
}

function scriptProblem(dir: string, script: string, sharedUsed: string[]): string | null {
  if (path.isAbsolute(script) || script.split(/[\\/]/).includes('..')) return `must be a file inside the scenario folder (got ${JSON.stringify(script)})`;
  if (script === SCENARIO_FILE) return `${SCENARIO_FILE} is not a payload`;
  const file = payloadFile({ dir }, script);
  let isFile = false;
  let executable = false;
  try {
    const st = statSync(file);
    isFile = st.isFile();
    executable = (st.mode & 0o111) !== 0;
  } catch {
    // The scenario's own files and the shared payloads it already names; the shared folder is the other place to look.
    const present = [...new Set([...readdirSync(dir).filter((f) => f !== SCENARIO_FILE), ...sharedUsed])].sort();
    return `no file ${script} in ${shown(dir)} (files: ${present.join(', ') || 'none'}) or in ${shown(sharedPayloadsDir(dir))}`;
  }
  if (!isFile) return `${script} is not a file`;
  const head = readFileSync(file).subarray(0, 2).toString('latin1');
  if (head !== '#!') return `${script} must start with a #! line naming its interpreter (it is run via its shebang)`;
  if (!executable) return `${script} is not executable (chmod +x ${shown(file)})`;
  return null;
}

interface CheckContext {
  containers: Role[];
  defaults: Record<string, InputValue>;
  ctx: Context;
  checkTemplates: (at: FieldPath, value: unknown) => void;
}

/** Formats a file check can name: what format.ts recognises, plus "none" and "archive". */
const KNOWN_FORMATS = new Set(['none', 'archive', ...RECOGNIZED_FORMATS]);

function checkTelemetry(raw: unknown, at: FieldPath, c: CheckContext): TelemetryCheckSpec | null {
  if (!isObject(raw)) return null;
  const keys = Object.keys(raw);
  if (keys.length !== 1) return null; // the schema reported it
  const kind = keys[0]!;
  const body = raw[kind];
  if (!isObject(body)) return null;
  const here = [...at, kind];
  const line = c.ctx.lineOf(at);
  for (const [k, v] of Object.entries(body)) c.checkTemplates([...here, k], v);
  const user = body.user === undefined ? undefined : String(body.user);
  const role = (field: string): Role | null => {
    const r = body[field];
    if (!(ROLES as readonly unknown[]).includes(r)) return null;
    if (!c.containers.includes(r as Role)) {
      c.ctx.error([...here, field], `${String(r)} is not in containers (${c.containers.join(', ')})`);
      return null;
    }
    return r as Role;
  };
  const size = (field: string): string | undefined => {
    const v = body[field];
    if (v === undefined || (typeof v !== 'string' && typeof v !== 'number')) return undefined;
    const template = String(v);
    try {
      parseSize(interpolate(template, { ...c.defaults, ...Object.fromEntries(c.containers.map((r) => [r, r])) }));
    } catch (err) {
      c.ctx.error([...here, field], `${(err as Error).message} (with the input defaults)`);
    }
    return template;
  };
  const withUser = <T extends object>(o: T): T & { user?: string } => (user === undefined ? o : { ...o, user });
  switch (kind) {
    case 'execve': {
      if (typeof body.exe !== 'string') return null;
      const tty: 'none' | 'any' | undefined = body.tty === 'none' || body.tty === 'any' ? body.tty : undefined;
      return withUser({
        kind: 'execve' as const,
        exe: body.exe,
        ...(tty ? { tty } : {}),
        ...(typeof body.ancestor === 'string' ? { ancestor: body.ancestor } : {}),
        line,
      });
    }
    case 'connect': {
      const to = role('to');
      if (!to) return null;
      return withUser({ kind: 'connect' as const, to, ...(typeof body.port === 'number' ? { port: body.port } : {}), line });
    }
    case 'flow': {
      const to = role('to');
      const minBytes = size('min_bytes');
      const maxBytes = size('max_bytes');
      if (!to || minBytes === undefined) return null;
      return { kind: 'flow', to, minBytes, ...(maxBytes !== undefined ? { maxBytes } : {}), line };
    }
    case 'file': {
      const dir = str(body.created_in);
      if (dir === undefined) return null;
      if (!templateNames(dir).length && !dir.startsWith('/')) c.ctx.error([...here, 'created_in'], `must be an absolute directory (got ${JSON.stringify(dir)})`);
      const constraints: FileConstraints = {};
      if (typeof body.min_entropy === 'number') constraints.minEntropy = body.min_entropy;
      if (typeof body.max_entropy === 'number') constraints.maxEntropy = body.max_entropy;
      if (typeof body.format === 'string') {
        if (!KNOWN_FORMATS.has(body.format)) c.ctx.error([...here, 'format'], `unknown format ${body.format} (known: ${[...KNOWN_FORMATS].join(', ')})`);
        constraints.format = body.format;
      }
      const minSize = size('min_size');
      const maxSize = size('max_size');
      if (minSize !== undefined) constraints.minSize = minSize;
      if (maxSize !== undefined) constraints.maxSize = maxSize;
      return withUser({ kind: 'file' as const, createdIn: dir, constraints, line });
    }
    case 'open': {
      const p = str(body.path);
      if (p === undefined) return null;
      if (!templateNames(p).length && !p.startsWith('/')) c.ctx.error([...here, 'path'], `must be an absolute path (got ${JSON.stringify(p)})`);
      return withUser({ kind: 'open' as const, path: p, line });
    }
    default:
      return null;
  }
}
