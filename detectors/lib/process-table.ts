// Detectors follow processes with the event layer's process table (harness/events/process-table.ts).
export * from '../../harness/events/process-table.js';
