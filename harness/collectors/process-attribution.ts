// Attributes host-audited processes to the containers of a run by descent: a container's
// processes all descend from its containerd shim, and every SYSCALL record carries pid and
// ppid, while fork/clone events carry the child's pid as their exit value.
import type { AuditEvent } from '../audit/event.js';
import { forkedChild } from '../events/facts.js';

export interface Owner {
  scenario: string;
  container: string;
}

const MAX_PARENTS = 200_000;
const MAX_DEPTH = 64;

export class ProcessAttribution {
  private readonly roots = new Map<number, Owner>();
  /** pid -> parent pid, learnt from every audited event; bounded, oldest entries evicted first. */
  private readonly parents = new Map<number, number>();

  addRoot(pid: number, owner: Owner): void {
    this.roots.set(pid, owner);
  }

  removeOwner(scenario: string): void {
    for (const [pid, owner] of this.roots) if (owner.scenario === scenario) this.roots.delete(pid);
  }

  get rootCount(): number {
    return this.roots.size;
  }

  /** Learns the pid relations an event reveals and returns its owner, if it belongs to a root. */
  attribute(event: AuditEvent): Owner | undefined {
    const { pid, ppid } = event.process;
    if (pid !== null && ppid !== null) this.learn(pid, ppid);
    const child = forkedChild(event);
    if (pid !== null && child !== null) this.learn(child, pid);
    return pid === null ? undefined : this.ownerOf(pid);
  }

  ownerOf(pid: number): Owner | undefined {
    let current: number | undefined = pid;
    for (let depth = 0; current !== undefined && depth < MAX_DEPTH; depth++) {
      const owner = this.roots.get(current);
      if (owner) return owner;
      current = this.parents.get(current);
    }
    return undefined;
  }

  private learn(child: number, parent: number): void {
    if (child === parent) return;
    this.parents.delete(child); // re-insert so the map's order is recency
    this.parents.set(child, parent);
    if (this.parents.size > MAX_PARENTS) {
      const oldest = this.parents.keys().next().value;
      if (oldest !== undefined) this.parents.delete(oldest);
    }
  }
}
