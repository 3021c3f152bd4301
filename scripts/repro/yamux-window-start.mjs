#!/usr/bin/env node
// @chainsafe/libp2p-yamux 8: a stream starts with `initialStreamWindowSize` of send window, the
// sender's own setting, where the yamux spec says every stream starts at 256 KiB and a larger
// window is announced with a window update. A node set to 2 MiB overruns a peer at the default
// (or a Go or Rust peer) as soon as that peer's reader stops taking bytes, and the peer drops the
// whole connection (ReceiveWindowExceededError).
// Run: npm run build && node scripts/repro/yamux-window-start.mjs
import { plainNode, report, sendBulk } from './hosts.mjs'

const PROTOCOL = '/repro/window-start/1.0.0'
const WINDOW = 2 * 1024 * 1024

const sender = await plainNode({ muxer: { streamOptions: { initialStreamWindowSize: WINDOW, maxStreamWindowSize: WINDOW } } })
const receiver = await plainNode()
// A busy reader: it takes nothing, so the sender may send exactly the window it was granted (256 KiB).
receiver.handle(PROTOCOL, stream => { stream.pause() })
const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
const closed = new Promise(resolve => { stream.addEventListener('close', event => { resolve(event.error) }) })
void sendBulk(stream, WINDOW)
const error = await Promise.race([closed, new Promise(resolve => setTimeout(resolve, 3000, undefined))])
const connections = receiver.getConnections().length
await report([sender, receiver], connections === 0,
  `sender set to 2 MiB, receiver at the default, reader paused: the stream ${error != null ? `closed with ${error.name}` : 'is still open'} and the receiver has ${connections} connection(s)`)
