import { PolicyRefusedError } from '../errors.js'
import { abortError } from '../runtime/abort.js'

/**
 * Runs being pulled or started, node-wide: at most `concurrency` at once, the rest wait their
 * turn (an honest burst is served, not refused). Waiting is bounded too, per peer and in all, so
 * one peer cannot queue without end; past the bound a run is refused at once.
 */
export class RunQueue {
  private active = 0
  private readonly waiting: Array<{ owner: string, go: () => void }> = []

  constructor (private readonly concurrency: () => number, private readonly maxWaitingPerPeer: () => number) {}

  get size (): number {
    return this.active + this.waiting.length
  }

  /** Waits for a turn; resolves with the function that gives it back. */
  async acquire (owner: string, signal?: AbortSignal): Promise<() => void> {
    if (this.active < this.concurrency() && this.waiting.length === 0) return this.take()
    const mine = this.waiting.filter(w => w.owner === owner).length
    if (mine >= this.maxWaitingPerPeer() || this.waiting.length >= 4 * this.concurrency()) {
      throw new PolicyRefusedError(`this node is starting ${this.active} runs and has ${this.waiting.length} waiting, its limit; try again in a moment`, 'queue')
    }
    return new Promise((resolve, reject) => {
      const entry = { owner, go: () => { signal?.removeEventListener('abort', onAbort); resolve(this.take()) } }
      const onAbort = (): void => {
        this.waiting.splice(this.waiting.indexOf(entry), 1)
        reject(abortError(signal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.waiting.push(entry)
    })
  }

  private take (): () => void {
    this.active++
    let released = false
    return () => {
      if (released) return
      released = true
      this.active--
      if (this.active < this.concurrency()) this.waiting.shift()?.go()
    }
  }
}
