import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root: the nearest ancestor of this module holding containers/images (works from src and dist). */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'containers', 'images'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`purple: cannot find containers/images above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const repoRoot = findRepoRoot();
export const imagesDir = join(repoRoot, 'containers', 'images');
export const provisionScript = join(repoRoot, 'containers', 'provision.sh');

/** Build caches (debootstrap tarball, downloaded .debs, build lock). Override with PURPLE_CACHE_DIR. */
export function cacheDir(): string {
  return resolve(process.env.PURPLE_CACHE_DIR ?? join(repoRoot, '.cache', 'purple'));
}
