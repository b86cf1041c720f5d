// The two kinds of failure every layer may raise; the CLI maps them to exit codes (see harness/cli/command.ts).

/** A mistake in how purple was called or configured: exit 2. */
export class UsageError extends Error {}

/** The host is not ready (daemon missing, image absent...): exit 3, with the fix in the message. */
export class EnvironmentError extends Error {}
