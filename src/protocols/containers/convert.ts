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
    createdAtMs: BigInt(Date.parse(view.createdAt)),
    expiresAtMs: view.expiresAt != null ? BigInt(Date.parse(view.expiresAt)) : 0n,
    ports: view.ports.map(p => ({ containerPort: p.containerPort, hostPort: p.hostPort })),
    cpuMillis: Math.round(view.limits.cpus * 1000),
    memoryBytes: BigInt(view.limits.memoryBytes),
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
    createdAt: new Date(Number(c.createdAtMs)).toISOString(),
    expiresAt: c.expiresAtMs > 0n ? new Date(Number(c.expiresAtMs)).toISOString() : null,
    ports: c.ports.map(p => ({ containerPort: p.containerPort, hostPort: p.hostPort })),
    limits: { cpus: c.cpuMillis / 1000, memoryBytes: Number(c.memoryBytes), gpus: c.gpus }
  }
}

export function sampleToWire (s: StatsView): Sample {
  return {
    containerId: s.containerId,
    cpuPermille: Math.max(0, Math.round(s.cpuPercent * 10)),
    memoryBytes: BigInt(s.memoryBytes),
    memoryLimitBytes: BigInt(s.memoryLimitBytes),
    networkRxBytes: BigInt(s.networkRxBytes),
    networkTxBytes: BigInt(s.networkTxBytes),
    blockReadBytes: BigInt(s.blockReadBytes),
    blockWriteBytes: BigInt(s.blockWriteBytes),
    pids: s.pids,
    atMs: BigInt(Date.parse(s.at))
  }
}

export function sampleFromWire (s: Sample): StatsView {
  return {
    containerId: s.containerId,
    cpuPercent: s.cpuPermille / 10,
    memoryBytes: Number(s.memoryBytes),
    memoryLimitBytes: Number(s.memoryLimitBytes),
    networkRxBytes: Number(s.networkRxBytes),
    networkTxBytes: Number(s.networkTxBytes),
    blockReadBytes: Number(s.blockReadBytes),
    blockWriteBytes: Number(s.blockWriteBytes),
    pids: s.pids,
    at: new Date(Number(s.atMs)).toISOString()
  }
}
