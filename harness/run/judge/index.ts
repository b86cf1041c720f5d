// The one place a run is judged: verdicts grouped per expectation, outcomes, coverage claimed only from
// what ran, regressions against a baseline, waivers, and the exit code. Scoring a single scenario's
// alerts into verdicts is ../scoring.ts; reports/ only renders what this module decides.
export * from './groups.js';
export * from './coverage.js';
export * from './baseline.js';
export * from './waivers.js';
export * from './exit.js';
export * from './summary.js';
export * from './explain.js';
