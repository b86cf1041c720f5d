// Typed threshold fields: each detector declares how to read each of its thresholds, and gets a `configure`
// that merges overrides over defaults and names the field in every error.
import { parseDuration, parseSize } from './units.js';
import { parseCidr } from './cidr.js';

export type FieldParser<V> = (value: unknown) => V;

export class ConfigFieldError extends Error {
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

export const field = {
  number(min: number, max: number): FieldParser<number> {
    return (v) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`expected a number, got ${JSON.stringify(v)}`);
      if (v < min || v > max) throw new Error(`must be between ${min} and ${max}, got ${v}`);
      return v;
    };
  },
  size(): FieldParser<number> {
    return parseSize;
  },
  duration(): FieldParser<number> {
    return parseDuration;
  },
  strings(check?: (s: string) => void): FieldParser<string[]> {
    return (v) => {
      if (!Array.isArray(v)) throw new Error(`expected a list of strings, got ${JSON.stringify(v)}`);
      return v.map((s, i) => {
        if (typeof s !== 'string' && typeof s !== 'number') throw new Error(`item ${i + 1}: expected a string, got ${JSON.stringify(s)}`);
        const text = String(s);
        try {
          check?.(text);
        } catch (err) {
          throw new Error(`item ${i + 1}: ${(err as Error).message}`);
        }
        return text;
      });
    };
  },
  regexes(): FieldParser<string[]> {
    return field.strings((s) => {
      try {
        new RegExp(s);
      } catch (err) {
        throw new Error(`not a regular expression: ${(err as Error).message}`);
      }
    });
  },
  cidrs(): FieldParser<string[]> {
    return field.strings((s) => void parseCidr(s));
  },
};

export type FieldParsers<T> = { [K in keyof T]: FieldParser<T[K]> };

/** A `configure` for Detector: unknown keys and bad values throw ConfigFieldError naming the field. */
export function configurer<T extends object>(defaults: T, parsers: FieldParsers<T>) {
  return (overrides: Record<string, unknown>): T => {
    const out = { ...defaults };
    for (const [key, value] of Object.entries(overrides)) {
      if (!(key in parsers)) {
        throw new ConfigFieldError(key, `unknown threshold; known: ${Object.keys(parsers).join(', ')}, enabled`);
      }
      try {
        (out as Record<string, unknown>)[key] = parsers[key as keyof T](value);
      } catch (err) {
        if (err instanceof ConfigFieldError) throw new ConfigFieldError(`${key}.${err.field.replace(/^[^.]*\./, '')}`, err.problem);
        throw new ConfigFieldError(key, (err as Error).message);
      }
    }
    return out;
  };
}
