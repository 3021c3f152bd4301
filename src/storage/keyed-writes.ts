/**
 * Writes of one key (a job, an account, a ledger) one after another, each waiting for the one
 * before: a slow write never lands after a newer one. Different keys write in parallel.
 */
export class KeyedWrites {
  private readonly writes = new Map<string, Promise<void>>()

  async run (key: string, write: () => Promise<void>): Promise<void> {
    const previous = this.writes.get(key) ?? Promise.resolve()
    const next = previous.catch(() => {}).then(write)
    this.writes.set(key, next)
    try {
      await next
    } finally {
      if (this.writes.get(key) === next) this.writes.delete(key)
    }
  }

  /** Waits for the writes of a key under way (before removing what they write). */
  async settled (key: string): Promise<void> {
    await this.writes.get(key)?.catch(() => {})
  }

  /** Waits for every write under way (at stop). */
  async flush (): Promise<void> {
    await Promise.all([...this.writes.values()].map(async w => w.catch(() => {})))
  }
}
