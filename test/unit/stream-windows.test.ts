import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { DEFAULT_CONNECTIONS, DEFAULT_RELAY } from '../../dist/config/constants.js'
import { STREAM_INITIAL_WINDOW } from '../../dist/host/constants.js'
import { createHost } from '../../dist/host/create-host.js'
import { SPEC_STREAM_WINDOW } from '../../dist/host/spec-stream-windows.js'
import { waitFor } from '../helpers/wait-for.js'
import type { Libp2p, Stream } from '@libp2p/interface'

const PROTOCOL = '/p2prc-test/bulk/1.0.0'
const CHUNK = 256 * 1024

/** A p2prc host as the daemon builds it (its muxer, windows and encrypter), on loopback. */
async function p2prcHost (): Promise<Libp2p> {
  const host = await createHost({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [],
    mdns: false,
    relay: DEFAULT_RELAY,
    nat: { autonat: false, holePunch: false, upnp: false },
    connections: DEFAULT_CONNECTIONS
  })
  await host.start()
  return host
}

/** Another libp2p implementation's view of yamux: js-libp2p with yamux's defaults (the spec's 256 KiB windows). */
async function plainHost (): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionMonitor: { enabled: false }
  })
}

/** Sends `bytes` in messages of `chunk` with backpressure, closes its side, and answers how many bytes the far side says it got. */
async function sendBulk (stream: Stream, bytes: number, chunk: number): Promise<number> {
  const reply = new Promise<number>((resolve, reject) => {
    stream.addEventListener('message', event => {
      const count = event.data.subarray(0, 4)
      resolve(new DataView(count.buffer, count.byteOffset, 4).getUint32(0))
    }, { once: true })
    stream.addEventListener('close', event => { reject((event as Event & { error?: Error }).error ?? new Error('closed before the reply')) }, { once: true })
  })
  for (let sent = 0; sent < bytes; sent += chunk) {
    if (!stream.send(new Uint8Array(chunk).fill(sent / chunk))) await stream.onDrain()
  }
  await stream.close()
  return reply
}

/** Counts what arrives and, at its end, answers the count (4 bytes) and closes. */
function countBulk (stream: Stream): void {
  let received = 0
  stream.addEventListener('message', event => { received += event.data.byteLength })
  stream.addEventListener('remoteCloseWrite', () => {
    const count = new Uint8Array(4)
    new DataView(count.buffer).setUint32(0, received)
    stream.send(count)
    void stream.close().catch(() => {})
  })
}

/** A receiver that takes nothing in: the sender can fill exactly the window it was granted. */
function holdBulk (held: Stream[]): (stream: Stream) => void {
  return stream => {
    stream.pause()
    held.push(stream)
  }
}

describe('yamux stream windows', () => {
  const hosts: Libp2p[] = []
  after(async () => { await Promise.all(hosts.map(async h => h.stop())) })
  const pair = async (sender: () => Promise<Libp2p>, receiver: () => Promise<Libp2p>): Promise<[Libp2p, Libp2p]> => {
    const [a, b] = [await sender(), await receiver()]
    hosts.push(a, b)
    return [a, b]
  }

  // Messages of 1 MiB: yamux sends as much of a message in one frame as the window it counts allows.
  it('a p2prc node sends 8 MiB to a peer at the spec\'s 256 KiB window without overrunning it, and takes 8 MiB back', async () => {
    const [ours, theirs] = await pair(p2prcHost, plainHost)
    await theirs.handle(PROTOCOL, countBulk)
    await ours.handle(PROTOCOL, countBulk)
    const toTheirs = await ours.dialProtocol(theirs.getMultiaddrs()[0], PROTOCOL)
    assert.equal(await sendBulk(toTheirs, 8 * 1024 * 1024, 1024 * 1024), 8 * 1024 * 1024)
    const toOurs = await theirs.dialProtocol(ours.getMultiaddrs()[0], PROTOCOL)
    assert.equal(await sendBulk(toOurs, 8 * 1024 * 1024, 1024 * 1024), 8 * 1024 * 1024)
    assert.equal(ours.getConnections(theirs.peerId).length, 1, 'the connection survived both transfers')
  })

  it('a peer at 256 KiB is sent no more than 256 KiB before it grants more', async () => {
    const [ours, theirs] = await pair(p2prcHost, plainHost)
    const held: Stream[] = []
    await theirs.handle(PROTOCOL, holdBulk(held))
    const stream = await ours.dialProtocol(theirs.getMultiaddrs()[0], PROTOCOL)
    for (let i = 0; i < 8; i++) stream.send(new Uint8Array(CHUNK))
    await waitFor(() => held[0]?.readBufferLength === SPEC_STREAM_WINDOW, { message: 'the first window filled' })
    // The sender stops at the window: what is left waits on its side, and the connection stays up.
    await waitFor(() => stream.writeBufferLength === 8 * CHUNK - SPEC_STREAM_WINDOW, { message: 'the rest queued at the sender' })
    assert.equal(held[0].readBufferLength, SPEC_STREAM_WINDOW)
    assert.equal(ours.getConnections(theirs.peerId).length, 1)
  })

  it('two p2prc nodes open each stream to the full 2 MiB window within its first round trip', async () => {
    const [ours, other] = await pair(p2prcHost, p2prcHost)
    const held: Stream[] = []
    await other.handle(PROTOCOL, holdBulk(held))
    const stream = await ours.dialProtocol(other.getMultiaddrs()[0], PROTOCOL)
    for (let i = 0; i < 16; i++) stream.send(new Uint8Array(CHUNK))
    await waitFor(() => held[0]?.readBufferLength === STREAM_INITIAL_WINDOW, { message: `the receiver to hold ${STREAM_INITIAL_WINDOW} bytes (has ${held[0]?.readBufferLength})` })
    await waitFor(() => stream.writeBufferLength === 16 * CHUNK - STREAM_INITIAL_WINDOW, { message: 'the rest queued at the sender' })
  })
})
