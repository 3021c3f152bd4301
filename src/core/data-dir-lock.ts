import { readFileSync } from 'node:fs'
import { open, readFile, rm } from 'node:fs/promises'
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
 * Claims a data dir for one node: DATA_DIR/daemon.lock, created with O_EXCL and naming this
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
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const file = await open(this.path, 'wx', 0o600)
        try {
          await file.writeFile(`${this.token}\n`)
        } finally {
          await file.close()
        }
        this.held = true
        return
      } catch (err: any) {
        if (err.code !== 'EEXIST') throw err
        const [pid, started] = await this.holder()
        if (pid != null && holderRuns(pid, started)) {
          throw new ConfigError(`another node (pid ${pid}) already uses the data dir ${this.dataDir}; give this one its own data dir`)
        }
        await rm(this.path, { force: true })
      }
    }
    throw new ConfigError(`could not lock the data dir ${this.dataDir}: another node is starting on it`)
  }

  /** Frees the data dir; a lock another node has taken meanwhile is left alone. */
  async release (): Promise<void> {
    if (!this.held) return
    this.held = false
    if ((await readFile(this.path, 'utf8').catch(() => '')).trim() === this.token) await rm(this.path, { force: true })
  }

  private async holder (): Promise<[number | null, string | null]> {
    const [pid, started] = (await readFile(this.path, 'utf8').catch(() => '')).trim().split(' ')
    return [Number(pid) > 0 ? Number(pid) : null, started ?? null]
  }
}
