#!/usr/bin/env node
// @libp2p/tcp 11: `TCPSocketMultiaddrConnection.sendData()` writes each buffer of the list it is
// given with a `socket.write()` of its own, and Noise hands it every encrypted message as pieces
// (the 2-byte length, the ciphertext, the 16-byte tag), so a message costs several writes (a system
// call each, not one writev). Counted here on the sockets of this process, where only the
// sender writes bulk; also how many writes answered "wait for drain" (the socket's default
// high-water mark, 16 KiB, is below one Noise message, so a write that does not leave at once
// asks the stream above to wait).
// Run: npm run build && node scripts/repro/tcp-write-per-piece.mjs
import { Socket } from 'node:net'
import { plainNode, receiveAll, report, sendBulk } from './hosts.mjs'

const PROTOCOL = '/repro/write-per-piece/1.0.0'
const BYTES = 64 * 1024 * 1024
const NOISE_PLAINTEXT = 65535 - 16

const seen = { writes: 0, full: 0 }
const write = Socket.prototype.write
Socket.prototype.write = function (...args) {
  const more = write.apply(this, args)
  seen.writes++
  if (!more) seen.full++
  return more
}

const sender = await plainNode()
const receiver = await plainNode()
const received = new Promise(resolve => { receiver.handle(PROTOCOL, stream => { void receiveAll(stream).then(resolve) }) })
const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL)
Object.assign(seen, { writes: 0, full: 0 })
await sendBulk(stream, BYTES, 256 * 1024)
await received
const messages = Math.ceil(BYTES / NOISE_PLAINTEXT)
await report([sender, receiver], seen.writes > 1.5 * messages,
  `${BYTES / 2 ** 20} MiB took ${seen.writes} socket writes for about ${messages} Noise messages (${(seen.writes / messages).toFixed(1)} each); ${seen.full} of them answered "wait for drain"`)
