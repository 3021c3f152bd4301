import type { ContainerView, EndReason } from '../../contract/index.js'
import type { Container } from './pb/common.js'

// Containers on the wire (common.proto) <-> the view every API shows. Run and list answer with it.

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
    gpus: view.limits.gpus,
    exitCode: view.exitCode ?? undefined,
    oomKilled: view.oomKilled,
    finishedAtMs: view.finishedAt != null ? Date.parse(view.finishedAt) : 0,
    endReason: view.endReason ?? ''
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
    limits: { cpus: c.cpuMillis / 1000, memoryBytes: c.memoryBytes, gpus: c.gpus },
    exitCode: c.exitCode ?? null,
    oomKilled: c.oomKilled,
    finishedAt: c.finishedAtMs > 0 ? new Date(c.finishedAtMs).toISOString() : null,
    endReason: END_REASONS.has(c.endReason) ? c.endReason as EndReason : null
  }
}

/** The reasons this version knows; another (a newer peer's) is shown as none rather than trusted. */
const END_REASONS = new Set<string>(['exited', 'oom', 'time limit', 'killed by owner', 'killed by host operator', 'disk limit', 'host restarted past its time limit', 'removed on its host'])
