import { PolicyRefusedError } from '../errors.js'
import { remaining } from '../records/index.js'
import { formatAge, formatBytes } from '../units/index.js'
import type { RunRequest } from './types.js'
import type { Policy } from '../config/schema.js'
import type { Capacity } from '../records/index.js'

/** What a request will really take once the host's defaults fill its gaps. */
export interface Grant {
  cpus: number
  memoryBytes: number
  gpus: number
  ttlMs: number
}

export interface PolicyContext {
  policy: Policy
  /** What this node offers in all, and what running containers already take of it. */
  offer: Capacity
  used: Capacity
  /** How many containers the requester already runs here. */
  runningForPeer: number
}

const fmtCpus = (n: number): string => `${Math.round(n * 100) / 100} CPU${n === 1 ? '' : 's'}`

/** `*` matches any run of characters; everything else literally. */
function globMatch (pattern: string, value: string): boolean {
  const regex = new RegExp('^' + pattern.split('*').map(part => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')
  return regex.test(value)
}

/** The forms an image is known by: as given, and fully qualified (`docker.io/library/x:latest`). */
export function imageNames (image: string): string[] {
  const withTag = /:[\w][\w.-]*$|@sha256:/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`
  const first = withTag.split('/')[0]
  const hasRegistry = withTag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
  const qualified = hasRegistry ? withTag : withTag.includes('/') ? `docker.io/${withTag}` : `docker.io/library/${withTag}`
  return [...new Set([image, withTag, qualified])]
}

/**
 * Decides whether a peer may run this request here and what it gets. A refusal names the rule
 * and the figures, so the requester knows at once why ("asked 32 GiB, this node offers 8 GiB").
 */
export function admit (owner: string, request: RunRequest, ctx: PolicyContext): Grant {
  const { policy, offer, used } = ctx
  const refuse = (why: string): never => { throw new PolicyRefusedError(why) }

  if (policy.denyPeers.includes(owner) || (policy.allowPeers != null && !policy.allowPeers.includes(owner))) {
    refuse(`peer ${owner} is not allowed to run containers on this node`)
  }
  const names = imageNames(request.image)
  if (policy.denyImages.some(p => names.some(n => globMatch(p, n)))) refuse(`image '${request.image}' is denied by this node's policy`)
  if (!policy.allowImages.some(p => names.some(n => globMatch(p, n)))) {
    refuse(`image '${request.image}' is not allowed by this node's policy (allowed: ${policy.allowImages.join(', ')})`)
  }
  if (ctx.runningForPeer >= policy.maxContainersPerPeer) {
    refuse(`you already run ${ctx.runningForPeer} containers on this node, its limit per peer is ${policy.maxContainersPerPeer}`)
  }

  const cpus = request.cpus ?? Math.min(policy.defaultCpus, offer.cpus)
  const memoryBytes = request.memoryBytes ?? Math.min(policy.defaultMemory, offer.memoryBytes)
  const maxCpus = Math.min(policy.maxCpusPerContainer ?? Infinity, offer.cpus)
  const maxMemory = Math.min(policy.maxMemoryPerContainer ?? Infinity, offer.memoryBytes)
  if (cpus > maxCpus) refuse(`asked ${fmtCpus(cpus)}, this node offers at most ${fmtCpus(maxCpus)} per container`)
  if (memoryBytes > maxMemory) refuse(`asked ${formatBytes(memoryBytes)} of memory, this node offers at most ${formatBytes(maxMemory)} per container`)
  const { cpus: freeCpus, memoryBytes: freeMemory, gpus: freeGpus } = remaining(offer, used)
  if (cpus > freeCpus + 1e-9) refuse(`asked ${fmtCpus(cpus)}, this node has ${fmtCpus(Math.max(0, freeCpus))} of its ${fmtCpus(offer.cpus)} free`)
  if (memoryBytes > freeMemory) refuse(`asked ${formatBytes(memoryBytes)} of memory, this node has ${formatBytes(Math.max(0, freeMemory))} of its ${formatBytes(offer.memoryBytes)} free`)

  const gpus = request.gpus === 'all' ? freeGpus : request.gpus
  if (request.gpus === 'all' && freeGpus <= 0) refuse(`asked for all GPUs, this node has ${offer.gpus === 0 ? 'none to offer' : 'none free'}`)
  if (gpus > freeGpus) refuse(`asked ${gpus} GPU${gpus === 1 ? '' : 's'}, this node ${offer.gpus === 0 ? 'offers none' : `has ${Math.max(0, freeGpus)} of its ${offer.gpus} free`}`)

  const ttlMs = request.ttlMs ?? policy.defaultTtl
  if (ttlMs > policy.maxTtl) refuse(`asked a time limit of ${formatAge(ttlMs)}, this node allows at most ${formatAge(policy.maxTtl)}`)
  return { cpus, memoryBytes, gpus, ttlMs }
}
