import type { StatsView } from '../../contract/index.js'
import type { Sample } from './pb/containers.js'

// Stats samples on the wire <-> the view every API shows.

export function sampleToWire (s: StatsView): Sample {
  return {
    containerId: s.containerId,
    cpuPermille: Math.max(0, Math.round(s.cpuPercent * 10)),
    memoryBytes: s.memoryBytes,
    memoryLimitBytes: s.memoryLimitBytes,
    networkRxBytes: s.networkRxBytes,
    networkTxBytes: s.networkTxBytes,
    blockReadBytes: s.blockReadBytes,
    blockWriteBytes: s.blockWriteBytes,
    pids: s.pids,
    atMs: Date.parse(s.at)
  }
}

export function sampleFromWire (s: Sample): StatsView {
  return {
    containerId: s.containerId,
    cpuPercent: s.cpuPermille / 10,
    memoryBytes: s.memoryBytes,
    memoryLimitBytes: s.memoryLimitBytes,
    networkRxBytes: s.networkRxBytes,
    networkTxBytes: s.networkTxBytes,
    blockReadBytes: s.blockReadBytes,
    blockWriteBytes: s.blockWriteBytes,
    pids: s.pids,
    at: new Date(s.atMs).toISOString()
  }
}
