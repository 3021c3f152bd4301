import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isProcessAlive } from '../contract/index.js'
import { ConfigError } from '../errors.js'

/** Held while a node runs on the data dir: `PID START` of the process that holds it. */
export const LOCK_FILE = 'daemon.lock'

/**
 * When a process started, in clock ticks since boot (Linux /proc/PID/stat, field 22): with the
 * PID it names one process for good, since PIDs are reused. Null where /proc cannot tell.
 */
function startTicks (pid: number | 'self'): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may hold spaces and parentheses: count from after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** Whether the process a lock names still runs: the same PID and, where known, the same start. */
function holderRuns (pid: number, started: string | null): boolean {
  if (!isProcessAlive(pid)) return false
  const now = startTicks(pid)
  return started == null || now == null || now === started
}

/**
 * Claims a data dir for one node: DATA_DIR/daemon.lock, created atomically and naming this
 * process, so two nodes (daemons, or programs embedding one) cannot run on one identity at once,
 * in one process or two. A lock whose process is gone was left by a crash and is taken over, also
 * when a new process got the old one's PID (a restarted container's daemon is PID 1 every time).
 */
export class DataDirLock {
  private held = false
  private readonly token = `${process.pid} ${startTicks('self') ?? ''}`.trim()

  constructor (readonly dataDir: string) {}

  private get path (): string {
    return join(this.dataDir, LOCK_FILE)
  }

  async acquire (): Promise<void> {
    if (this.held) return
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await this.create()) {
        this.held = true
        return
      }
      const holder = await readFile(this.path, 'utf8').catch(() => null)
      if (holder == null) continue
      const [pid, started] = parseHolder(holder)
      if (pid != null && holderRuns(pid, started)) {
        throw new ConfigError(`another node (pid ${pid}) already uses the data dir ${this.dataDir}; give this one its own data dir`)
      }
      await this.takeOver(holder)
    }
    throw new ConfigError(`could not lock the data dir ${this.dataDir}: another node is starting on it`)
  }

  /**
   * Creates the lock with its content in one step: written to a file of this process's own, then
   * linked into place (link fails if the lock exists). A lock created empty and written after
   * looked, to a second node starting at the same moment, like one left by a crash.
   */
  private async create (): Promise<boolean> {
    const own = `${this.path}.${unique()}`
    await writeFile(own, `${this.token}\n`, { mode: 0o600 })
    try {
      await link(own, this.path)
      return true
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err
      return false
    } finally {
      await rm(own, { force: true })
    }
  }

  /**
   * Removes a crashed node's lock, and only that one: it is moved aside first, and put back if
   * another node took the dir over in the meantime (two nodes starting after a crash).
   */
  private async takeOver (stale: string): Promise<void> {
    const aside = `${this.path}.${unique()}.stale`
    try {
      await rename(this.path, aside)
    } catch (err: any) {
      if (err.code === 'ENOENT') return
      throw err
    }
    try {
      if (await readFile(aside, 'utf8') !== stale) await link(aside, this.path).catch(() => {})
    } finally {
      await rm(aside, { force: true })
    }
  }

  /** Frees the data dir; a lock another node has taken meanwhile is left alone. */
  async release (): Promise<void> {
    if (!this.held) return
    this.held = false
    if ((await readFile(this.path, 'utf8').catch(() => '')).trim() === this.token) await rm(this.path, { force: true })
  }

}

/** `PID START` as a lock holds it; anything else names no process (a lock of an older format, or damaged). */
function parseHolder (text: string): [number | null, string | null] {
  const [pid, started] = text.trim().split(' ')
  return [Number(pid) > 0 ? Number(pid) : null, started ?? null]
}

/** A name for this attempt's own file: two nodes of one process may claim at once. */
function unique (): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`
}
