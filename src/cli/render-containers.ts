import { formatAge } from '../units/index.js'
import { formatTable, shortPeerId } from './output.js'
import type { ContainerView } from '../contract/index.js'

/** The contract's `ps` shape: what `--json` prints for `ps` and `host ps`. */
export function psJson (c: ContainerView): Record<string, unknown> {
  return { peerId: c.peerId, containerId: c.containerId, name: c.name, image: c.image, state: c.state, owner: c.owner, createdAt: c.createdAt, expiresAt: c.expiresAt, ports: c.ports, limits: c.limits, exitCode: c.exitCode, oomKilled: c.oomKilled, finishedAt: c.finishedAt, endReason: c.endReason }
}

export function renderContainers (containers: ContainerView[], withOwner: boolean, now = Date.now()): string {
  const headers = ['CONTAINER', 'NAME', 'IMAGE', 'STATE', withOwner ? 'OWNER' : 'PEER', 'CPUS', 'MEMORY', 'CREATED', 'EXPIRES']
  return formatTable(headers, containers.map(c => [
    c.containerId.slice(0, 12),
    c.name,
    c.image,
    stateText(c),
    shortPeerId(withOwner ? c.owner : c.peerId),
    String(c.limits.cpus),
    `${Math.round(c.limits.memoryBytes / 1024 / 1024)} MiB`,
    `${formatAge(now - Date.parse(c.createdAt))} ago`,
    c.expiresAt == null ? '-' : Date.parse(c.expiresAt) > now ? `in ${formatAge(Date.parse(c.expiresAt) - now)}` : 'now'
  ]))
}

/** Running, or how it ended: `exited (7)`, `removed: time limit`, as `docker ps` says `Exited (7)`. */
function stateText (c: ContainerView): string {
  if (c.endReason == null) return c.state
  const code = c.exitCode != null ? ` (${c.exitCode})` : ''
  if (c.state === 'removed') return `removed: ${c.endReason}${code}`
  return c.endReason === 'exited' ? `exited${code}` : `${c.state}: ${c.endReason}${code}`
}
