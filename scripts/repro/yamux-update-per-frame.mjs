#!/usr/bin/env node
// @chainsafe/libp2p-yamux 8: `YamuxStream.handleData()` calls `sendWindowUpdate()` after every
// data frame, and it sends an update whenever any window is used at all, so each frame received
// costs a WindowUpdate frame back (a Noise message and a socket write of its own). go-yamux sends
// one only once the unacknowledged bytes reach half the window. Counted here for gossip-sized
// messages: the frames the receiver's muxer hands its encrypted connection.
// Run: npm run build && node scripts/repro/yamux-update-per-frame.mjs
import { plainNode, receiveAll, report, sendBulk } from './hosts.mjs'

const PROTOCOL = '/repro/update-per-frame/1.0.0'
const MESSAGES = 1000
const SIZE = 800
const WINDOW_UPDATE = 1
const SPEC_WINDOW = 256 * 1024

/** Wraps an encrypter so that each yamux frame sent on its connections is counted by type (the frame's second byte). */
function countingFrames (counts) {
  const counted = secured => {
    const send = secured.connection.send.bind(secured.connection)
    secured.connection.send = data => {
      const type = data instanceof Uint8Array ? data[1] : data.get(1)
      counts.set(type, (counts.get(type) ?? 0) + 1)
      return send(data)
    }
    return secured
  }
  return encrypter => components => {
    const inner = encrypter(components)
    return {
      protocol: inner.protocol,
      secureInbound: async (...args) => counted(await inner.secureInbound(...args)),
      secureOutbound: async (...args) => counted(await inner.secureOutbound(...args))
    }
  }
}

const counts = new Map()
const sender = await plainNode()
const receiver = await plainNode({ wrapEncrypter: countingFrames(counts) })
const received = new Promise(resolve => { receiver.handle(PROTOCOL, stream => { void receiveAll(stream).then(resolve) }) })
const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
const before = counts.get(WINDOW_UPDATE) ?? 0
await sendBulk(stream, MESSAGES * SIZE, SIZE)
await received
const updates = (counts.get(WINDOW_UPDATE) ?? 0) - before
const halfWindows = Math.ceil(MESSAGES * SIZE / (SPEC_WINDOW / 2))
await report([sender, receiver], updates > MESSAGES / 2,
  `${MESSAGES} data frames of ${SIZE} bytes drew ${updates} window updates from the receiver (go-yamux: about ${halfWindows}, one per half window)`)
