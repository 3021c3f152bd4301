import { generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { InvalidArgumentError } from '../errors.js'
import { MAX_TOKEN_CHARS, TOKEN_PREFIX } from './constants.js'
import { Token } from './pb/swarm.js'
import { publicKeyOf, wire } from './signing.js'
import type { Signed } from './pb/swarm.js'
import type { PrivateKey, PublicKey } from '@libp2p/interface'

export interface DecodedToken {
  invite: Signed
  inviteKey: PrivateKey
  genesisKey: PublicKey
  epochKey: PublicKey
}

export function encodeToken (token: { invite: Signed, inviteKey: PrivateKey, genesisKey: Uint8Array, epochKey: Uint8Array }): string {
  // The invite key's 32-byte seed is enough to rebuild it: the raw form without its public half.
  const inviteSeed = token.inviteKey.raw.subarray(0, 32)
  const bytes = Token.encode({ invite: token.invite, invitePrivateKey: wire(inviteSeed), genesisKey: wire(token.genesisKey), epochKey: wire(token.epochKey) })
  return TOKEN_PREFIX + Buffer.from(bytes).toString('base64url')
}

/** The token's parts; InvalidArgumentError for anything that is not a token this version made. */
export async function decodeToken (text: string): Promise<DecodedToken> {
  const trimmed = text.trim()
  if (trimmed.length > MAX_TOKEN_CHARS) throw new InvalidArgumentError(`not an invite token: longer than ${MAX_TOKEN_CHARS} characters`)
  if (!trimmed.startsWith(TOKEN_PREFIX) || !/^[A-Za-z0-9_-]+$/.test(trimmed.slice(TOKEN_PREFIX.length))) {
    throw new InvalidArgumentError(`not an invite token (one starts with ${TOKEN_PREFIX}, as \`p2prc invite\` prints it)`)
  }
  let token: Token
  try {
    token = Token.decode(Buffer.from(trimmed.slice(TOKEN_PREFIX.length), 'base64url'))
  } catch {
    throw new InvalidArgumentError('not an invite token: it does not decode (was it cut short?)')
  }
  const genesisKey = publicKeyOf(token.genesisKey)
  const epochKey = publicKeyOf(token.epochKey)
  if (token.invite == null || genesisKey == null || epochKey == null || token.invitePrivateKey.length !== 32) {
    throw new InvalidArgumentError('not an invite token: a part is missing or malformed')
  }
  let inviteKey: PrivateKey
  try {
    inviteKey = await generateKeyPairFromSeed('Ed25519', token.invitePrivateKey)
  } catch {
    throw new InvalidArgumentError('not an invite token: its key is malformed')
  }
  return { invite: token.invite, inviteKey, genesisKey, epochKey }
}
