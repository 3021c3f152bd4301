import type { ContainerView, StatsView } from '../../containers/types.js'
import type { Container, Sample } from './pb/containers.js'

// Wire messages <-> the views APIs show. The run protocol's Container has the same fields.

export function containerToWire (view: ContainerView): Container {
  return {
    id: view.containerId,
    name: view.name,
    image: view.image,
    state: view.state,
    owner: view.owner,
    createdAtMs: Date.parse(view.createdAt),
    expiresAtMs: view.expiresAt != null ? Date.parse(view.expiresAt) : 0,
    ports: view.ports.map(p => ({ containerPort: p.containerPort, hostPort: p.hostPort })),
    cpuMillis: Math.round(view.limits.cpus * 1000),
    memoryBytes: view.limits.memoryBytes,
    gpus: view.limits.gpus
  }
}

export function containerFromWire (peerId: string, c: Container): ContainerView {
  return {
    peerId,
    containerId: c.id,
    name: c.name,
    image: c.image,
    state: c.state,
    owner: c.owner,
    createdAt: new Date(c.createdAtMs).toISOString(),
    expiresAt: c.expiresAtMs > 0 ? new Date(c.expiresAtMs).toISOString() : null,
    ports: c.ports.map(p => ({ containerPort: p.containerPort, hostPort: p.hostPort })),
    limits: { cpus: c.cpuMillis / 1000, memoryBytes: c.memoryBytes, gpus: c.gpus }
  }
}

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
