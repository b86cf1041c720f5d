// Compiling hand-written rules from YAML text and testing them on hand-made views.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { compileRule, type CompiledRule, type DetectionRule } from '../../detectors/sigma/rule.js';
import { EventView, type FieldValue } from '../../detectors/sigma/view.js';
import { loadRules, type LoadedRules } from '../../detectors/sigma/loader.js';

export function detection(detectionYaml: string, extra = ''): DetectionRule {
  const text = `title: t\nlogsource: {product: linux, category: process_creation}\n${extra}detection:\n${detectionYaml.replace(/^/gm, '  ')}\n`;
  const rule = compileRule(parse(text), 'inline.yml', () => 1);
  if (rule.kind !== 'detection') throw new Error('not a detection rule');
  return rule;
}

export function view(fields: Record<string, FieldValue>, opts: { time?: string; id?: string; logsource?: string; type?: string } = {}): EventView {
  return new EventView(opts.logsource ?? 'linux/process_creation', opts.type ?? null, fields, [opts.id ?? '1.000:1'], opts.time ?? '2026-01-01T00:00:00.000Z', 1);
}

export function matches(detectionYaml: string, fields: Record<string, FieldValue>): boolean {
  return detection(detectionYaml).test(view(fields));
}

/** Writes files into a fresh temp folder and loads it as `--rules` would. */
export function loadFromFiles(files: Record<string, string>): { dir: string; loaded: LoadedRules } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'purple-sigma-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return { dir, loaded: loadRules([dir]) };
}

export type { CompiledRule };
