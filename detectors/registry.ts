// The detector registry. Each analytic lives in its own module named `an<digits>-<what>.ts` in this folder and
// calls register() when imported; loadDetectors() imports every such module, so adding a detector is adding a file.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Detector } from './types.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDetector = Detector<any>;

const registered = new Map<string, AnyDetector>();
const MODULE_RE = /^an\d+-[\w-]+\.js$/;

export function register<T extends object>(detector: Detector<T>): Detector<T> {
  const id = detector.analytic.id;
  const existing = registered.get(id);
  if (existing && existing !== detector) throw new Error(`two detectors register analytic ${id}`);
  registered.set(id, detector);
  return detector;
}

let loading: Promise<AnyDetector[]> | undefined;

/** Every detector in this folder, sorted by analytic id. */
export function loadDetectors(): Promise<AnyDetector[]> {
  loading ??= (async () => {
    const dir = fileURLToPath(new URL('.', import.meta.url));
    for (const file of readdirSync(dir).filter((f) => MODULE_RE.test(f)).sort()) {
      await import(new URL(file, import.meta.url).href);
    }
    return [...registered.values()].sort((a, b) => a.analytic.id.localeCompare(b.analytic.id));
  })();
  return loading;
}
