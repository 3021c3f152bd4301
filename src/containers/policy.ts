import { PolicyRefusedError } from '../errors.js'
import { remaining } from '../records/index.js'
import { formatAge, formatBytes } from '../units/index.js'
import { CONTAINER_OVERHEAD_BYTES } from './constants.js'
import { globMatch } from './glob.js'
import { MIN_MEMORY } from './run-request.js'
import { checkRegistry } from './registries.js'
import type { RunRequest } from './types.js'
import type { RefusalRule } from '../contract/index.js'
import type { Policy } from '../config/schema.js'
import type { Capacity } from '../records/index.js'

/** What a request will really take once the host's defaults fill its gaps. */
export interface Grant {
  cpus: number
  memoryBytes: number
  gpus: number
  ttlMs: number
  pidsLimit: number
}

export interface PolicyContext {
  policy: Policy
  /** What this node offers in all, and what its guests (and runs in flight) take of it now. */
  offer: Capacity
  used: Capacity
  /** What the requester's own containers take of it. */
  usedByPeer: Capacity
  /** Processes guests may still be allowed: what is left of their share of the host's pid_max. */
  pidsLeft: number
  /** What the requester's containers used here in the last 24 hours (usage accounting), for the budgets. */
  usedToday?: { cpuSeconds: number, memoryGiBSeconds: number }
}

/** Hours to three significant figures: a small budget is seen for what it is. */
const hours = (seconds: number): string => String(Number((seconds / 3600).toPrecision(3)))

const fmtCpus = (n: number): string => `${Math.round(n * 100) / 100} CPU${n === 1 ? '' : 's'}`

/** The forms an image is known by: as given, and fully qualified (`docker.io/library/x:latest`). */
export function imageNames (image: string): string[] {
  const withTag = /:[\w][\w.-]*$|@sha256:/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`
  const first = withTag.split('/')[0]
  const hasRegistry = withTag.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
  const qualified = hasRegistry ? withTag : withTag.includes('/') ? `docker.io/${withTag}` : `docker.io/library/${withTag}`
  return [...new Set([image, withTag, qualified])]
}

/** A per-peer cap as configured (`50%` of the offer, or an absolute figure); Infinity when there is none. */
export function perPeerCap (cap: number | string | null, offered: number): number {
  if (cap == null) return Infinity
  if (typeof cap === 'number') return cap
  return offered * Number(cap.slice(0, -1)) / 100
}

/**
 * Who may run what: peers and images. Cheap and needs no engine, so a run is refused before
 * anything is pulled or reserved. Throws PolicyRefusedError naming the rule.
 */
export function admitImage (owner: string, image: string, policy: Policy): void {
  if (policy.denyPeers.includes(owner) || (policy.allowPeers != null && !policy.allowPeers.includes(owner))) {
    throw new PolicyRefusedError(`peer ${owner} is not allowed to run containers on this node`, 'peer')
  }
  const names = imageNames(image)
  if (policy.denyImages.some(p => names.some(n => globMatch(p, n)))) throw new PolicyRefusedError(`image '${image}' is denied by this node's policy`, 'image')
  if (!policy.allowImages.some(p => names.some(n => globMatch(p, n)))) {
    throw new PolicyRefusedError(`image '${image}' is not allowed by this node's policy (allowed: ${policy.allowImages.join(', ')})`, 'image')
  }
  checkRegistry(image, policy)
}

/**
 * Decides whether a peer may run this request here and what it gets. A refusal names the rule
 * and the figures, so the requester knows at once why ("asked 32 GiB, this node offers 8 GiB").
 * Limits count what identities cannot multiply (the node's whole offer, its container cap, its
 * process budget) as well as what each peer may take.
 */
export function admit (owner: string, request: RunRequest, ctx: PolicyContext): Grant {
  const { policy, offer, used, usedByPeer } = ctx
  const refuse = (rule: RefusalRule, why: string): never => { throw new PolicyRefusedError(why, rule) }
  admitImage(owner, request.image, policy)

  const today = ctx.usedToday ?? { cpuSeconds: 0, memoryGiBSeconds: 0 }
  if (policy.maxCpuHoursPerPeerPerDay != null && today.cpuSeconds >= policy.maxCpuHoursPerPeerPerDay * 3600) {
    refuse('cpu-budget', `your containers used ${hours(today.cpuSeconds)} CPU-hours here in the last 24 hours, this node's budget per peer is ${policy.maxCpuHoursPerPeerPerDay} a day (policy.maxCpuHoursPerPeerPerDay); try again later`)
  }
  if (policy.maxMemoryGiBHoursPerPeerPerDay != null && today.memoryGiBSeconds >= policy.maxMemoryGiBHoursPerPeerPerDay * 3600) {
    refuse('memory-budget', `your containers used ${hours(today.memoryGiBSeconds)} GiB-hours of memory here in the last 24 hours, this node's budget per peer is ${policy.maxMemoryGiBHoursPerPeerPerDay} a day (policy.maxMemoryGiBHoursPerPeerPerDay); try again later`)
  }

  if (usedByPeer.containers >= policy.maxContainersPerPeer) {
    refuse('containers-per-peer', `you already run ${usedByPeer.containers} containers on this node, its limit per peer is ${policy.maxContainersPerPeer}`)
  }
  if (used.containers >= policy.maxContainers) refuse('containers', `this node already runs ${used.containers} containers for its peers, its limit`)

  const peerCpus = perPeerCap(policy.maxCpusPerPeer, offer.cpus)
  const peerMemory = perPeerCap(policy.maxMemoryPerPeer, offer.memoryBytes)
  const maxCpus = Math.min(policy.maxCpusPerContainer ?? Infinity, offer.cpus)
  const maxMemory = Math.min(policy.maxMemoryPerContainer ?? Infinity, offer.memoryBytes)
  const free = remaining(offer, used)
  // A request that names no limits gets the defaults, trimmed to what is left for this peer here:
  // a plain run on a small or busy machine fits rather than being refused for a figure nobody asked for.
  const cpus = request.cpus ?? Math.max(0.01, Math.floor(Math.min(policy.defaultCpus, maxCpus, peerCpus - usedByPeer.cpus, free.cpus) * 100) / 100)
  const memoryBytes = request.memoryBytes ?? Math.max(MIN_MEMORY, Math.floor(Math.min(policy.defaultMemory, maxMemory, Math.min(peerMemory - usedByPeer.memoryBytes, free.memoryBytes) - CONTAINER_OVERHEAD_BYTES)))
  if (cpus > maxCpus) refuse('cpus', `asked ${fmtCpus(cpus)}, this node offers at most ${fmtCpus(maxCpus)} per container`)
  if (memoryBytes > maxMemory) refuse('memory', `asked ${formatBytes(memoryBytes)} of memory, this node offers at most ${formatBytes(maxMemory)} per container`)

  if (usedByPeer.cpus + cpus > peerCpus + 1e-9) refuse('peer-cpus', `asked ${fmtCpus(cpus)}; your containers here already take ${fmtCpus(usedByPeer.cpus)} of the ${fmtCpus(peerCpus)} one peer may have`)
  // Each container also costs the engine memory of its own (shim, runtime), counted against the offer.
  const needed = memoryBytes + CONTAINER_OVERHEAD_BYTES
  if (usedByPeer.memoryBytes + needed > peerMemory) {
    refuse('peer-memory', `asked ${formatBytes(memoryBytes)} of memory; your containers here already take ${formatBytes(usedByPeer.memoryBytes)} of the ${formatBytes(peerMemory)} one peer may have`)
  }

  const { cpus: freeCpus, memoryBytes: freeMemory, gpus: freeGpus } = free
  if (cpus > freeCpus + 1e-9) refuse('free-cpus', `asked ${fmtCpus(cpus)}, this node has ${fmtCpus(Math.max(0, freeCpus))} of its ${fmtCpus(offer.cpus)} free`)
  if (needed > freeMemory) refuse('free-memory', `asked ${formatBytes(memoryBytes)} of memory, this node has ${formatBytes(Math.max(0, freeMemory - CONTAINER_OVERHEAD_BYTES))} of its ${formatBytes(offer.memoryBytes)} free`)

  const gpus = request.gpus === 'all' ? freeGpus : request.gpus
  if (request.gpus === 'all' && freeGpus <= 0) refuse('gpus', `asked for all GPUs, this node has ${offer.gpus === 0 ? 'none to offer' : 'none free'}`)
  if (gpus > freeGpus) refuse('gpus', `asked ${gpus} GPU${gpus === 1 ? '' : 's'}, this node ${offer.gpus === 0 ? 'offers none' : `has ${Math.max(0, freeGpus)} of its ${offer.gpus} free`}`)

  if (policy.pidsLimit > ctx.pidsLeft) refuse('pids', 'this node\'s budget of processes for its guests is used up; try again when some of its containers have ended')

  const ttlMs = request.ttlMs ?? policy.defaultTtl
  if (ttlMs > policy.maxTtl) refuse('ttl', `asked a time limit of ${formatAge(ttlMs)}, this node allows at most ${formatAge(policy.maxTtl)}`)
  return { cpus, memoryBytes, gpus, ttlMs, pidsLimit: policy.pidsLimit }
}

/** Whether the owner of a container may exec into it or copy files in and out (policy.allowExec, allowCopy). */
export function admitAccess (peer: string, kind: 'exec' | 'copy', policy: Policy): void {
  const rule = kind === 'exec' ? policy.allowExec : policy.allowCopy
  const field = kind === 'exec' ? 'policy.allowExec' : 'policy.allowCopy'
  if (rule === true) return
  if (rule === false) throw new PolicyRefusedError(`${kind} is turned off on this node (${field})`, kind)
  if (!rule.includes(peer)) throw new PolicyRefusedError(`peer ${peer} may not ${kind} on this node (it is not in ${field})`, kind)
}

/** Commands run as the user the policy gives guests, when it gives one: another would step around it. */
export function admitExecUser (user: string | null, policy: Policy): void {
  if (policy.user != null && user != null && user !== policy.user) {
    throw new PolicyRefusedError(`this node runs guests' commands as ${policy.user} (policy.user); another user is not allowed`, 'user')
  }
}
