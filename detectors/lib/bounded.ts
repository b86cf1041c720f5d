// Time- and size-bounded maps (harness/shared/bounded.ts).
export * from '../../harness/shared/bounded.js';
