#!/usr/bin/env node
// Minimal reproduction for docs/tunnel-throughput.md, to file upstream (@libp2p/utils
// AbstractMessageStream with @chainsafe/libp2p-yamux): a stream paused by its own 'message'
// listener while resume() hands on the held bytes is granted yamux window anyway, so the sender
// goes on filling a stream the reader believes paused, until it aborts at maxReadBufferLength.
// Two libp2p nodes in this process over 127.0.0.1 TCP + Noise + Yamux; nothing else.
// Run: npm run build && node scripts/repro-yamux-resume.mjs   (exit 1: reproduced)
import '../dist/polyfill.js'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'

const PROTOCOL = '/repro/resume/1.0.0'
const WINDOW = 1024 * 1024
const READ_BUFFER = 2 * WINDOW
const HELD = 256 * 1024
const TOTAL = 64 * 1024 * 1024

const node = async () => createLibp2p({
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  // The read buffer holds two windows: a reader that stops granting window can never overflow it.
  streamMuxers: [yamux({ streamOptions: { maxStreamWindowSize: WINDOW, maxReadBufferLength: READ_BUFFER } })]
})
const [sender, receiver] = await Promise.all([node(), node()])
const result = new Promise(resolve => {
  receiver.handle(PROTOCOL, stream => {
    // A slow consumer: whatever it is handed counts as held until a timer releases it. It pauses
    // when it holds too much, and resumes from the timer; resume() then hands on what the stream
    // buffered, which is too much again, so the listener pauses inside resume().
    let held = 0
    let received = 0
    stream.addEventListener('message', event => {
      held += event.data.byteLength
      received += event.data.byteLength
      if (held > HELD && stream.readStatus === 'readable') stream.pause()
    })
    const timer = setInterval(() => {
      held = 0
      if (stream.readStatus === 'paused') stream.resume()
    }, 100)
    const done = (error) => {
      clearInterval(timer)
      resolve({ received, error })
    }
    stream.addEventListener('close', event => { done(event.error) })
    // Everything arrived and the sender closed its side: no overflow this time. (An abort ends
    // the stream too, just before its 'close' with the error.)
    stream.addEventListener('end', () => { if (stream.status !== 'aborted') done(undefined) })
  }, { runOnLimitedConnection: true })
})
const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
const chunk = new Uint8Array(64 * 1024)
for (let sent = 0; sent < TOTAL && stream.status === 'open'; sent += chunk.byteLength) {
  if (!stream.send(chunk)) await stream.onDrain().catch(() => {})
}
if (stream.status === 'open') await stream.close().catch(() => {})
const { received, error } = await result
await Promise.all([sender.stop(), receiver.stop()])
if (error != null) {
  console.log(`reproduced: ${error.name}: ${error.message} (after ${received} of ${TOTAL} bytes)`)
  process.exit(1)
}
console.log(`not reproduced: ${received} of ${TOTAL} bytes arrived`)
