import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { isProcessAlive } from '../contract/index.js'
import { ConfigError } from '../errors.js'

/** Held while a node runs on the data dir (its PID inside). */
export const LOCK_FILE = 'daemon.lock'

/**
 * Claims a data dir for one node: DATA_DIR/daemon.lock, created with O_EXCL and holding our PID,
 * so two nodes (daemons, or programs embedding one) cannot run on one identity at once. A lock
 * whose process is gone was left by a crash and is taken over.
 */
export class DataDirLock {
  private held = false

  constructor (readonly dataDir: string) {}

  private get path (): string {
    return join(this.dataDir, LOCK_FILE)
  }

  async acquire (): Promise<void> {
    if (this.held) return
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const file = await open(this.path, 'wx', 0o600)
        try {
          await file.writeFile(`${process.pid}\n`)
        } finally {
          await file.close()
        }
        this.held = true
        return
      } catch (err: any) {
        if (err.code !== 'EEXIST') throw err
        const pid = await this.owner()
        // Our own PID counts too: another node in this very process holds it.
        if (pid != null && isProcessAlive(pid)) {
          throw new ConfigError(`another node (pid ${pid}) already uses the data dir ${this.dataDir}; give this one its own data dir`)
        }
        await rm(this.path, { force: true })
      }
    }
    throw new ConfigError(`could not lock the data dir ${this.dataDir}: another node is starting on it`)
  }

  /** Frees the data dir; a lock another process has taken meanwhile is left alone. */
  async release (): Promise<void> {
    if (!this.held) return
    this.held = false
    if (await this.owner() === process.pid) await rm(this.path, { force: true })
  }

  private async owner (): Promise<number | null> {
    const pid = Number((await readFile(this.path, 'utf8').catch(() => '')).trim())
    return pid > 0 ? pid : null
  }
}
