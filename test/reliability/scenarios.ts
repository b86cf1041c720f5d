// Throw-away scenarios for reliability tests, written to a temp folder and passed with --scenarios.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { tempDir } from '../run/helpers.js';

export interface TempStep {
  name: string;
  run: string;
  timeout: string;
  user?: string;
}

/**
 * Writes one scenario with a unique id into a fresh folder (or `options.dir`); returns the folder and the id.
 * An emulation expecting an AN1214 alert, or with `options.benignTwinOf` a benign twin of that (shipped or
 * written) emulation expecting none; `options.cleanup` are its cleanup steps.
 */
export function tempScenario(
  prefix: string,
  steps: TempStep[],
  timeout = '60s',
  options: { cleanup?: TempStep[]; benignTwinOf?: string; dir?: string } = {},
): { dir: string; id: string } {
  const id = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
  const dir = options.dir ?? tempDir('rel-scenarios');
  mkdirSync(path.join(dir, id));
  const yamlOf = (list: TempStep[]) =>
    list
      .map((s) => `  - name: ${JSON.stringify(s.name)}\n    container: victim\n    user: ${s.user ?? 'root'}\n    run: ${JSON.stringify(s.run)}\n    timeout: ${s.timeout}`)
      .join('\n');
  const stepYaml = yamlOf(steps);
  const cleanupYaml = options.cleanup?.length ? `cleanup:\n${yamlOf(options.cleanup)}\n` : '';
  writeFileSync(
    path.join(dir, id, 'scenario.yaml'),
    `id: ${id}
name: "Reliability: ${prefix}"
description: A throw-away scenario written by a reliability test.
analytic: AN1214
technique: T1560.003
${options.benignTwinOf ? `kind: benign\ntwin_of: ${options.benignTwinOf}` : 'kind: emulation'}
platforms: [container]
requires: []
containers: [victim]
steps:
${stepYaml}
${cleanupYaml}timeout: ${timeout}
expect:
  AN1214: ${options.benignTwinOf ? 'no-alert' : 'alert'}
`,
  );
  return { dir, id };
}

/** The run id from the labels of the containers started for this (unique) scenario id. */
export async function runIdOfScenario(scenarioId: string): Promise<string | null> {
  const r = await execa('docker', ['ps', '-a', '--filter', `label=purple.scenario=${scenarioId}`, '--format', '{{.Label "purple.run"}}']);
  return r.stdout.trim().split('\n')[0] || null;
}

/** Resolves once `text` appears in the stream, rejects after `ms`. */
export function waitForOutput(stream: NodeJS.ReadableStream, text: string | RegExp, ms = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${String(text)}; saw:\n${seen}`)), ms);
    stream.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (typeof text === 'string' ? seen.includes(text) : text.test(seen)) {
        clearTimeout(timer);
        resolve(seen);
      }
    });
  });
}
