#!/usr/bin/env node
// @chainsafe/libp2p-noise 17: `EncryptedMessageStream.decrypt()` (dist/src/utils.js) makes
// `dst = chunk.subarray(i, end - 16)` for every message so the cipher can decrypt in place. A
// message that spans socket reads (most 64 KiB messages do) is copied to make it, and for any
// message of 1200 bytes or more `defaultCrypto` decrypts with Node's cipher, which ignores `dst`
// and returns new buffers: the copy is wasted. Seen here through the `crypto` option: how many
// messages came with a copied `dst` that the decryption then did not write its plaintext into.
// Run: npm run build && node scripts/repro/noise-dst-copy.mjs
import { defaultCrypto } from '@chainsafe/libp2p-noise/crypto'
import { plainNode, receiveAll, report, sendBulk } from './hosts.mjs'

const PROTOCOL = '/repro/noise-dst/1.0.0'
const BYTES = 64 * 1024 * 1024

const seen = { messages: 0, wasted: 0, wastedBytes: 0 }
/** Whether two byte views share memory. */
const overlaps = (a, b) => a.buffer === b.buffer && a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength
const crypto = {
  ...defaultCrypto,
  chaCha20Poly1305Decrypt (ciphertext, nonce, ad, k, dst) {
    const plaintext = defaultCrypto.chaCha20Poly1305Decrypt(ciphertext, nonce, ad, k, dst)
    seen.messages++
    // A Uint8ArrayList over several buffers: `dst` cannot be a view of it, so it was copied.
    const pieces = ciphertext instanceof Uint8Array ? [ciphertext] : [...ciphertext]
    const out = plaintext instanceof Uint8Array ? [plaintext] : [...plaintext]
    if (dst != null && !pieces.some(piece => overlaps(piece, dst)) && !out.some(piece => overlaps(piece, dst))) {
      seen.wasted++
      seen.wastedBytes += dst.byteLength
    }
    return plaintext
  }
}

const sender = await plainNode()
const receiver = await plainNode({ encrypter: { crypto } })
const received = new Promise(resolve => { receiver.handle(PROTOCOL, stream => { void receiveAll(stream).then(resolve) }) })
await sendBulk(await sender.dialProtocol(receiver.getMultiaddrs()[0], PROTOCOL), BYTES, 256 * 1024)
await received
await report([sender, receiver], seen.wasted > 0,
  `of ${seen.messages} messages decrypted, ${seen.wasted} came with a copied dst that the cipher did not use (${(seen.wastedBytes / 2 ** 20).toFixed(1)} MiB copied for nothing)`)
