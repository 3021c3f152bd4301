import { arch, availableParallelism, cpus, freemem, loadavg, totalmem } from 'node:os'
import { logger } from '@libp2p/logger'
import { cpu, mem } from 'systeminformation'
import { describeError } from './exec.js'
import type { CpuInfo, MemoryInfo } from './types.js'

const log = logger('p2prc:resources:host')

/** What never changes while a process runs (model, cores); systeminformation spawns tools to learn it. */
export type StaticCpu = Awaited<ReturnType<typeof cpu>>

/** Reads the CPU's fixed facts once; later calls reuse the answer (a failed read is tried again). */
export function cachedCpuFacts (): () => Promise<StaticCpu> {
  let facts: Promise<StaticCpu> | undefined
  return async () => {
    facts ??= cpu().catch(err => {
      facts = undefined
      throw err
    })
    return facts
  }
}

export async function probeCpu (facts: () => Promise<StaticCpu> = cpu): Promise<CpuInfo> {
  try {
    const info = await facts()
    const threads = info.cores > 0 ? info.cores : availableParallelism()
    return {
      model: `${info.manufacturer} ${info.brand}`.trim(),
      cores: info.physicalCores > 0 ? info.physicalCores : threads,
      threads,
      arch: arch(),
      loadPercent: loadPercent(threads)
    }
  } catch (err) {
    // Node's own view is coarser (no physical cores, load from loadavg) but always there.
    log('systeminformation could not read the CPU: %s', describeError(err))
    const threads = availableParallelism()
    return {
      model: cpus()[0]?.model.trim() ?? 'unknown',
      cores: threads,
      threads,
      arch: arch(),
      loadPercent: loadPercent(threads)
    }
  }
}

export async function probeMemory (): Promise<MemoryInfo> {
  try {
    const info = await mem()
    // 'available' is MemAvailable: free plus what the kernel can drop from caches.
    return { totalBytes: info.total, freeBytes: info.available }
  } catch (err) {
    log('systeminformation could not read memory: %s', describeError(err))
    return { totalBytes: totalmem(), freeBytes: freemem() }
  }
}

/**
 * The one-minute load average per logical CPU, as a percentage: what `uptime` shows, scaled.
 * systeminformation's currentLoad samples for half a second, which would delay every start.
 */
function loadPercent (threads: number): number {
  return clampPercent(loadavg()[0] / threads * 100)
}

function clampPercent (value: number): number {
  return Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : 0
}
