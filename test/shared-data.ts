// The workplace's shared test data (public audit logs, MITRE's ATT&CK objects): ../shared next to the
// checkout, or PURPLE_SHARED_DIR. Read in place, never copied into the project.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function findSharedDir(): string {
  const dir = path.resolve(process.env.PURPLE_SHARED_DIR ?? path.join(repoRoot, '..', 'shared'));
  if (!existsSync(path.join(dir, 'auditd-corpus'))) {
    throw new Error(`the shared test data is not at ${dir} (expected auditd-corpus/ and attack/ there): clone next to it, or set PURPLE_SHARED_DIR`);
  }
  return dir;
}

export const sharedDir = findSharedDir();
export const auditCorpusDir = path.join(sharedDir, 'auditd-corpus');
export const sharedAttackData = path.join(sharedDir, 'attack', 'analytics.json');
/** Sigma: the specification with its JSON Schemas, and the public SigmaHQ Linux rules (Detection Rule License). */
export const sigmaSpecDir = path.join(sharedDir, 'sigma', 'spec');
export const sigmaRulesDir = path.join(sharedDir, 'sigma', 'rules');
