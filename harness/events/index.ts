// The event-meaning layer: what an audit event says (facts), who did it (process table, user directory), and what
// each consumer needs from the audit trail (needs). Built on harness/audit (parsing); read by collectors, telemetry
// checks, detectors and replay.
export * from './facts.js';
export * from './needs.js';
export * from './paths.js';
export * from './process-table.js';
export * from './transfer-args.js';
export * from './users.js';
