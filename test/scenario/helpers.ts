// Temp scenario folders for loader tests: copies of shipped scenarios, edited as text.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_SCENARIOS_DIR, SHARED_PAYLOADS } from '../../harness/scenario/loader.js';

export class TempScenarios {
  readonly root = mkdtempSync(path.join(tmpdir(), 'purple-scenarios-'));

  /** Copies a shipped scenario folder into the temp root under `as` (default: same id). */
  copy(id: string, as = id): string {
    const dir = path.join(this.root, as);
    cpSync(path.join(DEFAULT_SCENARIOS_DIR, id), dir, { recursive: true });
    // The shared payload folder goes along: steps may name its scripts.
    const shared = path.join(this.root, SHARED_PAYLOADS);
    if (!existsSync(shared)) cpSync(path.join(DEFAULT_SCENARIOS_DIR, SHARED_PAYLOADS), shared, { recursive: true });
    return dir;
  }

  /** Edits a copied scenario.yaml: every [from, to] must match, so a test can't silently edit nothing. */
  edit(dir: string, ...replacements: [string | RegExp, string][]): string {
    const file = path.join(dir, 'scenario.yaml');
    let text = readFileSync(file, 'utf8');
    for (const [from, to] of replacements) {
      const next = text.replace(from, to);
      if (next === text) throw new Error(`edit: ${String(from)} not found in ${file}`);
      text = next;
    }
    writeFileSync(file, text);
    return text;
  }

  write(dir: string, text: string): void {
    writeFileSync(path.join(dir, 'scenario.yaml'), text);
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** 1-based line of the first line containing `needle` in `text`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`lineOf: ${needle} not found`);
  return i + 1;
}
