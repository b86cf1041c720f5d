// Scenario inputs: typed conversion of defaults and `--set key=value` overrides, and {{name}}
// substitution. Values end up inside shell commands (`run:`), so strings, paths and users are
// limited to characters that never need quoting.
import { parseSize } from '../shared/units.js';
import { UsageError } from '../shared/errors.js';
import type { InputSpec, InputValue, Role, Scenario } from './types.js';
import { ROLES } from './types.js';

/** A bad `--set` argument or input value: a usage error (exit 2), whoever calls. */
export class InputError extends UsageError {}

const SAFE_STRING = /^[A-Za-z0-9_.,:@%+=/-]*$/;
const SAFE_PATH = /^\/[A-Za-z0-9_.,:@%+=/-]*$/;
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Converts one raw value (from YAML or the command line) to the input's type, or throws saying why. */
export function convertInput(spec: InputSpec, raw: unknown): InputValue {
  switch (spec.type) {
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw new Error(`expected an integer, got ${show(raw)}`);
      checkRange(spec, n, String(n));
      return n;
    }
    case 'size': {
      let bytes: number;
      try {
        bytes = parseSize(raw);
      } catch (err) {
        throw new Error((err as Error).message);
      }
      checkRange(spec, bytes, String(raw));
      return bytes;
    }
    case 'enum': {
      const values = spec.values ?? [];
      const s = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
      if (typeof s !== 'string' || !values.includes(s)) throw new Error(`expected one of ${values.join(', ')}, got ${show(raw)}`);
      return s;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = typeof raw === 'string' ? raw.trim().toLowerCase() : raw;
      if (s === 'true' || s === 'yes' || s === '1' || s === 1) return true;
      if (s === 'false' || s === 'no' || s === '0' || s === 0) return false;
      throw new Error(`expected true or false, got ${show(raw)}`);
    }
    case 'path': {
      if (typeof raw !== 'string' || !raw.startsWith('/')) throw new Error(`expected an absolute path, got ${show(raw)}`);
      if (!SAFE_PATH.test(raw)) throw new Error(`path ${show(raw)} has characters that would need shell quoting (allowed: letters, digits and _ . , : @ % + = / -)`);
      if (raw.split('/').includes('..')) throw new Error(`path ${show(raw)} must not contain ".."`);
      return raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    }
    case 'user': {
      if (typeof raw !== 'string' || !USER_NAME.test(raw)) throw new Error(`expected a user name (lowercase letters, digits, _ and -), got ${show(raw)}`);
      return raw;
    }
    case 'string': {
      const s = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
      if (typeof s !== 'string') throw new Error(`expected a string, got ${show(raw)}`);
      if (!SAFE_STRING.test(s)) throw new Error(`${show(raw)} has characters that would need shell quoting (allowed: letters, digits and _ . , : @ % + = / -)`);
      return s;
    }
  }
}

function checkRange(spec: InputSpec, n: number, shown: string): void {
  if (spec.min !== undefined && n < spec.min) throw new Error(`${shown} is below the minimum ${spec.min}`);
  if (spec.max !== undefined && n > spec.max) throw new Error(`${shown} is above the maximum ${spec.max}`);
}

function show(raw: unknown): string {
  return raw === undefined ? 'nothing' : JSON.stringify(raw);
}

/**
 * Parses `--set` arguments (`key=value`, or `scenario-id.key=value` to target one scenario).
 * Throws on an argument without `=` or with an empty key.
 */
export function parseSetArgs(args: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) throw new InputError(`--set ${arg}: expected key=value (e.g. --set size_mb=8)`);
    out[arg.slice(0, eq).trim()] = arg.slice(eq + 1);
  }
  return out;
}

function splitKey(key: string): { scenario: string | null; input: string } {
  const dot = key.lastIndexOf('.');
  return dot < 0 ? { scenario: null, input: key } : { scenario: key.slice(0, dot), input: key.slice(dot + 1) };
}

/**
 * The scenario's input values: defaults, then the overrides that apply to it (`key` for every
 * scenario declaring it, `scenario-id.key` for this one only). Keys it does not declare are ignored
 * here; checkOverrides() reports the ones no selected scenario declares. Throws one error listing
 * every bad value, each naming the scenario and key.
 */
export function resolveInputs(scenario: Pick<Scenario, 'id' | 'inputs'>, overrides: Record<string, string> = {}): Record<string, InputValue> {
  const values: Record<string, InputValue> = {};
  const problems: string[] = [];
  for (const spec of scenario.inputs) {
    let raw: unknown = spec.default;
    let source = 'default';
    for (const [key, value] of Object.entries(overrides)) {
      const { scenario: target, input } = splitKey(key);
      if (input === spec.name && (target === null || target === scenario.id)) {
        raw = value;
        source = `--set ${key}`;
        if (target !== null) break; // a targeted override wins over a global one
      }
    }
    try {
      values[spec.name] = convertInput(spec, raw);
    } catch (err) {
      problems.push(`${scenario.id}: input ${spec.name} (${source}): ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new InputError(problems.join('\n'));
  return values;
}

/** Errors for overrides that no selected scenario declares (or that name a scenario not selected). */
export function checkOverrides(overrides: Record<string, string>, scenarios: Pick<Scenario, 'id' | 'inputs'>[]): string[] {
  const errors: string[] = [];
  for (const key of Object.keys(overrides)) {
    const { scenario: target, input } = splitKey(key);
    if (target !== null) {
      const s = scenarios.find((x) => x.id === target);
      if (!s) errors.push(`--set ${key}: scenario ${target} is not selected`);
      else if (!s.inputs.some((i) => i.name === input))
        errors.push(`--set ${key}: ${target} has no input ${input} (it has: ${s.inputs.map((i) => i.name).join(', ') || 'none'})`);
    } else if (!scenarios.some((s) => s.inputs.some((i) => i.name === input))) {
      const known = [...new Set(scenarios.flatMap((s) => s.inputs.map((i) => i.name)))].sort();
      errors.push(`--set ${key}: no selected scenario has an input named ${input} (known: ${known.join(', ') || 'none'})`);
    }
  }
  return errors;
}

/** The {{name}} references in a template, in order (names trimmed). */
export function templateNames(template: string): string[] {
  return [...template.matchAll(TEMPLATE)].map((m) => m[1]!);
}

/** Replaces every {{name}} with its value; throws naming the first unknown name. */
export function interpolate(template: string, values: Record<string, InputValue | undefined>): string {
  return template.replace(TEMPLATE, (_all, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`unknown template reference {{${name}}} in ${JSON.stringify(template)}`);
    return String(value);
  });
}

export type Addresses = Partial<Record<Role, string>>;

/** Values for templates: inputs plus the addresses of the scenario's containers ({{victim}}, {{sink}}, {{trusted}}). */
export function templateValues(inputs: Record<string, InputValue>, addresses: Addresses): Record<string, InputValue> {
  const values: Record<string, InputValue> = { ...inputs };
  for (const role of ROLES) if (addresses[role] !== undefined) values[role] = addresses[role]!;
  return values;
}

/** Environment of every step: PURPLE_<INPUT> for each input and PURPLE_<ROLE> for each address. */
export function scenarioEnv(inputs: Record<string, InputValue>, addresses: Addresses): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs)) env[`PURPLE_${name.toUpperCase()}`] = String(value);
  for (const role of ROLES) if (addresses[role] !== undefined) env[`PURPLE_${role.toUpperCase()}`] = addresses[role]!;
  return env;
}
