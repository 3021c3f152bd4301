import type { AbortOptions } from '@libp2p/interface'

/**
 * A sender's side of credit-based flow control on a long-lived stream: what it has sent, what
 * the receiver has said it took, and a wait while more than `window` bytes are in flight. Below
 * libp2p, bytes a fast sender writes pile up in its memory however slowly the far side takes
 * them; the receiver's word is what holds the sender back.
 */
export class Credit {
  private sent = 0
  private taken = 0
  private wake?: () => void
  private ended = false

  constructor (private readonly window: number) {}

  /** Waits until `bytes` more may go, then counts them as sent. */
  async reserve (bytes: number, options: AbortOptions = {}): Promise<void> {
    while (!this.ended && this.sent - this.taken > this.window) {
      options.signal?.throwIfAborted()
      await new Promise<void>(resolve => { this.wake = resolve })
    }
    this.sent += bytes
  }

  /** The receiver says it has taken this many bytes in all. */
  grant (taken: number): void {
    if (!(taken > this.taken)) return
    this.taken = taken
    this.release()
  }

  /** No more waiting: the stream is done. */
  end (): void {
    this.ended = true
    this.release()
  }

  private release (): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }
}

/** A receiver's side: counts what it has taken and says so every `every` bytes. */
export class Receipts {
  private taken = 0
  private said = 0

  constructor (private readonly every: number, private readonly say: (taken: number) => Promise<void>) {}

  async took (bytes: number): Promise<void> {
    this.taken += bytes
    if (this.taken - this.said < this.every) return
    this.said = this.taken
    await this.say(this.taken)
  }
}
