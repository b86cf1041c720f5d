// Detectors resolve user names against the directory of the host the events came from (harness/events/users.ts),
// handed to them by the engine; there is no module-global passwd.
export * from '../../harness/events/users.js';
