import { peerIdFromPublicKey } from '@libp2p/peer-id'
import { SwarmError } from '../errors.js'
import { DOMAIN, MAX_ROTATIONS } from './constants.js'
import { Rotation } from './pb/swarm.js'
import { publicKeyOf, verifies } from './signing.js'
import type { SignedRotation } from './pb/swarm.js'
import type { PublicKey } from '@libp2p/interface'

/** The swarm's ID: the peer ID string of its genesis key, so the ID itself proves which key began the swarm. */
export function swarmIdOf (genesis: PublicKey): string {
  return peerIdFromPublicKey(genesis).toString()
}

interface Epoch {
  key: PublicKey
  /** When the key took over (0 for the genesis key). */
  since: number
}

/**
 * The swarm's keys: the genesis key, then one per rotation, each handed over by a signature of
 * the key before it (and accepted by the new key's own). Anyone holding the genesis key's ID can
 * check a chain offered by a peer, so rotations spread by gossip and handshakes, no server needed.
 */
export class KeyChain {
  private readonly epochs: Epoch[]
  private readonly signed: SignedRotation[] = []

  constructor (readonly swarmId: string, genesis: PublicKey) {
    if (swarmIdOf(genesis) !== swarmId) throw new SwarmError('the genesis key does not match the swarm ID')
    this.epochs = [{ key: genesis, since: 0 }]
  }

  get epoch (): number {
    return this.epochs.length - 1
  }

  get current (): PublicKey {
    return this.epochs[this.epochs.length - 1].key
  }

  keyOf (epoch: number): PublicKey | null {
    return this.epochs[epoch]?.key ?? null
  }

  /** When `epoch + 1` began (its key took over from `epoch`'s), or null while `epoch` is current. */
  endOf (epoch: number): number | null {
    return this.epochs[epoch + 1]?.since ?? null
  }

  get rotations (): SignedRotation[] {
    return [...this.signed]
  }

  /**
   * Takes the rotations of `offered` that go beyond what this chain has, checking each against
   * the key before it. Answers whether the chain grew; an invalid link ends the walk.
   */
  async extend (offered: SignedRotation[]): Promise<boolean> {
    let grew = false
    for (const signed of offered.slice(0, MAX_ROTATIONS)) {
      let rotation: Rotation
      try {
        rotation = Rotation.decode(signed.payload)
      } catch {
        return grew
      }
      if (rotation.swarmId !== this.swarmId) return grew
      if (rotation.epoch <= this.epoch) continue
      if (rotation.epoch !== this.epoch + 1 || this.epochs.length > MAX_ROTATIONS) return grew
      const next = publicKeyOf(rotation.publicKey)
      if (next == null) return grew
      const handedOver = await verifies(this.current, DOMAIN.rotation, signed.payload, signed.oldSignature)
      const accepted = await verifies(next, DOMAIN.rotation, signed.payload, signed.newSignature)
      if (!handedOver || !accepted || !Number.isFinite(rotation.atMs) || rotation.atMs < this.epochs[this.epochs.length - 1].since) return grew
      this.epochs.push({ key: next, since: rotation.atMs })
      this.signed.push(signed)
      grew = true
    }
    return grew
  }
}
