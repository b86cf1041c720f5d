import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { EXIT, EnvironmentError, UsageError } from '../command.js';
import { ensureImages, listImages, pruneStaleImages } from '../../host/images.js';

const usage = `usage: purple images build [--force]
       purple images list
       purple images prune

build   Builds purple/base, purple/victim and purple/sink, tagged with the hash of their recipe
        (containers/images/<name>/), skipping those already current. The debootstrap rootfs is
        cached under .cache/purple (or $PURPLE_CACHE_DIR) per base recipe.
        --force  rebuild all three even if current (the cached rootfs is reused)
list    Shows every purple image on the engine and whether it is current, stale or the latest alias.
prune   Removes stale purple images (older recipes) that no container uses.`;

export const imagesCommand: Command = {
  name: 'images',
  summary: 'build or list the victim and sink container images',
  usage,
  async run(args) {
    const [action, ...rest] = args;
    if (action === 'build') return build(rest);
    if (action === 'list' || action === 'prune') {
      if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
      return action === 'list' ? list() : prune();
    }
    throw new UsageError(action ? `unknown action "${action}"` : 'missing action (build, list or prune)');
  },
};

async function build(args: string[]): Promise<number> {
  let force: boolean;
  try {
    force = parseArgs({ args, options: { force: { type: 'boolean', default: false } } }).values.force!;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  let result;
  try {
    result = await ensureImages({ force, onProgress: (line) => console.log(line) });
  } catch (err) {
    if (err instanceof EnvironmentError) throw err;
    throw new EnvironmentError(`image build failed: ${(err as Error).message}`);
  }
  for (const image of result.images) console.log(`${image.ref}  ${image.built ? `built in ${image.seconds.toFixed(1)}s` : 'current'}`);
  console.log(`images ready in ${result.seconds.toFixed(1)}s`);
  return EXIT.ok;
}

async function list(): Promise<number> {
  const rows = await listImages();
  if (rows.length === 0) {
    console.log('no purple images: run `purple images build`');
    return EXIT.ok;
  }
  const header = ['IMAGE', 'TAG', 'ID', 'CREATED', 'SIZE', 'STATUS'];
  const table = rows.map((r) => [
    `purple/${r.name}`,
    r.tag,
    r.id,
    r.created.toISOString().replace('T', ' ').slice(0, 19),
    `${(r.sizeBytes / 1024 ** 2).toFixed(0)} MB`,
    r.status,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  for (const row of [header, ...table]) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
  return EXIT.ok;
}

async function prune(): Promise<number> {
  const removed = await pruneStaleImages();
  for (const ref of removed) console.log(`removed ${ref}`);
  console.log(removed.length ? `${removed.length} stale image tag(s) removed` : 'no stale purple images');
  return EXIT.ok;
}
