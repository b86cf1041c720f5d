// Detectors match thresholds with the event layer's path helpers (harness/events/paths.ts).
export * from '../../harness/events/paths.js';
