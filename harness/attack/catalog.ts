// The ATT&CK objects purple validates against. Names and ids come only from the vendored
// MITRE data file (detectors/attack-data.json, a verbatim copy of shared/attack/analytics.json).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ATTACK_DATA_PATH = fileURLToPath(new URL('../../../detectors/attack-data.json', import.meta.url));

export interface TechniqueRef {
  id: string; // T1560.003
  name: string;
  stixId: string;
  /** Tactic shortnames in the primary (newest) ATT&CK version in the file. */
  tactics: string[];
  /** Tactic shortnames per ATT&CK version, e.g. { v19: ['stealth'], v18_1: ['defense-evasion'] }. */
  tacticsByVersion: Record<string, string[]>;
}

export interface AnalyticRef {
  id: string; // AN1214
  name: string;
  stixId: string;
  description: string;
  url: string | null;
  platforms: string[];
  detectionStrategy: { id: string; name: string; stixId: string };
  techniques: TechniqueRef[];
  logSources: { name: string; channel: string; dataComponent: string; dataComponentId: string }[];
  mutableElements: { field: string; description: string }[];
}

interface RawIndexEntry {
  stix_id: string;
  name: string;
  platforms: string[];
  detection_strategy: { external_id: string; name: string; stix_id: string };
  detects: { external_id: string; name: string; stix_id: string; [k: string]: unknown }[];
  log_sources: { name: string; channel: string; data_component: string; data_component_external_id: string }[];
  mutable_elements: string[];
}

interface RawAnalytic {
  id: string;
  description: string;
  external_references: { source_name: string; url?: string; external_id?: string }[];
  x_mitre_mutable_elements?: { field: string; description: string }[];
}

let cached: Map<string, AnalyticRef> | undefined;

export function loadCatalog(file = ATTACK_DATA_PATH): Map<string, AnalyticRef> {
  if (cached && file === ATTACK_DATA_PATH) return cached;
  let data: { _index: Record<string, RawIndexEntry>; analytics: RawAnalytic[] };
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the ATT&CK data file ${path.relative(process.cwd(), file)}: ${(err as Error).message}`);
  }
  const catalog = new Map<string, AnalyticRef>();
  for (const [id, entry] of Object.entries(data._index)) {
    const raw = data.analytics.find((a) => a.id === entry.stix_id);
    catalog.set(id, {
      id,
      name: entry.name,
      stixId: entry.stix_id,
      description: raw?.description ?? '',
      url: raw?.external_references.find((r) => r.source_name === 'mitre-attack')?.url ?? null,
      platforms: entry.platforms,
      detectionStrategy: {
        id: entry.detection_strategy.external_id,
        name: entry.detection_strategy.name,
        stixId: entry.detection_strategy.stix_id,
      },
      techniques: entry.detects.map((t) => {
        const tacticsByVersion: Record<string, string[]> = {};
        for (const [k, v] of Object.entries(t)) {
          const m = /^tactics_(.+)$/.exec(k);
          if (m && Array.isArray(v)) tacticsByVersion[m[1]!] = v as string[];
        }
        const versions = Object.keys(tacticsByVersion).sort(compareVersionsDesc);
        return {
          id: t.external_id,
          name: t.name,
          stixId: t.stix_id,
          tactics: versions.length ? tacticsByVersion[versions[0]!]! : [],
          tacticsByVersion,
        };
      }),
      logSources: entry.log_sources.map((s) => ({
        name: s.name,
        channel: s.channel,
        dataComponent: s.data_component,
        dataComponentId: s.data_component_external_id,
      })),
      mutableElements:
        raw?.x_mitre_mutable_elements ?? entry.mutable_elements.map((field) => ({ field, description: '' })),
    });
  }
  if (file === ATTACK_DATA_PATH) cached = catalog;
  return catalog;
}

/** The analytic with this external id (AN1214...), or an error naming the ids that exist. */
export function analytic(id: string): AnalyticRef {
  const catalog = loadCatalog();
  const found = catalog.get(id);
  if (!found) throw new Error(`unknown ATT&CK analytic ${id}; known: ${[...catalog.keys()].join(', ')}`);
  return found;
}

function compareVersionsDesc(a: string, b: string): number {
  const num = (v: string) => Number(v.replace(/^v/, '').replace('_', '.'));
  return num(b) - num(a);
}
