import { spawn } from 'node:child_process';
import type Dockerode from 'dockerode';
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { docker, requireDocker } from './docker.js';
import { withLockFile } from './lock.js';
import { cacheDir as defaultCacheDir, imagesDir as defaultImagesDir } from './paths.js';
import { IMAGE_NAMES, IMAGE_REPO_PREFIX, type ImageName, recipeFiles, recipeHashes } from './recipes.js';

export { imageRef, imageForRole, recipeHashes, IMAGE_NAMES, type ImageName, type ImageRole } from './recipes.js';

/** Labels on every image purple builds; `purple images list` and cleanup go by these. */
export const LABEL_IMAGE = 'purple.image';
export const LABEL_RECIPE = 'purple.recipe';
/** On the victim image: the public half of the key pair baked into it (the sink accepts it). */
export const LABEL_SSH_PUBKEY = 'purple.ssh-pubkey';

export interface EnsureImagesOptions {
  /** Rebuild even when the current tag exists (the cached debootstrap tarball is still reused). */
  force?: boolean;
  onProgress?: (line: string) => void;
  imagesDir?: string;
  cacheDir?: string;
}

export interface EnsuredImage {
  name: ImageName;
  ref: string;
  built: boolean;
  seconds: number;
}

export interface EnsureImagesResult {
  images: EnsuredImage[];
  seconds: number;
}

async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker().getImage(ref).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/**
 * Makes sure purple/base, purple/victim and purple/sink exist at their current recipe hash,
 * building only what is missing (or everything with `force`). Safe to call concurrently:
 * builds are serialised by a lock file in the cache dir.
 */
export async function ensureImages(options: EnsureImagesOptions = {}): Promise<EnsureImagesResult> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const imagesDir = options.imagesDir ?? defaultImagesDir;
  const cache = options.cacheDir ?? defaultCacheDir();
  await requireDocker();
  const hashes = recipeHashes(imagesDir);
  const ref = (name: ImageName): string => `${IMAGE_REPO_PREFIX}${name}:${hashes[name]}`;

  const images = await withLockFile(
    join(cache, 'build.lock'),
    async () => {
      removeLeftovers(cache);
      const done: EnsuredImage[] = [];
      for (const name of IMAGE_NAMES) {
        const t0 = Date.now();
        if (!options.force && (await imageExists(ref(name)))) {
          progress(`${name}: ${ref(name)} is current`);
          done.push({ name, ref: ref(name), built: false, seconds: 0 });
          continue;
        }
        progress(`${name}: building ${ref(name)}`);
        const previousId = options.force ? await imageId(ref(name)) : undefined;
        const context: BuildContext = { name, imagesDir, cache, hashes, ref, progress };
        if (name === 'base') await buildBase(context);
        else await buildLayer(context);
        await docker().getImage(ref(name)).tag({ repo: `${IMAGE_REPO_PREFIX}${name}`, tag: 'latest' });
        if (previousId) await removeIfOrphaned(previousId);
        const seconds = (Date.now() - t0) / 1000;
        progress(`${name}: built ${ref(name)} in ${seconds.toFixed(1)}s`);
        done.push({ name, ref: ref(name), built: true, seconds });
      }
      return done;
    },
    { onWait: (pid) => progress(`waiting for another image build to finish (pid ${pid})`) },
  );
  return { images, seconds: (Date.now() - started) / 1000 };
}

/** Work dirs of builds that were killed (we hold the lock, so no live build owns any). */
function removeLeftovers(cache: string): void {
  if (!existsSync(cache)) return;
  for (const entry of readdirSync(cache)) {
    if (/^(rootfs\.|ctx-)/.test(entry)) rmSync(join(cache, entry), { recursive: true, force: true });
  }
}

async function imageId(ref: string): Promise<string | undefined> {
  try {
    return (await docker().getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** After a forced rebuild: drop the replaced image if it was ours and nothing tags or uses it any more. */
async function removeIfOrphaned(id: string): Promise<void> {
  try {
    const info = await docker().getImage(id).inspect();
    if (info.RepoTags?.length || !info.Config?.Labels?.[LABEL_IMAGE]) return;
    await docker().getImage(id).remove();
  } catch {
    /* still in use by a container, or already gone: leave it */
  }
}

interface BuildContext {
  name: ImageName;
  imagesDir: string;
  cache: string;
  hashes: Record<ImageName, string>;
  ref: (name: ImageName) => string;
  progress: (line: string) => void;
}

/** Base: debootstrap rootfs tarball (cached per base hash), then `docker import`. */
async function buildBase(c: BuildContext): Promise<void> {
  mkdirSync(c.cache, { recursive: true });
  const tarball = join(c.cache, `base-${c.hashes.base}.tar`);
  if (existsSync(tarball)) {
    c.progress(`base: reusing cached rootfs ${tarball}`);
  } else {
    await runBuildRootfs(c, tarball);
  }
  c.progress('base: docker import');
  const stream = await docker().importImage(createReadStream(tarball) as unknown as string, {
    repo: `${IMAGE_REPO_PREFIX}base`,
    tag: c.hashes.base,
    changes: [`LABEL ${LABEL_IMAGE}=base ${LABEL_RECIPE}=${c.hashes.base}`, 'CMD ["/bin/bash"]'],
  });
  await followDockerStream(stream, () => {});
  // One rootfs tarball is enough (~190 MB each): drop those of older base recipes.
  for (const entry of readdirSync(c.cache)) {
    if (/^base-[0-9a-f]+\.tar$/.test(entry) && entry !== `base-${c.hashes.base}.tar`) rmSync(join(c.cache, entry), { force: true });
  }
}

/** Runs containers/images/base/build-rootfs.sh, condensing debootstrap's per-package lines into stage lines. */
function runBuildRootfs(c: BuildContext, tarball: string): Promise<void> {
  const script = join(c.imagesDir, 'base', 'build-rootfs.sh');
  const child = spawn('bash', [script, tarball, join(c.cache, 'debs')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  let stage = '';
  let count = 0;
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    const perPackage = /^I: (Retrieving|Validating|Extracting|Unpacking|Configuring) /.exec(line);
    if (perPackage) {
      const verb = perPackage[1] === 'Validating' ? 'Retrieving' : perPackage[1]!;
      if (verb !== stage) {
        if (stage) c.progress(`base: debootstrap ${stage.toLowerCase()} done (${count})`);
        stage = verb;
        count = 0;
        c.progress(`base: debootstrap ${stage.toLowerCase()} packages…`);
      }
      if (perPackage[1] !== 'Validating') count++;
      return;
    }
    c.progress(`base: ${line.replace(/^I: /, '')}`);
  };
  createInterface({ input: child.stdout }).on('line', onLine);
  createInterface({ input: child.stderr }).on('line', onLine);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolve();
      reject(new Error(`${script} failed (exit ${code}); last output:\n${tail.join('\n')}`));
    });
  });
}

/** victim / sink: a Dockerfile on top of the base, built with no network from a prepared context. */
async function buildLayer(c: BuildContext): Promise<void> {
  const contextDir = mkdtempSync(join(c.cache, `ctx-${c.name}-`));
  try {
    cpSync(join(c.imagesDir, c.name), contextDir, { recursive: true });
    const generated = join(contextDir, 'generated');
    mkdirSync(generated);
    const labels: Record<string, string> = { [LABEL_IMAGE]: c.name, [LABEL_RECIPE]: c.hashes[c.name] };
    if (c.name === 'victim') {
      labels[LABEL_SSH_PUBKEY] = await generateKeyPair(join(generated, 'id_ed25519'));
    } else if (c.name === 'sink') {
      const victim = await docker().getImage(c.ref('victim')).inspect();
      const pubkey = victim.Config?.Labels?.[LABEL_SSH_PUBKEY];
      if (!pubkey) throw new Error(`${c.ref('victim')} has no ${LABEL_SSH_PUBKEY} label; rebuild with \`purple images build --force\``);
      writeFileSync(join(generated, 'authorized_keys'), `${pubkey}\n`, { mode: 0o600 });
    }
    const stream = await docker().buildImage(
      { context: contextDir, src: recipeFiles(contextDir) },
      {
        t: c.ref(c.name),
        buildargs: { BASE: c.ref('base') },
        labels,
        rm: true,
        forcerm: true,
        networkmode: 'none',
      },
    );
    await followDockerStream(stream, (line) => {
      if (/^Step \d+\/\d+ : /.test(line)) c.progress(`${c.name}: ${line.length > 110 ? `${line.slice(0, 109)}…` : line}`);
    });
    if (!(await imageExists(c.ref(c.name)))) throw new Error(`docker build finished but ${c.ref(c.name)} does not exist`);
  } finally {
    rmSync(contextDir, { recursive: true, force: true });
  }
}

/** ssh-keygen an unencrypted ed25519 pair at `path` / `path`.pub; returns the public key line. */
function generateKeyPair(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'purple-victim', '-f', path], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', (err) =>
      reject(new Error(`ssh-keygen not runnable (${err.message}): run \`sudo bash containers/provision.sh\``)),
    );
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`ssh-keygen failed (exit ${code}): ${stderr.trim()}`));
      resolve(readFileSync(`${path}.pub`, 'utf8').trim());
    });
  });
}

interface DockerStreamEvent {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Consumes a build/import progress stream; rejects on the first error event with the recent output. */
function followDockerStream(stream: NodeJS.ReadableStream, onLine: (line: string) => void): Promise<void> {
  const tail: string[] = [];
  return new Promise((resolve, reject) => {
    docker().modem.followProgress(
      stream,
      (err: Error | null, events: DockerStreamEvent[]) => {
        if (err) return reject(err);
        const failed = events.find((e) => e.error);
        if (failed) {
          return reject(new Error(`${failed.errorDetail?.message ?? failed.error}\n${tail.join('\n')}`));
        }
        resolve();
      },
      (event: DockerStreamEvent) => {
        for (const line of (event.stream ?? event.status ?? '').split('\n')) {
          const trimmed = line.trimEnd();
          if (!trimmed) continue;
          tail.push(trimmed);
          if (tail.length > 30) tail.shift();
          onLine(trimmed);
        }
      },
    );
  });
}

export interface ListedImage {
  name: string;
  tag: string;
  id: string;
  created: Date;
  sizeBytes: number;
  /** current: tag is the recipe hash in this checkout; latest: the convenience alias; stale: an older recipe. */
  status: 'current' | 'latest' | 'stale';
}

/**
 * Every tag of purple's own images on the engine (purple/base, purple/victim, purple/sink), current or
 * stale. Other images carrying purple's labels are not purple's: an image built FROM purple/base
 * inherits them.
 */
export async function listImages(imagesDir: string = defaultImagesDir): Promise<ListedImage[]> {
  await requireDocker();
  const hashes = recipeHashes(imagesDir);
  const found = await docker().listImages({ filters: { label: [LABEL_IMAGE] } });
  const rows: ListedImage[] = [];
  for (const image of found) {
    for (const repoTag of image.RepoTags ?? []) {
      const [repo = '', tag = ''] = splitRepoTag(repoTag);
      const name = repo.startsWith(IMAGE_REPO_PREFIX) ? repo.slice(IMAGE_REPO_PREFIX.length) : repo;
      if (!repo.startsWith(IMAGE_REPO_PREFIX) || !(IMAGE_NAMES as readonly string[]).includes(name)) continue;
      const status =
        tag === 'latest' ? 'latest' : (IMAGE_NAMES as readonly string[]).includes(name) && hashes[name as ImageName] === tag ? 'current' : 'stale';
      rows.push({ name, tag, id: image.Id.replace(/^sha256:/, '').slice(0, 12), created: new Date(image.Created * 1000), sizeBytes: image.Size, status });
    }
  }
  const order = (r: ListedImage): number => {
    const i = (IMAGE_NAMES as readonly string[]).indexOf(r.name);
    return i < 0 ? IMAGE_NAMES.length : i;
  };
  return rows.sort((a, b) => order(a) - order(b) || b.created.getTime() - a.created.getTime());
}

function splitRepoTag(repoTag: string): [string, string] {
  const i = repoTag.lastIndexOf(':');
  return i < 0 ? [repoTag, ''] : [repoTag.slice(0, i), repoTag.slice(i + 1)];
}

/**
 * Removes the tags purple's older recipes left (purple/<name>:<old hash>) that no container uses;
 * the image goes with its last tag. Returns the tags removed. No other image or tag is touched.
 */
export async function pruneStaleImages(imagesDir: string = defaultImagesDir): Promise<string[]> {
  const rows = await listImages(imagesDir);
  const removed: string[] = [];
  for (const row of rows) {
    if (row.status !== 'stale') continue;
    const ref = `${IMAGE_REPO_PREFIX}${row.name}:${row.tag}`;
    try {
      // Removing a tag only untags the image while another tag (a current one) still names it.
      await docker().getImage(ref).remove();
      removed.push(ref);
    } catch (err) {
      // 409: a container still uses it; 404: gone since the listing (another prune)
      if (![404, 409].includes((err as { statusCode?: number }).statusCode ?? 0)) throw err;
    }
  }
  return removed;
}

/** Images that must exist for a run: each name with its current ref and whether it is present. */
export async function imagesCurrent(imagesDir: string = defaultImagesDir): Promise<{ name: ImageName; ref: string; present: boolean }[]> {
  const hashes = recipeHashes(imagesDir);
  return Promise.all(
    IMAGE_NAMES.map(async (name) => {
      const ref = `${IMAGE_REPO_PREFIX}${name}:${hashes[name]}`;
      return { name, ref, present: await imageExists(ref) };
    }),
  );
}


/**
 * Makes another engine (a remote one, over SSH) hold the current images: built here first when
 * needed, then streamed `docker save` -> `docker load`, only those it lacks. Tags and labels travel
 * with the images, so the other engine needs no registry, debootstrap or recipe of its own.
 */
export async function copyImagesTo(
  target: Dockerode,
  where: string,
  options: EnsureImagesOptions = {},
): Promise<{ copied: string[]; seconds: number }> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => {});
  const hashes = recipeHashes(options.imagesDir ?? defaultImagesDir);
  const refs = IMAGE_NAMES.map((name) => `${IMAGE_REPO_PREFIX}${name}:${hashes[name]}`);
  const missing: string[] = [];
  for (const ref of refs) {
    try {
      await target.getImage(ref).inspect();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
      missing.push(ref);
    }
  }
  if (missing.length === 0) return { copied: [], seconds: (Date.now() - started) / 1000 };
  await ensureImages(options);
  for (const ref of missing) {
    progress(`copying ${ref} from this machine's engine`);
    const saved = await docker().getImage(ref).get();
    const response = await target.loadImage(saved, { quiet: true });
    const output = await new Promise<string>((resolve, reject) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text = (text + chunk.toString('utf8')).slice(-4000)));
      response.on('end', () => resolve(text));
      response.on('error', reject);
      saved.on('error', reject);
    });
    const failure = /"error(?:Detail)?":\s*(?:\{"message":)?"([^"]+)"/.exec(output);
    if (failure) throw new Error(`${where}: loading ${ref} failed: ${failure[1]}`);
    await target.getImage(ref).inspect().catch(() => {
      throw new Error(`${where}: ${ref} is still missing after docker load (${output.trim().slice(0, 200)})`);
    });
  }
  progress(`images current (${missing.length} copied in ${((Date.now() - started) / 1000).toFixed(1)}s)`);
  return { copied: missing, seconds: (Date.now() - started) / 1000 };
}
