import { RateLimitedError } from '../errors.js'
import { MAX_FOLLOWER_BACKLOG, MAX_FOLLOWERS } from './constants.js'
import type { ActivityEntry } from '../contract/index.js'

/**
 * The readers following the log live, each with a bounded backlog of unread entries. Pushing never
 * waits on a reader: one that falls MAX_FOLLOWER_BACKLOG entries behind (a stalled connection) is
 * dropped, its stream ending with an error that says so, and memory stays bounded.
 */
export class Followers {
  private readonly followers = new Set<Follower>()

  get size (): number {
    return this.followers.size
  }

  /** A new follower, or a RateLimitedError when MAX_FOLLOWERS already follow. */
  add (accept: (entry: ActivityEntry) => boolean): Follower {
    if (this.followers.size >= MAX_FOLLOWERS) throw new RateLimitedError(`${MAX_FOLLOWERS} readers already follow this node's activity log; try again later`)
    const follower = new Follower(accept, () => this.followers.delete(follower))
    this.followers.add(follower)
    return follower
  }

  push (entry: ActivityEntry): void {
    for (const follower of this.followers) follower.push(entry)
  }

  /** Ends every follower's stream (the node stops). */
  endAll (): void {
    for (const follower of [...this.followers]) follower.end(null)
  }
}

export class Follower {
  private readonly backlog: ActivityEntry[] = []
  private wake: (() => void) | null = null
  private ended = false
  private failure: Error | null = null

  constructor (private readonly accept: (entry: ActivityEntry) => boolean, private readonly forget: () => void) {}

  push (entry: ActivityEntry): void {
    if (this.ended || !this.accept(entry)) return
    if (this.backlog.length >= MAX_FOLLOWER_BACKLOG) {
      this.end(new RateLimitedError(`this reader fell ${MAX_FOLLOWER_BACKLOG} entries behind the activity log and was dropped; follow it again`))
      return
    }
    this.backlog.push(entry)
    this.wakeUp()
  }

  /** Ends the stream: cleanly (null), or with an error its reader gets after what it has not read yet. */
  end (failure: Error | null): void {
    if (this.ended) return
    this.ended = true
    this.failure = failure
    // What it had not read would only be read to reach the error: let it go.
    if (failure != null) this.backlog.length = 0
    this.forget()
    this.wakeUp()
  }

  /** The entries as they come, until the follower ends or the signal aborts. */
  async * entries (signal?: AbortSignal): AsyncGenerator<ActivityEntry> {
    const onAbort = (): void => { this.end(null) }
    if (signal?.aborted === true) onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      while (true) {
        const next = this.backlog.shift()
        if (next != null) {
          yield next
          continue
        }
        if (this.ended) break
        await new Promise<void>(resolve => { this.wake = resolve })
      }
      if (this.failure != null) throw this.failure
    } finally {
      signal?.removeEventListener('abort', onAbort)
      this.end(null)
    }
  }

  private wakeUp (): void {
    const wake = this.wake
    this.wake = null
    wake?.()
  }
}
