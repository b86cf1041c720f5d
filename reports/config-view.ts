// The configuration in force, for people: human units (MB, s, bits/byte), and each value that differs from
// the detector's default marked, next to that default (recorded in report.json by the run that used it).
import type { RunReport } from '../harness/run/results.js';
import { formatDuration, formatSize } from '../detectors/lib/units.js';

export interface ConfigRow {
  analytic: string;
  setting: string;
  value: string;
  /** The default in human units, or "unknown" for a report written before defaults were recorded. */
  defaultValue: string;
  changed: boolean;
}

export function configRows(report: RunReport): ConfigRow[] {
  const defaults = report.config.defaults;
  return Object.entries(report.config.thresholds).flatMap(([analytic, values]) =>
    Object.entries(values).map(([setting, value]) => {
      const known = defaults?.[analytic] !== undefined && Object.hasOwn(defaults[analytic]!, setting);
      const def = known ? defaults![analytic]![setting] : undefined;
      return {
        analytic,
        setting,
        value: humanValue(setting, value),
        defaultValue: known ? humanValue(setting, def) : 'unknown',
        changed: known && JSON.stringify(def) !== JSON.stringify(value),
      };
    }),
  );
}

/** What the run set differently from the defaults, one line each: "AN1170 TransferSizeThreshold: 1.00 GB (... bytes), default 10.0 MB (...)". */
export function changedSettings(report: RunReport): string[] {
  const lines = configRows(report).filter((r) => r.changed).map((r) => `${r.analytic} ${r.setting}: ${r.value}; default ${r.defaultValue}`);
  if (report.config.trustedCidrs.length) lines.push(`trusted_cidrs: ${report.config.trustedCidrs.join(', ')}; default none`);
  if (report.config.standardUsers.length) lines.push(`standard_users: ${report.config.standardUsers.join(', ')}; default none`);
  return lines;
}

/** 10485760 → "10.0 MB (10485760 bytes)", 86400 → "24h 0m", ["a","b"] → "a, b". */
export function humanValue(setting: string, value: unknown): string {
  if (typeof value === 'number') {
    if (/MB$/.test(setting)) return `${value} MB`;
    if (/Size|Bytes/.test(setting)) return `${formatSize(value)} (${value} bytes)`;
    if (/TimeWindow|Seconds/.test(setting)) return `${formatDuration(value * 1000)} (${value} s)`;
    if (/Entropy/.test(setting)) return `${value} bits/byte`;
    return String(value);
  }
  if (Array.isArray(value)) return value.length ? value.map(String).join(', ') : '(none)';
  if (value && typeof value === 'object') {
    return Object.entries(value).map(([k, v]) => `${k}: ${humanValue(k, v)}`).join('; ');
  }
  return String(value);
}
