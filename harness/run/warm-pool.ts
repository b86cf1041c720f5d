// The targets of the next scenarios, prepared while the current ones run, and the removal of
// finished ones without making the next scenario wait. Each prepared target belongs to one
// scenario run (its slug names its network and containers) and is never shared: a scenario
// still gets fresh containers on its own network, only sooner. Whatever nobody took is removed
// by drain(), which the suite calls when its scenarios end, fail or are interrupted; a killed run's
// leftovers carry its run label as before (`purple cleanup`).
import type { Role, Scenario } from '../scenario/types.js';
import { payloadDirs } from '../scenario/loader.js';
import type { ScenarioTarget, StepRequest, StepResult } from './target.js';
import { PhaseClock } from './phases.js';
import type { FileArtifact } from '../telemetry/types.js';
import type { AccountFiles } from '../events/users.js';

export class WarmPool {
  private readonly prepared = new Map<string, PooledTarget>();
  private readonly removals = new Map<string, Promise<string[]>>();

  constructor(private readonly create: (slug: string) => ScenarioTarget) {}

  /** Starts preparing the target of `slug` (its roles, then its payloads), unless it already is. */
  prepare(slug: string, scenario: Scenario): void {
    if (this.prepared.has(slug) || this.removals.has(slug)) return;
    this.prepared.set(slug, new PooledTarget(() => this.create(slug), scenario, (removal) => this.removals.set(slug, removal)));
  }

  /** The target of `slug`: the one prepared for it (taken out of the pool), or a fresh one started on demand. */
  take(slug: string): ScenarioTarget {
    const ready = this.prepared.get(slug);
    this.prepared.delete(slug);
    return ready ?? new PooledTarget(() => this.create(slug), undefined, (removal) => this.removals.set(slug, removal));
  }

  /** What removing the target of `slug` failed to remove, once its removal (started by its teardown) is done. */
  removed(slug: string): Promise<string[]> {
    return this.removals.get(slug) ?? Promise.resolve([]);
  }

  /**
   * Removes every prepared target nobody took and waits for every removal under way; returns what
   * failed for the unused ones (a scenario's own removal failures are charged to it, WarmPool.removed).
   */
  async drain(): Promise<string[]> {
    const unused = [...this.prepared.keys()];
    for (const target of this.prepared.values()) void target.teardown();
    this.prepared.clear();
    await Promise.all(this.removals.values());
    return (await Promise.all(unused.map((slug) => this.removed(slug)))).flat();
  }
}

/**
 * A target whose start (and payload copy) may have begun before its scenario did, and whose
 * teardown hands the removal to the pool: the scenario's result does not wait for Docker to remove
 * its containers, the suite does (WarmPool.removed, WarmPool.drain).
 */
class PooledTarget implements ScenarioTarget {
  private inner: ScenarioTarget;
  private readonly ahead = new PhaseClock();
  private readonly early: Promise<void> | undefined;
  private readonly copied = new Set<string>();
  private torn = false;

  constructor(
    private readonly create: () => ScenarioTarget,
    scenario: Scenario | undefined,
    private readonly onRemoval: (removal: Promise<string[]>) => void,
  ) {
    const inner = (this.inner = create());
    if (scenario) {
      this.early = (async () => {
        await inner.start(scenario.containers, this.ahead);
        await this.ahead.time('payloads', async () => {
          for (const dir of payloadDirs(scenario)) {
            await inner.copyScenario(dir);
            this.copied.add(dir);
          }
        });
      })();
      this.early.catch(() => undefined); // looked at when the scenario starts, or by drain()
    }
  }

  get uri(): string {
    return this.inner.uri;
  }
  get workdir(): string {
    return this.inner.workdir;
  }
  get payloadDir(): string {
    return this.inner.payloadDir;
  }

  async start(roles: Role[], clock?: PhaseClock): Promise<void> {
    if (this.early) {
      const failed = await (clock ?? this.ahead).time('prepared', () => this.early!.then(() => false, () => true));
      if (clock) clock.ahead = this.ahead.phases();
      if (!failed) return;
      // Prepared ahead but it failed (a Docker hiccup, no free subnet yet): start afresh, as without the pool.
      this.copied.clear();
      const leftovers = await this.inner.teardown();
      if (leftovers.length) throw new Error(`cleanup: ${leftovers.join('; ')}`);
      this.inner = this.create();
    }
    await this.inner.start(roles, clock);
  }

  copyScenario(directory: string): Promise<void> {
    return this.copied.has(directory) ? Promise.resolve() : this.inner.copyScenario(directory);
  }

  has(role: Role): boolean {
    return !this.torn && this.inner.has(role);
  }
  addresses(): Partial<Record<Role, string>> {
    return this.inner.addresses();
  }
  hostName(role: Role): string {
    return this.inner.hostName(role);
  }
  attributionRoots(role: Role): number[] {
    return this.inner.attributionRoots(role);
  }
  launch(request: StepRequest): Promise<StepResult> {
    return this.inner.launch(request);
  }
  readArtifacts(role: Role, paths: string[], signal?: AbortSignal): Promise<Map<string, FileArtifact>> {
    return this.inner.readArtifacts(role, paths, signal);
  }
  accounts(): Promise<AccountFiles> {
    return this.inner.accounts();
  }
  users(): Record<string, number> {
    return this.inner.users?.() ?? {};
  }

  /** Starts the removal (after a start begun early has settled) and returns at once: the pool keeps the promise. */
  async teardown(): Promise<string[]> {
    if (this.torn) return [];
    this.torn = true;
    const inner = this.inner;
    const removal = (async () => {
      await this.early?.catch(() => undefined);
      return inner.teardown();
    })().catch((err: unknown) => [String((err as Error)?.message ?? err)]);
    this.onRemoval(removal);
    return [];
  }
}
