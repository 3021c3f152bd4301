import { statfs } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { logger } from '@libp2p/logger'
import { describeError } from './exec.js'
import type { DiskInfo } from './types.js'

const log = logger('p2prc:resources:disk')

/**
 * Measures the file system holding `path`, or its nearest existing parent
 * when `path` does not exist yet (Docker not installed), down to '/'
 */
export async function probeDisk (path: string): Promise<DiskInfo> {
  let current = resolve(path)
  for (;;) {
    try {
      const stats = await statfs(current)
      return {
        path: current,
        totalBytes: stats.blocks * stats.bsize,
        // bavail, not bfree: the blocks reserved for root are not ours to fill.
        freeBytes: stats.bavail * stats.bsize
      }
    } catch (err) {
      const parent = dirname(current)
      if (parent === current) {
        log('cannot measure any file system above %s: %s', path, describeError(err))
        return { path: current, totalBytes: 0, freeBytes: 0 }
      }
      current = parent
    }
  }
}
