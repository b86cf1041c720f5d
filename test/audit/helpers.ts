import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { auditCorpusDir } from '../shared-data.js';
import { AuditStream, type AuditEvent, type AuditStats } from '../../harness/audit/index.js';

/** Repo root, from dist/test/audit/ (compiled) back up three levels. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const corpus = auditCorpusDir;

export function corpusFile(rel: string): string {
  return path.join(corpus, rel);
}

export function readLines(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function eventsOf(lines: string[], window?: number): { events: AuditEvent[]; stats: AuditStats } {
  const stream = new AuditStream({ window });
  const events: AuditEvent[] = [];
  for (const line of lines) events.push(...stream.push(line));
  events.push(...stream.end());
  return { events, stats: stream.stats };
}
