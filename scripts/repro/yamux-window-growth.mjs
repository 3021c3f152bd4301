#!/usr/bin/env node
// @chainsafe/libp2p-yamux 8: a stream's receive window grows only when the muxer has measured an
// RTT, and it measures one only with its own keep-alive pings (`enableKeepAlive`). A host that
// turns keep-alive off (libp2p has its own ping service) keeps every stream at 256 KiB for good:
// on loopback a transfer in 256 KiB messages is stop-and-wait, and at 50 ms RTT no stream passes
// ~5 MB/s. go-yamux measures the RTT once when the session starts, whatever its keep-alive.
// Run: npm run build && node scripts/repro/yamux-window-growth.mjs
import { plainNode, receiveAll, report, sendBulk } from './hosts.mjs'

const PROTOCOL = '/repro/window-growth/1.0.0'
const BYTES = 64 * 1024 * 1024
const SPEC_WINDOW = 256 * 1024

/** Moves BYTES over one stream and answers the receiving stream's window at the end (a field of the yamux stream, not its typed API). */
async function windowAfterTransfer (enableKeepAlive) {
  const muxer = { enableKeepAlive, maxMessageSize: SPEC_WINDOW }
  const [sender, receiver] = await Promise.all([plainNode({ muxer }), plainNode({ muxer })])
  let window
  const received = new Promise(resolve => {
    receiver.handle(PROTOCOL, stream => {
      void receiveAll(stream).then(result => {
        window = stream.recvWindow
        resolve(result)
      })
    })
  })
  const started = performance.now()
  await sendBulk(await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL), BYTES, SPEC_WINDOW)
  const { received: bytes } = await received
  const seconds = (performance.now() - started) / 1000
  return { nodes: [sender, receiver], window, rate: `${(bytes / seconds / 1e6).toFixed(0)} MB/s` }
}

const off = await windowAfterTransfer(false)
const on = await windowAfterTransfer(true)
await report([...off.nodes, ...on.nodes], off.window === SPEC_WINDOW,
  `after 64 MiB in 256 KiB messages the receive window is ${off.window} bytes with keep-alive off (${off.rate}), ${on.window} with it on (${on.rate})`)
