import { placeRequest } from '../core/placement.js'
import { freeCapacity } from '../records/index.js'
import { formatBytes } from '../units/index.js'
import type { Rejection } from '../core/placement.js'
import type { PeerSummary } from '../contract/index.js'
import type { RunRequest } from '../containers/types.js'
import type { JobSpec } from './job-spec.js'

export interface TaskPlacement {
  /** Best first. */
  candidates: PeerSummary[]
  /** Every other peer and why not. */
  rejections: Rejection[]
}

/**
 * The peers one task of a job may go to, best first: those the run placement takes (verified,
 * with compute and room by their records), that meet the job's constraints and its spread, and,
 * when there are others, not one where the task failed before. Among them, the one with the
 * fewest of this job's tasks comes first (so a job spreads), then the one with most room and
 * least latency.
 */
export function placeTask (peers: PeerSummary[], request: RunRequest, spec: JobSpec, onPeer: ReadonlyMap<string, number>, failedOn: ReadonlySet<string>): TaskPlacement {
  const rejections: Rejection[] = []
  const reject = (peer: PeerSummary, reason: string): void => { rejections.push({ peerId: peer.peerId, name: peer.name, reason }) }
  const c = spec.constraints ?? {}
  const eligible = peers.filter(peer => {
    const r = peer.resources
    if (r == null) return true
    if (c.gpu != null && !r.gpus.some(g => g.vendor === c.gpu)) { reject(peer, `has no ${c.gpu} GPU`); return false }
    const free = freeCapacity(r)
    if (c.minCpus != null && free.cpus < c.minCpus) { reject(peer, `has ${Math.max(0, Math.round(free.cpus * 100) / 100)} CPUs free, the job wants at least ${c.minCpus}`); return false }
    if (c.minMemory != null && free.memoryBytes < c.minMemory) { reject(peer, `has ${formatBytes(Math.max(0, free.memoryBytes))} free, the job wants at least ${formatBytes(c.minMemory)}`); return false }
    const here = onPeer.get(peer.peerId) ?? 0
    if (spec.spread != null && here >= spec.spread) { reject(peer, `has ${here} of this job's tasks (spread ${spec.spread})`); return false }
    return true
  })
  const placed = placeRequest(eligible, request, { labels: Object.entries(c.labels ?? {}) })
  rejections.push(...placed.rejections)
  const fresh = placed.candidates.filter(({ peer }) => !failedOn.has(peer.peerId))
  const chosen = (fresh.length > 0 ? fresh : placed.candidates)
    .map(({ peer, score }) => ({ peer, score, here: onPeer.get(peer.peerId) ?? 0 }))
    .sort((a, b) => a.here - b.here || b.score - a.score)
  return { candidates: chosen.map(c => c.peer), rejections }
}

/** One line per peer: `name (…abc123): why`. */
export function describeRejections (rejections: Rejection[]): string {
  if (rejections.length === 0) return 'no compute peers are known yet'
  return rejections.map(r => `${r.name ?? r.peerId.slice(0, 12)} (${r.peerId.slice(-6)}): ${r.reason}`).join('; ')
}
