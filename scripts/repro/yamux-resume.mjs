#!/usr/bin/env node
// Minimal reproduction for docs/tunnel-throughput.md, to file upstream (@libp2p/utils
// AbstractMessageStream with @chainsafe/libp2p-yamux): a stream paused by its own 'message'
// listener while resume() hands on the held bytes is granted yamux window anyway, so the sender
// goes on filling a stream the reader believes paused, until it aborts at maxReadBufferLength.
// Run: npm run build && node scripts/repro/yamux-resume.mjs   (exit 1: reproduced)
import { plainNode, report, sendBulk } from './hosts.mjs'

const PROTOCOL = '/repro/resume/1.0.0'
const WINDOW = 1024 * 1024
const READ_BUFFER = 2 * WINDOW
const HELD = 256 * 1024
const TOTAL = 64 * 1024 * 1024

// The read buffer holds two windows: a reader that stops granting window can never overflow it.
const node = async () => plainNode({ muxer: { streamOptions: { maxStreamWindowSize: WINDOW, maxReadBufferLength: READ_BUFFER } } })
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
await sendBulk(stream, TOTAL)
const { received, error } = await result
await report([sender, receiver], error != null, error != null
  ? `${error.name}: ${error.message} (after ${received} of ${TOTAL} bytes)`
  : `${received} of ${TOTAL} bytes arrived`)
