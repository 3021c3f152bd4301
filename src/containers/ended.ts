import { ENDED_RETENTION, MAX_ENDED } from './constants.js'
import type { ContainerView, EndReason } from '../contract/index.js'

/**
 * The containers this host ended and removed (time limit, disk limit, a kill), remembered for a
 * while so that their owner's next `ps`, `logs` or `kill` says what happened instead of "no such
 * container". Bounded: the oldest go first, and none stays past the retention time.
 */
export class EndedContainers {
  private readonly ended = new Map<string, ContainerView>()

  record (view: ContainerView, reason: EndReason, at = Date.now()): ContainerView {
    const ended: ContainerView = { ...view, state: 'removed', endReason: reason, finishedAt: view.finishedAt ?? new Date(at).toISOString() }
    this.ended.delete(view.containerId)
    this.ended.set(view.containerId, ended)
    this.prune(at)
    return ended
  }

  /** The owner's ended containers (the operator's, with owner null), oldest first. */
  list (owner: string | null, now = Date.now()): ContainerView[] {
    this.prune(now)
    return [...this.ended.values()].filter(v => owner == null || v.owner === owner)
  }

  has (containerId: string): boolean {
    return this.ended.has(containerId)
  }

  private prune (now: number): void {
    for (const [id, view] of this.ended) {
      if (this.ended.size <= MAX_ENDED && Date.parse(view.finishedAt ?? '') > now - ENDED_RETENTION) break
      this.ended.delete(id)
    }
  }
}
