import { NoPeerFitsError } from '../errors.js'
import { freeCapacity } from '../records/index.js'
import { formatBytes } from '../units/index.js'
import { AUTO_ATTEMPTS } from './constants.js'
import type { ContainerView, PeerSummary } from '../contract/index.js'
import type { RunRequest } from '../containers/types.js'

export interface Candidate {
  peer: PeerSummary
  score: number
}

export interface Rejection {
  peerId: string
  name: string | null
  reason: string
}

/** What a request is assumed to need when it names no limits (the defaults of a stock node). */
const ASSUMED_CPUS = 1
const ASSUMED_MEMORY = 512 * 1024 * 1024

/**
 * Orders the peers that could take a request, best first, and says for every other one why not.
 * Fit is judged from each peer's advertised offer and use; the peer's own policy has the last word.
 * Best = most capacity left after the request (so work spreads), then lowest latency.
 */
export interface Placement {
  /** Only peers with these labels. */
  labels?: Array<readonly [string, string]>
  /** Only peers whose guests run under this runtime (e.g. `runsc`). */
  runtime?: string
}

export function placeRequest (peers: PeerSummary[], request: RunRequest, placement: Placement = {}): { candidates: Candidate[], rejections: Rejection[] } {
  const labels = placement.labels ?? []
  const candidates: Candidate[] = []
  const rejections: Rejection[] = []
  const cpus = request.cpus ?? ASSUMED_CPUS
  const memory = request.memoryBytes ?? ASSUMED_MEMORY
  const gpus = request.gpus === 'all' ? 1 : request.gpus
  for (const peer of peers) {
    const reject = (reason: string): void => { rejections.push({ peerId: peer.peerId, name: peer.name, reason }) }
    const r = peer.resources
    if (r == null) { reject('no resource record yet'); continue }
    // Identities are free: only a peer this node has met can be given work.
    if (!peer.verified) { reject('not verified yet (known only from records others passed on)'); continue }
    if (!r.docker) { reject('offers no compute (no Docker engine)'); continue }
    const missing = labels.find(([k, v]) => peer.labels[k] !== v)
    if (missing != null) { reject(`label ${missing[0]}=${missing[1]} does not match`); continue }
    if (placement.runtime != null && r.guestRuntime !== placement.runtime) { reject(`runs guests under ${r.guestRuntime ?? 'no runtime'}, asked ${placement.runtime}`); continue }
    const free = freeCapacity(r)
    if (free.cpus < cpus) { reject(`has ${Math.max(0, Math.round(free.cpus * 100) / 100)} of ${r.offer.cpus} CPUs free, asked ${cpus}`); continue }
    if (free.memoryBytes < memory) { reject(`has ${formatBytes(Math.max(0, free.memoryBytes))} of memory free, asked ${formatBytes(memory)}`); continue }
    if (free.gpus < gpus) { reject(r.offer.gpus === 0 ? 'offers no GPUs' : `has ${Math.max(0, free.gpus)} of ${r.offer.gpus} GPUs free, asked ${gpus}`); continue }
    const headroom = Math.min((free.cpus - cpus) / Math.max(r.offer.cpus, 1e-9), (free.memoryBytes - memory) / Math.max(r.offer.memoryBytes, 1))
    const latencyPenalty = (peer.latencyMs ?? 500) / 1000
    candidates.push({ peer, score: headroom - latencyPenalty * 0.1 })
  }
  candidates.sort((a, b) => b.score - a.score)
  return { candidates, rejections }
}

/**
 * Runs on the best peer that fits: the candidates in order, until one accepts. When none does,
 * the error lists every peer and why it did not fit or refused.
 */
export async function runOnBestPeer (peers: PeerSummary[], request: RunRequest, placement: Placement, run: (peerId: string) => Promise<ContainerView>, signal?: AbortSignal): Promise<ContainerView> {
  const { candidates, rejections } = placeRequest(peers, request, placement)
  for (const { peer } of candidates.slice(0, AUTO_ATTEMPTS)) {
    try {
      return await run(peer.peerId)
    } catch (err: any) {
      if (signal?.aborted === true) throw err
      rejections.push({ peerId: peer.peerId, name: peer.name, reason: `refused: ${err.message}` })
    }
  }
  const lines = rejections.map(r => `${r.name ?? r.peerId.slice(0, 12)} (${r.peerId.slice(-6)}): ${r.reason}`)
  throw new NoPeerFitsError(rejections.length === 0 ? 'no compute peers are known yet (see `p2prc peers`)' : `no peer fits: ${lines.join('; ')}`)
}
