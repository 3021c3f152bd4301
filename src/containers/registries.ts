import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'
import { PolicyRefusedError } from '../errors.js'
import { raceAbort } from '../runtime/abort.js'
import { withTimeout } from '../signals.js'
import { globMatch } from './glob.js'
import type { Policy } from '../config/schema.js'
import type { AbortOptions } from '@libp2p/interface'

/** Where an image reference without a registry comes from. */
export const DEFAULT_REGISTRY = 'docker.io'

/** A registry host name is looked up for at most this long before a pull. */
const LOOKUP_TIMEOUT = 5_000

/**
 * Addresses a registry may not be at unless the operator names it: a pull is a request the
 * engine makes from inside this host's network, so a peer must not aim it at this host's own
 * services, its LAN or the cloud's metadata service (and learn from the error what answers there).
 */
const INTERNAL = new BlockList()
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) INTERNAL.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [['::', 127], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) INTERNAL.addSubnet(net, prefix, 'ipv6')

export function isInternalAddress (address: string): boolean {
  const family = isIP(address)
  if (family === 0) return false
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped != null) return INTERNAL.check(mapped[1], 'ipv4')
  return INTERNAL.check(address, family === 6 ? 'ipv6' : 'ipv4')
}

/** The registry an image comes from, as `host[:port]` (Docker's rule: the first part names one when it has a `.` or `:`, or is `localhost`). */
export function registryOf (image: string): string {
  const first = image.split('/')[0]
  return image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first.toLowerCase() : DEFAULT_REGISTRY
}

function hostOf (registry: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(registry)
  if (bracketed != null) return bracketed[1]
  return isIP(registry) === 6 ? registry : registry.replace(/:\d+$/, '')
}

/**
 * The part of the registry rules that needs no network: denied and not-allowed registries, and
 * hosts that are internal by their name or address. Throws PolicyRefusedError naming the rule.
 * `named` is whether an allow pattern other than `*` names the registry (only that lets an
 * internal one through).
 */
export function checkRegistry (image: string, policy: Pick<Policy, 'allowRegistries' | 'denyRegistries'>): { registry: string, named: boolean } {
  const registry = registryOf(image)
  if (policy.denyRegistries.some(p => globMatch(p, registry))) throw new PolicyRefusedError(`images from ${registry} are denied by this node's policy`, 'registry')
  const named = policy.allowRegistries.some(p => p !== '*' && globMatch(p, registry))
  if (!named && !policy.allowRegistries.includes('*')) {
    throw new PolicyRefusedError(`images from ${registry} are not allowed by this node's policy (allowed: ${policy.allowRegistries.join(', ') || 'none'})`, 'registry')
  }
  const host = hostOf(registry)
  if (!named && (host === 'localhost' || isInternalAddress(host))) throw new PolicyRefusedError(internalRefusal(registry), 'registry')
  return { registry, named }
}

/**
 * Before a pull: a registry named by host name must not resolve to an internal address either
 * (unless the operator named it). Docker Hub is not looked up: the engine knows where it is.
 */
export async function checkRegistryAddress (image: string, policy: Pick<Policy, 'allowRegistries' | 'denyRegistries'>, options: AbortOptions & { resolve?: (host: string) => Promise<string[]> } = {}): Promise<void> {
  const { registry, named } = checkRegistry(image, policy)
  const host = hostOf(registry)
  if (named || registry === DEFAULT_REGISTRY || isIP(host) !== 0) return
  const resolve = options.resolve ?? (async (name: string) => (await lookup(name, { all: true })).map(a => a.address))
  let addresses: string[]
  try {
    addresses = await raceAbort(resolve(host), withTimeout(options.signal, LOOKUP_TIMEOUT))
  } catch {
    throw new PolicyRefusedError(`the registry ${registry} does not resolve from this node`, 'registry')
  }
  if (addresses.some(isInternalAddress)) throw new PolicyRefusedError(internalRefusal(registry), 'registry')
}

function internalRefusal (registry: string): string {
  return `images from ${registry} are refused: it is on this node's own or private network (its operator can allow it by name in policy.allowRegistries)`
}
