import { TopicValidatorResult } from '@libp2p/gossipsub'
import { PolicyRefusedError } from '../errors.js'
import { withTimeout } from '../signals.js'
import { Signed, swarmTopic } from '../swarm/index.js'
import type { Host } from '../host/create-host.js'
import type { PeerGate } from '../protocols/rpc.js'
import type { Swarm } from '../swarm/index.js'
import type { Message } from '@libp2p/gossipsub'
import type { Logger, PeerId, Startable } from '@libp2p/interface'

/**
 * How often the creator repeats the revocations on gossip, for members a message missed. Messages
 * are told apart by their content, so a repeat must wait out gossipsub's seen-window (2 min).
 */
const REVOCATIONS_REPEAT = 150_000
/** How often a member looks the revocations up in the DHT (first soon after start, when it has neighbours). */
const REVOCATIONS_LOOKUP = 5 * 60_000
const FIRST_LOOKUP = 5_000
const DHT_TIMEOUT = 30_000

export interface SwarmGuardComponents {
  host: Pick<Host, 'services' | 'getConnections'>
  swarm: Swarm
  log: Logger
}

/**
 * The running node's side of its swarm: spreads what members must all hear (admissions, so
 * invites' uses count everywhere; revocations; rotations) on the swarm's own gossip topic, takes
 * in what others spread, and drops every connection to a member the moment it is revoked.
 */
export class SwarmGuard implements Startable {
  private readonly topic: string
  private repeatTimer?: ReturnType<typeof setInterval>
  private lookupTimer?: ReturnType<typeof setTimeout>
  private controller = new AbortController()

  constructor (private readonly components: SwarmGuardComponents) {
    this.topic = swarmTopic(components.swarm.swarmId)
  }

  start (): void {
    const { host, swarm } = this.components
    host.services.pubsub.topicValidators.set(this.topic, this.validate)
    host.services.pubsub.subscribe(this.topic)
    swarm.addEventListener('announce', this.onAnnounce)
    swarm.addEventListener('revoked', this.onRevoked)
    swarm.addEventListener('revoked', this.onNewRevocations)
    if (swarm.info().creator) this.repeatTimer = setInterval(() => { this.repeatRevocations() }, REVOCATIONS_REPEAT)
    this.controller = new AbortController()
    this.lookupTimer = setTimeout(() => { void this.lookUpRevocations() }, FIRST_LOOKUP)
  }

  async stop (): Promise<void> {
    const { host, swarm } = this.components
    clearInterval(this.repeatTimer)
    clearTimeout(this.lookupTimer)
    this.controller.abort()
    swarm.removeEventListener('announce', this.onAnnounce)
    swarm.removeEventListener('revoked', this.onRevoked)
    swarm.removeEventListener('revoked', this.onNewRevocations)
    host.services.pubsub.unsubscribe(this.topic)
    host.services.pubsub.topicValidators.delete(this.topic)
    await swarm.flush()
  }

  /** Run and tunnel requests: compute members host work, they may not ask for any. */
  readonly gate: PeerGate = async connection => {
    if (this.components.swarm.roleOf(connection.remotePeer.toString()) === 'compute') {
      throw new PolicyRefusedError('in this swarm your node is a compute member: it hosts work, and may not run any on others')
    }
  }

  private readonly validate = async (_source: PeerId, message: Message): Promise<TopicValidatorResult> => {
    return await this.components.swarm.receive(message.data) ? TopicValidatorResult.Accept : TopicValidatorResult.Reject
  }

  private readonly onAnnounce = (event: CustomEvent<Uint8Array>): void => {
    this.components.host.services.pubsub.publish(this.topic, event.detail).catch(err => {
      this.components.log('could not gossip a swarm event: %s', err.message)
    })
  }

  private readonly onRevoked = (): void => {
    const { host, swarm, log } = this.components
    for (const connection of host.getConnections()) {
      const peer = connection.remotePeer.toString()
      if (!swarm.isRevoked(peer)) continue
      log('dropping %s: its membership was revoked', peer)
      connection.abort(new PolicyRefusedError('revoked from the swarm'))
    }
  }

  /**
   * The creator stores the newest revocations in the DHT too (again with every look-up), for
   * members that were away when they spread.
   */
  private readonly onNewRevocations = (): void => {
    const signed = this.components.swarm.registry.revocationsSigned
    if (signed == null || !this.components.swarm.info().creator) return
    const { host, swarm, log } = this.components
    const signal = withTimeout(this.controller.signal, DHT_TIMEOUT)
    void (async () => {
      for await (const _ of host.services.dht.put(swarm.revocationsKey, Signed.encode(signed), { signal })) { /* drain */ }
    })().catch(err => { log('could not store the revocations in the DHT: %s', err.message) })
  }

  private async lookUpRevocations (): Promise<void> {
    const { host, swarm, log } = this.components
    const signal = withTimeout(this.controller.signal, DHT_TIMEOUT)
    try {
      for await (const event of host.services.dht.get(swarm.revocationsKey, { signal })) {
        if (event.name === 'VALUE' && await swarm.takeRevocations(event.value)) log('took newer revocations from the DHT')
      }
    } catch (err: any) {
      log('revocations not found in the DHT: %s', err.message)
    } finally {
      this.onNewRevocations()
      if (!this.controller.signal.aborted) this.lookupTimer = setTimeout(() => { void this.lookUpRevocations() }, REVOCATIONS_LOOKUP)
    }
  }

  private repeatRevocations (): void {
    const signed = this.components.swarm.registry.revocationsSigned
    if (signed != null) this.components.swarm.announceRevocations(signed)
  }
}
