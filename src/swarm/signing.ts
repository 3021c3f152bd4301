import { publicKeyFromProtobuf } from '@libp2p/crypto/keys'
import type { Signed } from './pb/swarm.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

const encoder = new TextEncoder()

function framed (domain: string, payload: Uint8Array): Uint8Array {
  const prefix = encoder.encode(domain)
  const bytes = new Uint8Array(prefix.length + payload.length)
  bytes.set(prefix)
  bytes.set(payload, prefix.length)
  return bytes
}

/** Bytes as the generated codecs type them (backed by an ArrayBuffer, as everything here is). */
export function wire (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? bytes as Uint8Array<ArrayBuffer> : Uint8Array.from(bytes)
}

export async function sign (key: PrivateKey, domain: string, payload: Uint8Array): Promise<Signed> {
  return { payload: wire(payload), signature: wire(await key.sign(framed(domain, payload))) }
}

export async function signature (key: PrivateKey, domain: string, payload: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return wire(await key.sign(framed(domain, payload)))
}

export async function verifies (key: PublicKey, domain: string, payload: Uint8Array, sig: Uint8Array): Promise<boolean> {
  try {
    return await key.verify(framed(domain, payload), sig)
  } catch {
    return false
  }
}

/** An Ed25519 public key from its libp2p protobuf form, or null. */
export function publicKeyOf (bytes: Uint8Array): PublicKey | null {
  try {
    const key = publicKeyFromProtobuf(bytes)
    return key.type === 'Ed25519' ? key : null
  } catch {
    return null
  }
}
