import { appendFile, chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { NotStartedError } from '../errors.js'
import { ACTIVITY_FILE, MAX_QUEUED } from './constants.js'
import { entryLine, parseEntryLine } from './entry-line.js'
import { Followers } from './followers.js'
import { linesBackward } from './lines-backward.js'
import type { ActivityEntry, ActivityEvent } from '../contract/index.js'
import type { AbortOptions, Logger, Startable } from '@libp2p/interface'

export interface ActivityLogInit {
  /** The log's folder (`DATA_DIR/activity`), made 0700 when missing. */
  dir: string
  /** A file is rotated before it would grow past this many bytes. */
  maxBytes: number
  /** Files kept, the current one included: `activity.log`, then `activity.log.1` (newest) ... */
  files: number
  log: Logger
}

export interface ActivityQuery {
  /** The last this many matching entries (0: none, only what follows). */
  tail: number
  /** Only entries at or after this time, in ms since the epoch. */
  since?: number
  /** Only the entries of this peer: its ID, or the start of it. */
  peer?: string
  /** Only entries of these kinds. */
  kinds?: Array<ActivityEvent['kind']>
}

interface Queued { entry: ActivityEntry, line: string }

/**
 * The host's activity log: one JSON line per event in `activity.log`, rotated by size, the oldest
 * file dropped. Appending never waits for the disk and never throws into the caller: entries queue
 * (bounded) for one writer, which writes them in order; what cannot be written is counted and
 * logged. Readers get the last N entries across the files, and followers what comes after, live.
 */
export class ActivityLog implements Startable {
  private queue: Queued[] = []
  private writing: Promise<void> | null = null
  /** Writer batches and readers' snapshots take turns, so a snapshot sees the files whole. */
  private turn: Promise<unknown> = Promise.resolve()
  private readonly followers = new Followers()
  private lostCount = 0
  private unreported = 0
  /** Whether the current file was checked to end in a newline (a crash may have torn its last line). */
  private tailChecked = false
  private open = false

  constructor (private readonly init: ActivityLogInit) {}

  start (): void {
    this.open = true
  }

  /** Ends every follower and waits until what was appended is written. */
  async stop (): Promise<void> {
    this.open = false
    this.followers.endAll()
    await this.flush()
  }

  /** Entries appended but not written (queue full, or the disk failed), since this log was made. */
  get lost (): number {
    return this.lostCount
  }

  /** Logs an event now. Never throws and never waits: the line is written soon, in order. */
  append (event: ActivityEvent): void {
    let queued: Queued
    try {
      queued = entryLine(event, new Date())
    } catch (err: any) {
      this.lose(1, `an entry could not be encoded (${err.message})`)
      return
    }
    this.followers.push(queued.entry)
    if (this.queue.length >= MAX_QUEUED) {
      this.lose(1, null)
      return
    }
    this.queue.push(queued)
    this.writing ??= this.drain()
  }

  /** Resolves once every entry appended so far is written (or counted lost). */
  async flush (): Promise<void> {
    while (this.writing != null) await this.writing
  }

  /** The last `tail` entries that match, oldest first, across the rotated files. */
  async read (query: ActivityQuery): Promise<ActivityEntry[]> {
    return this.exclusive(async () => this.snapshot(query, [...this.queue]))
  }

  /**
   * The last `tail` matching entries, then each new one as it is appended, until the signal aborts
   * or the node stops. A reader that falls far behind is dropped (its stream ends with an error).
   */
  follow (query: ActivityQuery, options: AbortOptions = {}): AsyncGenerator<ActivityEntry> {
    // Here rather than in the generator, so a caller learns it before it starts a stream.
    if (!this.open) throw new NotStartedError('the node is not started')
    return this.following(query, options)
  }

  private async * following (query: ActivityQuery, options: AbortOptions): AsyncGenerator<ActivityEntry> {
    const match = matcher(query)
    // The follower is added in the same turn as the queue is copied: every entry is either in
    // the history or sent to the follower, never both, never neither.
    let follower: ReturnType<Followers['add']> | undefined
    const history = await this.exclusive(async () => {
      // Stopped while it waited for its turn: the history only, then the end.
      if (this.open) follower = this.followers.add(match)
      return this.snapshot(query, [...this.queue])
    })
    try {
      yield * history
      if (follower != null) yield * follower.entries(options.signal)
    } finally {
      follower?.end(null)
    }
  }

  private async snapshot (query: ActivityQuery, pending: Queued[]): Promise<ActivityEntry[]> {
    const match = matcher(query)
    const found: ActivityEntry[] = []
    const older = (entry: ActivityEntry): boolean => query.since != null && Date.parse(entry.at) < query.since
    let done = query.tail <= 0
    for (let i = pending.length - 1; i >= 0 && !done; i--) {
      const entry = pending[i].entry
      if (older(entry)) done = true
      else if (match(entry)) done = found.push(entry) >= query.tail
    }
    for (const path of this.paths()) {
      if (done) break
      for await (const line of linesBackward(path)) {
        const entry = parseEntryLine(line)
        if (entry == null) continue
        // Entries are written in time order: past the first older one, all are older.
        if (older(entry)) done = true
        else if (match(entry)) done = found.push(entry) >= query.tail
        if (done) break
      }
    }
    return found.reverse()
  }

  /** The current file, then the rotated ones, newest first. */
  private paths (): string[] {
    const current = join(this.init.dir, ACTIVITY_FILE)
    return [current, ...Array.from({ length: this.init.files - 1 }, (_, i) => `${current}.${i + 1}`)]
  }

  private async exclusive<T> (fn: () => Promise<T>): Promise<T> {
    const result = this.turn.then(fn)
    this.turn = result.catch(() => {})
    return result
  }

  /** The one writer: batches of whatever queued meanwhile, in order, until the queue is empty. */
  private async drain (): Promise<void> {
    // Awaited first, so that `writing` is set before the loop can end and clear it.
    await Promise.resolve()
    while (this.queue.length > 0) {
      await this.exclusive(async () => {
        const batch = this.queue
        this.queue = []
        await this.write(batch.map(q => q.line))
      })
    }
    this.writing = null
  }

  private async write (lines: string[]): Promise<void> {
    const { dir, maxBytes } = this.init
    const current = join(dir, ACTIVITY_FILE)
    let written = 0
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      await chmod(dir, 0o700)
      let size = await stat(current).then(s => s.size, (err: any) => { if (err.code === 'ENOENT') return 0; throw err })
      let prefix = size > 0 && !this.tailChecked && !await endsInNewline(current) ? '\n' : ''
      this.tailChecked = true
      while (written < lines.length) {
        // As many lines as fit in this file; a file always takes at least one.
        let chunk = prefix
        let bytes = Buffer.byteLength(prefix)
        let count = 0
        for (const line of lines.slice(written)) {
          const more = Buffer.byteLength(line)
          if (size + bytes + more > maxBytes && (size > 0 || count > 0)) break
          chunk += line
          bytes += more
          count++
        }
        if (count === 0) {
          await this.rotate()
          size = 0
          prefix = ''
          continue
        }
        await appendFile(current, chunk, { mode: 0o600 })
        // The umask may have narrowed the mode, never widened it; an older file may be wider.
        if (size === 0) await chmod(current, 0o600)
        size += bytes
        prefix = ''
        written += count
      }
    } catch (err: any) {
      this.lose(lines.length - written, `could not write to ${current} (${err.code ?? err.message})`)
    }
    if (this.unreported > 0 && written > 0) {
      this.init.log.error('%d activity entries were lost (the queue was full or the disk failed)', this.unreported)
      this.unreported = 0
    }
  }

  /** `activity.log` becomes `.1`, `.1` becomes `.2`, ...; the oldest goes, and so do files past `files` (a smaller setting). */
  private async rotate (): Promise<void> {
    const paths = this.paths()
    await rm(paths[paths.length - 1], { force: true })
    for (let i = paths.length - 1; i > 0; i--) {
      await rename(paths[i - 1], paths[i]).catch((err: any) => { if (err.code !== 'ENOENT') throw err })
    }
    const stale = (await readdir(this.init.dir)).filter(name => {
      const index = /^activity\.log\.(\d+)$/.exec(name)?.[1]
      return index != null && Number(index) >= this.init.files
    })
    for (const name of stale) await rm(join(this.init.dir, name), { force: true })
  }

  private lose (count: number, why: string | null): void {
    this.lostCount += count
    if (why != null) this.init.log.error('activity log: %d entries lost: %s', count, why)
    else this.unreported += count
  }
}

function matcher (query: ActivityQuery): (entry: ActivityEntry) => boolean {
  const kinds = query.kinds != null && query.kinds.length > 0 ? new Set(query.kinds) : null
  const { peer, since } = query
  return entry => (kinds == null || kinds.has(entry.kind)) &&
    (peer == null || (entry.peerId != null && entry.peerId.startsWith(peer))) &&
    (since == null || Date.parse(entry.at) >= since)
}

async function endsInNewline (path: string): Promise<boolean> {
  const file = await open(path, 'r')
  try {
    const size = (await file.stat()).size
    const last = Buffer.alloc(1)
    await file.read(last, 0, 1, size - 1)
    return last[0] === 0x0a
  } finally {
    await file.close()
  }
}
