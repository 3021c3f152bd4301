import { peerIdFromString } from '@libp2p/peer-id'
import { DHT_KEY_PREFIX, DHT_NAMESPACE } from './constants.js'
import { openRecord, peekRecordSeq } from './codec.js'
import { InvalidRecordError } from './errors.js'
import type { Selectors, Validators } from '@libp2p/kad-dht'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** The DHT key of a peer's resource record. */
export function recordKey (peerId: string): Uint8Array {
  return encoder.encode(DHT_KEY_PREFIX + peerId)
}

function signerOf (key: Uint8Array): string {
  const text = decoder.decode(key)
  if (!text.startsWith(DHT_KEY_PREFIX)) throw new InvalidRecordError('malformed', `not a resource record key: ${text.slice(0, 80)}`)
  const peerId = text.slice(DHT_KEY_PREFIX.length)
  try {
    return peerIdFromString(peerId).toString()
  } catch {
    throw new InvalidRecordError('malformed', `resource record key names no peer: ${peerId.slice(0, 80)}`)
  }
}

/**
 * The DHT's validator for `/p2prc/...` keys: only a record signed by the peer its key names, valid
 * and unexpired, is stored or returned. kad-dht runs it on records other peers send us, not on
 * our own puts, so the publisher checks its records with the same function first.
 */
export const dhtValidators: Validators = {
  [DHT_NAMESPACE]: async (key, value, options) => {
    await openRecord(value, { expectedSigner: signerOf(key), signal: options?.signal })
  }
}

/** Of several valid records for one key, the one with the highest sequence number. */
export const dhtSelectors: Selectors = {
  [DHT_NAMESPACE]: (_key, records) => {
    let best = 0
    let bestSeq = -1
    records.forEach((bytes, index) => {
      const seq = peekSeq(bytes)
      if (seq > bestSeq) {
        best = index
        bestSeq = seq
      }
    })
    return best
  }
}

function peekSeq (bytes: Uint8Array): number {
  try {
    return peekRecordSeq(bytes)
  } catch {
    return -1
  }
}
