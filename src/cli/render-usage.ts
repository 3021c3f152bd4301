import { formatBytes } from '../units/index.js'
import { formatTable, shortPeerId } from './output.js'
import type { ContainerUsage, UsageTotals } from '../contract/index.js'

// How usage is shown: CPU in CPU-seconds (and hours past an hour), memory in GiB-seconds, bytes
// in binary units, one row per peer or per container.

export function formatSeconds (seconds: number): string {
  if (seconds >= 3600) return `${(seconds / 3600).toFixed(2)} h`
  return `${seconds.toFixed(seconds >= 100 ? 0 : 2)} s`
}

const figure = (n: number): string => n >= 100 ? n.toFixed(0) : n.toFixed(2)

/** Totals per peer; `who` names the column (OWNER on the host, HOST for the owner). */
export function renderTotals (totals: UsageTotals[], who: string): string {
  return formatTable([who, 'CONTAINERS', 'CPU', 'MEMORY GiB-s', 'GPU', 'NET IN', 'NET OUT', 'DISK R/W', 'WALL'], totals.map(t => [
    shortPeerId(t.peerId),
    String(t.containers),
    formatSeconds(t.cpuSeconds),
    figure(t.memoryGiBSeconds),
    formatSeconds(t.gpuSeconds),
    formatBytes(t.networkRxBytes),
    formatBytes(t.networkTxBytes),
    `${formatBytes(t.blockReadBytes)} / ${formatBytes(t.blockWriteBytes)}`,
    formatSeconds(t.wallSeconds)
  ]))
}

/** One row per container; `who` picks the peer column (the owner on the host, the host for the owner). */
export function renderContainerUsage (containers: ContainerUsage[], who: 'OWNER' | 'HOST'): string {
  return formatTable(['CONTAINER', who, 'NAME', 'IMAGE', 'STATE', 'CPU', 'MEMORY GiB-s', 'PEAK', 'NET IN/OUT', 'WALL', 'RECEIPT'], containers.map(u => [
    u.containerId.slice(0, 12),
    shortPeerId(who === 'OWNER' ? u.peerId : u.hostId),
    u.name,
    u.image,
    u.running ? 'running' : u.endReason ?? 'ended',
    formatSeconds(u.cpuSeconds),
    figure(u.memoryGiBSeconds),
    formatBytes(u.memoryPeakBytes),
    `${formatBytes(u.networkRxBytes)} / ${formatBytes(u.networkTxBytes)}`,
    formatSeconds(u.wallSeconds),
    u.receipt == null ? '-' : `#${u.receipt.sequence}${u.receipt.final ? ' final' : ''}${u.receipt.countersigned ? ', countersigned' : ''}`
  ]))
}

