import { createHash } from 'node:crypto'
import { LABEL_NETWORK_MODE, LABEL_NODE, LABEL_OWNER } from './labels.js'
import type { DockerRuntime } from '../runtime/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

export type NetworkMode = 'outbound' | 'none'

/**
 * Every guest network's bridge is named by its mode's prefix + 9 hex digits (15 characters, the
 * kernel's limit), so the firewall matches all of them by prefix: `p2prco` for networks that may
 * reach the internet, `p2prcn` for those that may not reach outside at all.
 */
export const OUTBOUND_PREFIX = 'p2prco'
export const NO_OUTBOUND_PREFIX = 'p2prcn'

export interface GuestNetworksInit {
  runtime: DockerRuntime
  selfPeerId: string
  mode: NetworkMode
  log: Logger
}

/**
 * One Docker network per owner on this host: an owner's containers reach each other by name,
 * different owners' containers cannot reach each other at all (Docker isolates bridges), and the
 * firewall keeps all of them from this host's own addresses and its LAN. A network goes when its
 * owner's last container does.
 */
export class GuestNetworks {
  /** Networks being made: concurrent runs of one owner wait for the same one (the engine would make two). */
  private readonly making = new Map<string, Promise<void>>()

  constructor (private readonly init: GuestNetworksInit) {}

  /** The network an owner's containers join on this node, made on first use. */
  async forOwner (owner: string, options: AbortOptions = {}): Promise<string> {
    const { name, bridge } = this.names(owner)
    let making = this.making.get(name)
    if (making == null) {
      making = this.init.runtime.ensureNetwork({
        name,
        bridge,
        labels: { [LABEL_NODE]: this.init.selfPeerId, [LABEL_OWNER]: owner, [LABEL_NETWORK_MODE]: this.init.mode }
      }, options).finally(() => { this.making.delete(name) })
      this.making.set(name, making)
    }
    await making
    return name
  }

  /** Removes an owner's network here (one still in use stays). */
  async release (owner: string, options: AbortOptions = {}): Promise<void> {
    const { name } = this.names(owner)
    await this.making.get(name)?.catch(() => {})
    if (await this.init.runtime.removeNetwork(name, options)) this.init.log('removed guest network %s', name)
  }

  /** Removes this node's guest networks whose owners have no container left here. */
  async prune (owners: Set<string>, options: AbortOptions = {}): Promise<void> {
    const mine = await this.init.runtime.listNetworks({ [LABEL_NODE]: this.init.selfPeerId }, options)
    const keep = new Set([...owners].flatMap(owner => [this.namesFor(owner, 'outbound').name, this.namesFor(owner, 'none').name]))
    for (const name of mine.filter(n => !keep.has(n))) {
      if (await this.init.runtime.removeNetwork(name, options)) this.init.log('removed guest network %s', name)
    }
  }

  private names (owner: string): { name: string, bridge: string } {
    return this.namesFor(owner, this.init.mode)
  }

  private namesFor (owner: string, mode: NetworkMode): { name: string, bridge: string } {
    // Several nodes may share one engine (and one owner use several of them): the node is part of the name.
    const hash = createHash('sha256').update(`${this.init.selfPeerId}/${owner}`).digest('hex')
    const prefix = mode === 'none' ? NO_OUTBOUND_PREFIX : OUTBOUND_PREFIX
    return { name: `p2prc-${mode}-${hash.slice(0, 24)}`, bridge: `${prefix}${hash.slice(0, 9)}` }
  }
}
