import { equals } from 'uint8arrays/equals'

/**
 * What a libp2p signed envelope (RFC 0002) signs: payload bytes under a domain and a payload
 * type. Each kind of signed thing (resource records, usage receipts, countersignatures) has its
 * own domain, so a signature made for one is valid for no other.
 */
export class EnvelopePayload {
  constructor (readonly domain: string, readonly codec: Uint8Array, private readonly bytes: Uint8Array) {}

  marshal (): Uint8Array {
    return this.bytes
  }

  equals (other: { marshal(): Uint8Array }): boolean {
    return equals(this.bytes, other.marshal())
  }
}
