import type { ContainerInfo, PortBinding } from './types.js'
import type Docker from 'dockerode'

/** Our view of `docker inspect`: the figures callers account with, nothing engine-specific. */
export function toContainerInfo (raw: Docker.ContainerInspectInfo): ContainerInfo {
  const host = raw.HostConfig ?? {}
  const state = raw.State?.Status ?? 'unknown'
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config?.Image ?? raw.Image,
    state,
    labels: { ...raw.Config?.Labels },
    imageId: raw.Image,
    createdAt: Date.parse(raw.Created),
    startedAt: startedAt(raw.State?.StartedAt),
    ports: publishedPorts(raw.NetworkSettings?.Ports),
    exitCode: state === 'exited' || state === 'dead' ? raw.State.ExitCode : null,
    oomKilled: raw.State?.OOMKilled === true,
    finishedAt: finishedAt(state, raw.State?.FinishedAt),
    runtime: (host as { Runtime?: string }).Runtime ?? 'runc',
    limits: {
      cpus: (host.NanoCpus ?? 0) / 1e9,
      memoryBytes: host.Memory ?? 0,
      pidsLimit: host.PidsLimit ?? 0
    }
  }
}

/** Docker stamps a container that never started with Go's zero time. */
function startedAt (at: string | undefined): number | null {
  if (at == null || at.startsWith('0001-01-01')) return null
  const ms = Date.parse(at)
  return Number.isFinite(ms) ? ms : null
}

/** Docker stamps a container that never stopped with Go's zero time. */
function finishedAt (state: string, at: string | undefined): number | null {
  if (state === 'running' || state === 'created' || at == null || at.startsWith('0001-01-01')) return null
  const ms = Date.parse(at)
  return Number.isFinite(ms) ? ms : null
}

/** TCP ports with a host binding, once each (Docker may list an IPv4 and an IPv6 binding). */
function publishedPorts (ports: Docker.ContainerInspectInfo['NetworkSettings']['Ports'] | null | undefined): PortBinding[] {
  const result: PortBinding[] = []
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, protocol] = key.split('/')
    if (protocol !== 'tcp' || bindings == null) continue
    const hostPorts = new Set(bindings.map(b => Number(b.HostPort)).filter(p => Number.isInteger(p) && p > 0))
    for (const hostPort of hostPorts) result.push({ containerPort: Number(port), hostPort })
  }
  return result.sort((a, b) => a.containerPort - b.containerPort || a.hostPort - b.hostPort)
}
