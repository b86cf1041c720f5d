// report.json's published JSON Schema (reports/report.schema.json), checked with ajv, and loading a
// saved report back with errors that name the file and the JSON pointer of what is wrong.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { UsageError } from '../harness/shared/errors.js';
import type { RunReport } from '../harness/run/results.js';
import { jsonErrorLocation } from './json-position.js';

export const REPORT_SCHEMA_PATH = fileURLToPath(new URL('../../reports/report.schema.json', import.meta.url));

export interface SchemaError {
  /** JSON pointer (RFC 6901) to the offending value, "" for the root. */
  pointer: string;
  message: string;
}

/** A report.json that cannot be read, parsed or validated: the caller named a bad file, so the CLI exits 2. */
export class ReportFileError extends UsageError {}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

let validator: ValidateFunction | undefined;

function compile(): ValidateFunction {
  if (validator) return validator;
  const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8'));
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => ISO_TIME.test(s) && !Number.isNaN(Date.parse(s)) });
  validator = ajv.compile(schema);
  return validator;
}

export function validateReport(obj: unknown): SchemaError[] {
  const validate = compile();
  if (validate(obj)) return [];
  return (validate.errors ?? []).filter(isUseful).map(toSchemaError);
}

// oneOf/enum wrappers repeat what the concrete errors already say.
function isUseful(e: ErrorObject): boolean {
  return e.keyword !== 'oneOf' && e.keyword !== 'if';
}

function toSchemaError(e: ErrorObject): SchemaError {
  const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return { pointer: `${e.instancePath}/${escape(missing)}`, message: 'is required but missing' };
  }
  if (e.keyword === 'additionalProperties') {
    const extra = (e.params as { additionalProperty: string }).additionalProperty;
    return { pointer: `${e.instancePath}/${escape(extra)}`, message: 'is not a report field (misspelt, or missing from reports/report.schema.json)' };
  }
  if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
    return { pointer: e.instancePath, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { pointer: e.instancePath, message: e.message ?? e.keyword };
}

export function formatSchemaErrors(errors: SchemaError[], limit = 20): string {
  const lines = errors.slice(0, limit).map((e) => `  ${e.pointer || '/'}: ${e.message}`);
  if (errors.length > limit) lines.push(`  ... and ${errors.length - limit} more`);
  return lines.join('\n');
}

/** Reads and validates a report.json; a folder means the report.json inside it. */
export function loadReport(file: string): RunReport {
  let target = file;
  try {
    if (statSync(file).isDirectory()) target = path.join(file, 'report.json');
  } catch {
    throw new ReportFileError(`${file}: no such file or folder (give a run folder or its report.json)`);
  }
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ReportFileError(
      code === 'ENOENT' ? `${target}: not found (is ${path.dirname(target)} a purple run folder?)` : `${target}: ${(err as Error).message}`,
    );
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ReportFileError(`${target}${jsonErrorLocation(text)}: not valid JSON: ${(err as Error).message}`);
  }
  const errors = validateReport(obj);
  if (errors.length) {
    throw new ReportFileError(`${target}: not a valid purple report (schema ${path.relative(process.cwd(), REPORT_SCHEMA_PATH) || REPORT_SCHEMA_PATH}):\n${formatSchemaErrors(errors)}`);
  }
  return obj as RunReport;
}
