import { formatAge } from '../units/index.js'
import { formatTable, shortPeerId } from './output.js'
import type { ContainerView } from '../contract/index.js'

/** The contract's `ps` shape: what `--json` prints for `ps` and `host ps`. */
export function psJson (c: ContainerView): Record<string, unknown> {
  return { peerId: c.peerId, containerId: c.containerId, name: c.name, image: c.image, state: c.state, owner: c.owner, createdAt: c.createdAt, expiresAt: c.expiresAt, ports: c.ports, limits: c.limits }
}

export function renderContainers (containers: ContainerView[], withOwner: boolean, now = Date.now()): string {
  const headers = ['CONTAINER', 'NAME', 'IMAGE', 'STATE', withOwner ? 'OWNER' : 'PEER', 'CPUS', 'MEMORY', 'CREATED', 'EXPIRES']
  return formatTable(headers, containers.map(c => [
    c.containerId.slice(0, 12),
    c.name,
    c.image,
    c.state,
    shortPeerId(withOwner ? c.owner : c.peerId),
    String(c.limits.cpus),
    `${Math.round(c.limits.memoryBytes / 1024 / 1024)} MiB`,
    `${formatAge(now - Date.parse(c.createdAt))} ago`,
    c.expiresAt == null ? '-' : Date.parse(c.expiresAt) > now ? `in ${formatAge(Date.parse(c.expiresAt) - now)}` : 'now'
  ]))
}
