// Where one scenario runs: its roles (containers, or the one plain host), how its payloads get
// there, how a step is started and which pids root the attribution of its processes, how a
// created file's content is read, and how everything is removed again. scenario-run.ts only
// talks to this interface; DockerEnvironment and SshHostTarget implement it.
import type { FileArtifact } from '../telemetry/types.js';
import type { Launch, Role } from '../scenario/types.js';
import type { AccountFiles } from '../events/users.js';
import type { PhaseClock } from './phases.js';

export interface StepRequest {
  role: Role;
  user: string;
  launch: Launch;
  argv: string[];
  env: Record<string, string>;
  timeoutMs: number;
  /** Unique within the scenario, names the step's own files (cron jobs). */
  tag: string;
  signal?: AbortSignal;
  /**
   * Called with the step's top pid once it is known and before the step's command starts, so
   * the audit collector can attribute every process the step creates.
   */
  onPid?: (pid: number) => void;
}

export interface StepResult {
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  pid: number | null;
}

export interface ScenarioTarget {
  /** `docker://<engine host>` or `ssh://user@host:port`: what the report names as the target. */
  readonly uri: string;
  /** Prefix of every path the scenario writes ({{workdir}}): '' in containers, the private dir on a host. */
  readonly workdir: string;
  /** Where the scenario folder is copied; the `script:` of a step is run from there. */
  readonly payloadDir: string;
  /** Creates the roles; `clock` gets the time of its phases (network, containers, daemons) when the target tells them apart. */
  start(roles: Role[], clock?: PhaseClock): Promise<void>;
  has(role: Role): boolean;
  addresses(): Partial<Record<Role, string>>;
  /** The host name alerts carry for telemetry of this role. */
  hostName(role: Role): string;
  /** Pids whose descendants belong to the role from its start (containers); steps add their own via onPid. */
  attributionRoots(role: Role): number[];
  copyScenario(directory: string): Promise<void>;
  launch(request: StepRequest): Promise<StepResult>;
  /**
   * Reads files the role's processes created (as they saw their paths), inside the role's root with no symlink
   * followed, bounded in bytes and by `signal` (harness/telemetry/safe-read.ts). Files that are gone are left
   * out; a refused or cut read is an artifact saying why (`unread`).
   */
  readArtifacts(role: Role, paths: string[], signal?: AbortSignal): Promise<Map<string, FileArtifact>>;
  /** The victim's passwd and group, as text: user names in telemetry and checks are the target's own. */
  accounts(): Promise<AccountFiles>;
  /** User name -> uid on the victim, when the target knows it better than the image defaults. */
  users?(): Record<string, number>;
  /** Removes everything the scenario created on the target; returns what could not be removed. */
  teardown(): Promise<string[]>;
}
