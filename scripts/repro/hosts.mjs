// The setting of every reproduction here, to file upstream (docs/tunnel-throughput.md): plain
// js-libp2p nodes in this process over 127.0.0.1, TCP + Noise + Yamux, nothing of p2prc. Each
// script exits 1 when it reproduced the fault, 0 when it did not.
import '../../dist/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'

/** A node with the given yamux and noise settings (libp2p's own keep-alive and monitor left as they are). */
export async function plainNode ({ muxer = {}, encrypter = {}, wrapEncrypter = e => e } = {}) {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [wrapEncrypter(noise(encrypter))],
    streamMuxers: [yamux(muxer)]
  })
}

/** Sends `bytes` in messages of `chunk` with backpressure, then closes its side. */
export async function sendBulk (stream, bytes, chunk = 64 * 1024) {
  const data = new Uint8Array(chunk)
  for (let sent = 0; sent < bytes && stream.status === 'open'; sent += chunk) {
    if (!stream.send(data)) await stream.onDrain().catch(() => {})
  }
  if (stream.status === 'open') await stream.close().catch(() => {})
}

/** Resolves when the stream ends or closes: the bytes that arrived, and the error it closed with if any. */
export function receiveAll (stream) {
  return new Promise(resolve => {
    let received = 0
    stream.addEventListener('message', event => { received += event.data.byteLength })
    stream.addEventListener('remoteCloseWrite', () => { resolve({ received }) })
    stream.addEventListener('close', event => { resolve({ received, error: event.error }) })
  })
}

/** Finishes a reproduction: prints what was seen and exits 1 if it is the fault. */
export async function report (nodes, reproduced, text) {
  await Promise.all(nodes.map(async node => node.stop()))
  console.log(`${reproduced ? 'reproduced' : 'not reproduced'}: ${text}`)
  process.exit(reproduced ? 1 : 0)
}
