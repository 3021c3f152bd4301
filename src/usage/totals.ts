import type { ContainerUsage, UsageTotals } from '../contract/index.js'

/**
 * The share of a container's run that falls within [from, now]: its figures within a window are
 * its totals in that proportion (its rate taken as even over its run). One that never started
 * counts as a point at its end.
 */
export function shareWithin (startedAt: number | null, endedAt: number | null, from: number, now: number): number {
  const end = endedAt ?? now
  const start = startedAt ?? end
  if (end < from) return 0
  if (start >= from) return 1
  return end > start ? (end - Math.max(start, from)) / (end - start) : 1
}

/** One container's figures scaled by a share. */
export function scaled (u: ContainerUsage, share: number): ContainerUsage {
  if (share === 1) return u
  const s = (n: number): number => n * share
  return {
    ...u,
    wallSeconds: s(u.wallSeconds),
    cpuSeconds: s(u.cpuSeconds),
    memoryGiBSeconds: s(u.memoryGiBSeconds),
    gpuSeconds: s(u.gpuSeconds),
    networkRxBytes: Math.round(s(u.networkRxBytes)),
    networkTxBytes: Math.round(s(u.networkTxBytes)),
    blockReadBytes: Math.round(s(u.blockReadBytes)),
    blockWriteBytes: Math.round(s(u.blockWriteBytes))
  }
}

/**
 * Containers within a window (`since`, ms; null: all), each scaled to its part in it. `asOf`: up
 * to when a running container's figures go (now, for the host's live accounts; a receipt's issue
 * time, for the owner's).
 */
export function within (containers: ContainerUsage[], since: number | null, asOf: (u: ContainerUsage) => number): ContainerUsage[] {
  if (since == null) return containers
  return containers.flatMap(u => {
    const share = shareWithin(ms(u.startedAt), ms(u.endedAt), since, asOf(u))
    return share > 0 ? [scaled(u, share)] : []
  })
}

const ms = (iso: string | null): number | null => iso != null ? Date.parse(iso) : null

/** Totals by a key (the owner, or the host), largest CPU use first. */
export function totalsBy (containers: ContainerUsage[], key: (u: ContainerUsage) => string): UsageTotals[] {
  const totals = new Map<string, UsageTotals>()
  for (const u of containers) {
    const peerId = key(u)
    const t = totals.get(peerId) ?? { peerId, containers: 0, cpuSeconds: 0, memoryGiBSeconds: 0, gpuSeconds: 0, networkRxBytes: 0, networkTxBytes: 0, blockReadBytes: 0, blockWriteBytes: 0, wallSeconds: 0 }
    t.containers++
    t.cpuSeconds += u.cpuSeconds
    t.memoryGiBSeconds += u.memoryGiBSeconds
    t.gpuSeconds += u.gpuSeconds
    t.networkRxBytes += u.networkRxBytes
    t.networkTxBytes += u.networkTxBytes
    t.blockReadBytes += u.blockReadBytes
    t.blockWriteBytes += u.blockWriteBytes
    t.wallSeconds += u.wallSeconds
    totals.set(peerId, t)
  }
  return [...totals.values()].map(rounded).sort((a, b) => b.cpuSeconds - a.cpuSeconds || a.peerId.localeCompare(b.peerId))
}

/** Figures to the millisecond (CPU, wall) and the byte, as they are shown. */
export function rounded<T extends Pick<UsageTotals, 'cpuSeconds' | 'memoryGiBSeconds' | 'gpuSeconds' | 'wallSeconds'>> (t: T): T {
  const r = (n: number): number => Math.round(n * 1000) / 1000
  return { ...t, cpuSeconds: r(t.cpuSeconds), memoryGiBSeconds: r(t.memoryGiBSeconds), gpuSeconds: r(t.gpuSeconds), wallSeconds: r(t.wallSeconds) }
}
