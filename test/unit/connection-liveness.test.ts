import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { defaultLogger } from '@libp2p/logger'
import { PING_PROTOCOL } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { ConnectionLiveness } from '../../dist/core/connection-liveness.js'
import { waitFor } from '../helpers/wait-for.js'
import type { Connection, Libp2p, Stream } from '@libp2p/interface'

// Real hosts on loopback, without libp2p's own connection monitor (as a p2prc node runs).
const host = async (): Promise<Libp2p> => createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionMonitor: { enabled: false }
})

type Answer = 'echo' | 'silent' | 'garbled' | 'none'

describe('connection liveness', () => {
  const hosts: Libp2p[] = []
  const monitors: ConnectionLiveness[] = []
  after(async () => {
    for (const m of monitors) m.stop()
    await Promise.all(hosts.map(async h => h.stop()))
  })

  /** A node connected to a peer that answers pings as told (or serves no ping at all), and the node's liveness. */
  async function pair (answer: Answer, quietLimit: number, pingTimeout = 20_000): Promise<{ liveness: ConnectionLiveness, connection: Connection, peer: Libp2p, seen: { pings: number } }> {
    const [node, peer] = [await host(), await host()]
    hosts.push(node, peer)
    const seen = { pings: 0 }
    if (answer !== 'none') {
      await peer.handle(PING_PROTOCOL, (stream: Stream) => {
        seen.pings++
        if (answer === 'silent') return
        stream.addEventListener('message', event => {
          const bytes = event.data.subarray()
          stream.send(answer === 'echo' ? bytes : bytes.map(b => b ^ 0xff))
        })
      })
    }
    const connection = await node.dial(peer.getMultiaddrs()[0])
    const liveness = new ConnectionLiveness({ host: node, log: defaultLogger().forComponent('test:liveness') }, { quietLimit: () => quietLimit, pingTimeout })
    liveness.start()
    monitors.push(liveness)
    return { liveness, connection, peer, seen }
  }

  it('pings a connection whose peer has been quiet, measures its RTT and leaves it open', async () => {
    const { liveness, connection, seen } = await pair('echo', 0)
    assert.equal(connection.rtt, undefined)
    await liveness.check()
    assert.equal(seen.pings, 1)
    assert.ok(connection.rtt != null && connection.rtt >= 0, 'the RTT is measured')
    assert.equal(connection.status, 'open')
  })

  it('does not ping a connection whose peer was heard within the quiet limit, and pings it once the peer goes quiet', async () => {
    const quiet = 300
    const { liveness, connection, peer, seen } = await pair('echo', quiet)
    await waitFor(() => Date.now() - connection.timeline.open > quiet, { message: 'the connection to be older than the limit' })
    liveness.heard(peer.peerId.toString())
    await liveness.check()
    assert.equal(seen.pings, 0, 'a peer heard from just now is not pinged')
    await waitFor(async () => { await liveness.check(); return seen.pings === 1 }, { message: 'a ping once the peer was quiet for the limit' })
    assert.ok(connection.rtt != null)
    await liveness.check()
    assert.equal(seen.pings, 1, 'a connection just pinged is not pinged again')
  })

  it('closes the connection of a peer that takes the ping and never answers', async () => {
    const { liveness, connection, seen } = await pair('silent', 0, 500)
    await liveness.check()
    assert.equal(seen.pings, 1)
    await waitFor(() => connection.status !== 'open', { message: 'the connection closed after the ping timed out' })
  })

  it('closes the connection of a peer whose answer is not the ping it was sent', async () => {
    const { liveness, connection } = await pair('garbled', 0)
    await liveness.check()
    await waitFor(() => connection.status !== 'open', { message: 'the connection closed after a wrong answer' })
    assert.equal(connection.rtt, undefined)
  })

  it('keeps the connection of a peer that answers but does not serve ping: the refusal is an answer', async () => {
    const { liveness, connection } = await pair('none', 0)
    await liveness.check()
    assert.equal(connection.status, 'open')
  })
})
