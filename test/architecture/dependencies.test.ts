// Imports run one way (ARCHITECTURE.md): dependency-cruiser checks the layer order and cycles with
// .dependency-cruiser.cjs. The check passes on the tree, and fails on a deliberately wrong import and on a cycle
// (in a copy of the sources, so the tree itself is never touched).
import { expect } from 'chai';
import { execa } from 'execa';
import { cpSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../run/helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCES = ['harness', 'detectors', 'reports'];

function cruise(cwd: string) {
  return execa(path.join(repoRoot, 'node_modules/.bin/depcruise'), ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...SOURCES], {
    cwd,
    reject: false,
  });
}

/** The sources, config and tsconfig copied to a temp dir (node_modules linked), with `files` added. */
function copyWith(files: Record<string, string>): string {
  const dir = tempDir('depcruise');
  for (const entry of [...SOURCES, '.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) {
    cpSync(path.join(repoRoot, entry), path.join(dir, entry), { recursive: true });
  }
  symlinkSync(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'));
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

describe('import direction (dependency-cruiser)', function () {
  this.timeout(180_000);

  it('passes on the tree', async function () {
    const r = await cruise(repoRoot);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).to.equal(0);
    expect(r.stdout).to.match(/no dependency violations found \((\d+) modules/);
    // The check really read the tree (not an empty selection).
    expect(Number(/\((\d+) modules/.exec(r.stdout)![1])).to.be.greaterThan(100);
  });

  it('fails on an import from a lower layer to a higher one, naming the edge', async function () {
    const dir = copyWith({
      'harness/events/wrong-way.ts': "import { runCommand } from '../cli/commands/run.js';\nexport const wrong = runCommand;\n",
    });
    const r = await cruise(dir);
    expect(r.exitCode).to.not.equal(0);
    expect(r.stdout).to.match(/layer-order: harness\/events\/wrong-way\.ts → harness\/cli\/commands\/run\.ts/);
  });

  it('fails on a detector importing the run layer, and on two modules importing each other', async function () {
    const dir = copyWith({
      'detectors/lib/uses-run.ts': "import type { RunReport } from '../../harness/run/results.js';\nexport type R = RunReport;\n",
      'harness/shared/ping.ts': "import { pong } from './pong.js';\nexport const ping = () => pong;\n",
      'harness/shared/pong.ts': "import { ping } from './ping.js';\nexport const pong = () => ping;\n",
    });
    const r = await cruise(dir);
    expect(r.exitCode).to.not.equal(0);
    expect(r.stdout).to.match(/layer-order: detectors\/lib\/uses-run\.ts → harness\/run\/results\.ts/);
    expect(r.stdout).to.match(/no-cycles: harness\/shared\/p[io]ng\.ts → /);
  });
});
