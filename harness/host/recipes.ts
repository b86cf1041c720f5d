import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { imagesDir as defaultImagesDir } from './paths.js';

export const IMAGE_NAMES = ['base', 'victim', 'sink'] as const;
export type ImageName = (typeof IMAGE_NAMES)[number];

/**
 * What each image is built from. The sink also depends on the victim: it bakes in the public half
 * of the key pair generated for the victim, so a new victim always gets a matching sink.
 */
export const IMAGE_PARENTS: Record<ImageName, readonly ImageName[]> = {
  base: [],
  victim: ['base'],
  sink: ['base', 'victim'],
};

export const IMAGE_REPO_PREFIX = 'purple/';

/** Every file of a recipe folder, as paths relative to it, sorted. */
export function recipeFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return files.sort();
}

/**
 * Content hash of every image recipe: the files under <imagesDir>/<name>/ (path, executable bit,
 * content) plus the hashes of its parents. 12 hex digits, used as the image tag.
 */
export function recipeHashes(imagesDir: string = defaultImagesDir): Record<ImageName, string> {
  const hashes = {} as Record<ImageName, string>;
  for (const name of IMAGE_NAMES) {
    const dir = join(imagesDir, name);
    const h = createHash('sha256').update(`purple-image ${name}\n`);
    for (const parent of IMAGE_PARENTS[name]) h.update(`parent ${parent} ${hashes[parent]}\n`);
    let files: string[];
    try {
      files = recipeFiles(dir);
    } catch (err) {
      throw new Error(`image recipe folder ${dir} is unreadable: ${(err as Error).message}`);
    }
    if (files.length === 0) throw new Error(`image recipe folder ${dir} is empty`);
    for (const file of files) {
      const full = join(dir, file);
      const executable = (statSync(full).mode & 0o111) !== 0;
      const content = createHash('sha256').update(readFileSync(full)).digest('hex');
      h.update(`file ${file} ${executable ? 'x' : '-'} ${content}\n`);
    }
    hashes[name] = h.digest('hex').slice(0, 12);
  }
  return hashes;
}

/** A role a container plays in a run; the trusted backup host runs the sink image. */
export type ImageRole = ImageName | 'trusted';

/**
 * The sockets each image's init opens (containers/images/sink/purple-init: sshd, vsftpd, tftpd), as
 * `tcp/<port>` or `udp/<port>`: a scenario's steps start only once they are all bound.
 */
export const IMAGE_DAEMONS: Record<ImageName, readonly string[]> = {
  base: [],
  victim: [],
  sink: ['tcp/22', 'tcp/21', 'udp/69'],
};

export function imageForRole(role: ImageRole): ImageName {
  return role === 'trusted' ? 'sink' : role;
}

/** The image reference the run must use, e.g. imageRef('victim') → 'purple/victim:3f2a9c0d1e4b'. */
export function imageRef(role: ImageRole, imagesDir: string = defaultImagesDir): string {
  const name = imageForRole(role);
  return `${IMAGE_REPO_PREFIX}${name}:${recipeHashes(imagesDir)[name]}`;
}
