import type { AnalyticRef } from '../../harness/attack/catalog.js';
import type { Alert } from '../types.js';

/** The ATT&CK part of an alert, from the catalog. */
export function attackFields(ref: AnalyticRef): Pick<Alert, 'analytic' | 'detectionStrategy' | 'technique'> {
  const technique = ref.techniques[0];
  if (!technique) throw new Error(`analytic ${ref.id} detects no technique in the ATT&CK data`);
  return { analytic: ref.id, detectionStrategy: ref.detectionStrategy.id, technique: technique.id };
}
