// Writing a run's file outputs: which formats exist and the file name each gets in a run folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunReport } from '../harness/run/results.js';
import { renderAttire } from './attire.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderJUnit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderNavigatorLayer } from './navigator.js';

/** File formats and the name each gets in a run folder. */
export const FILE_FORMATS = {
  json: { file: 'report.json', render: renderJson },
  junit: { file: 'junit.xml', render: renderJUnit },
  html: { file: 'report.html', render: renderHtml },
  md: { file: 'report.md', render: renderMarkdown },
  layer: { file: 'attack-layer.json', render: renderNavigatorLayer },
  attire: { file: 'attire.json', render: renderAttire },
} as const satisfies Record<string, { file: string; render: (r: RunReport) => string }>;

export type FileFormat = keyof typeof FILE_FORMATS;

export function isFileFormat(name: string): name is FileFormat {
  return Object.hasOwn(FILE_FORMATS, name);
}

/**
 * Renders every requested format (default: all) into `dir` and returns the paths written.
 * Every format is rendered before any file is written, so a renderer error leaves the folder untouched.
 */
export function writeRunOutputs(report: RunReport, dir: string, options: { formats?: FileFormat[] } = {}): string[] {
  const formats = options.formats ?? (Object.keys(FILE_FORMATS) as FileFormat[]);
  const rendered = formats.map((f) => {
    const { file, render } = FILE_FORMATS[f];
    try {
      return { file: path.join(dir, file), text: render(report) };
    } catch (err) {
      throw new Error(`rendering ${file} for run ${report.run_id} failed: ${(err as Error).message}`, { cause: err });
    }
  });
  mkdirSync(dir, { recursive: true });
  for (const { file, text } of rendered) writeFileSync(file, text);
  return rendered.map((r) => r.file);
}
