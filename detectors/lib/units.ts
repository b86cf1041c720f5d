// Detectors read sizes and durations with the project's one parser (harness/shared/units.ts).
export * from '../../harness/shared/units.js';
