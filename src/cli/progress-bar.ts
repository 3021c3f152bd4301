import { formatBytes } from '../units/index.js'
import type { PullProgressEvent } from '../contract/index.js'

/**
 * Image pull progress on stderr, one line redrawn in place (on a terminal) or a line per change
 * of status otherwise, so a long "starting" that is really a pull is never a mystery.
 */
export class PullProgressBar {
  private readonly layers = new Map<string, { current: number, total: number }>()
  private lastStatus = ''
  private drawn = false

  constructor (private readonly image: string, private readonly out: NodeJS.WriteStream = process.stderr) {}

  update (p: PullProgressEvent): void {
    if (p.layer != null && p.totalBytes != null && p.totalBytes > 0) {
      this.layers.set(p.layer, { current: p.currentBytes ?? 0, total: p.totalBytes })
    } else if (p.layer != null && /complete|already exists/i.test(p.status)) {
      const known = this.layers.get(p.layer)
      if (known != null) known.current = known.total
    }
    let current = 0
    let total = 0
    for (const l of this.layers.values()) {
      current += l.current
      total += l.total
    }
    const line = total > 0
      ? `pulling ${this.image}: ${bar(current / total)} ${formatBytes(current)} / ${formatBytes(total)}`
      : `pulling ${this.image}: ${p.status}`
    if (this.out.isTTY) {
      this.out.write(`\r${line.padEnd(79).slice(0, 100)}`)
      this.drawn = true
    } else if (p.status !== this.lastStatus && p.layer == null) {
      this.out.write(line + '\n')
    }
    this.lastStatus = p.status
  }

  done (): void {
    if (this.drawn) this.out.write('\n')
  }
}

function bar (fraction: number, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width)
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}%`
}

/**
 * A copy's progress on stderr, redrawn in place on a terminal (nothing otherwise): bytes so far,
 * and the share done when the total is known.
 */
export class CopyProgress {
  bytes = 0
  private drawnAt = 0

  constructor (private readonly what: string, private readonly total: number | null, private readonly out: NodeJS.WriteStream = process.stderr) {}

  /** Passes an archive's bytes on, counting them. */
  async * count (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      this.bytes += chunk.byteLength
      this.draw(false)
      yield chunk
    }
  }

  done (): void {
    if (this.drawnAt === 0) return
    this.draw(true)
    this.out.write('\n')
  }

  private draw (force: boolean): void {
    if (this.out.isTTY !== true) return
    const now = Date.now()
    if (!force && now - this.drawnAt < 100) return
    this.drawnAt = now
    const share = this.total != null && this.total > 0 ? `${bar(this.bytes / this.total)} ` : ''
    this.out.write(`\r${`copying ${this.what}: ${share}${formatBytes(this.bytes)}${this.total != null ? ` / ${formatBytes(this.total)}` : ''}`.padEnd(79).slice(0, 100)}`)
  }
}
