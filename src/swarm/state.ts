import { readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { privateKeyFromProtobuf, privateKeyToProtobuf, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { z } from 'zod'
import { ConfigError } from '../errors.js'
import { writeWhole } from '../storage/write-whole.js'
import { ROLES } from './constants.js'
import { Rotation, SignedRotation } from './pb/swarm.js'
import type { PrivateKey } from '@libp2p/interface'

// A node's place in a private swarm, in DATA_DIR/swarm/: state.json (what it holds: its
// membership, the key chain, the revocations it knows) and, on the swarm's creator only,
// swarm.key (the current swarm key, mode 0600). No state.json: the node is in the open network.

export const SWARM_DIR = 'swarm'
const STATE_FILE = 'state.json'
const KEY_FILE = 'swarm.key'
const PENDING_KEY_FILE = 'swarm.key.next'
const MAX_STATE_BYTES = 1024 * 1024

const base64 = z.string().max(256 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/)

const stateSchema = z.strictObject({
  version: z.literal(1),
  swarmId: z.string().min(1).max(128),
  genesisKey: base64,
  role: z.enum(ROLES),
  /** joining: bound, waiting for a member to admit it; member; refused or revoked, with the reason. */
  status: z.enum(['joining', 'member', 'refused', 'revoked']),
  reason: z.string().max(1024).nullable(),
  membership: base64,
  chain: z.array(base64).max(16),
  rotations: z.array(base64).max(64),
  revocations: base64.nullable(),
  bootstrap: z.array(z.string().max(512)).max(8),
  relays: z.array(z.string().max(512)).max(4),
  joinedAt: z.number()
})

export type SwarmStateFile = z.infer<typeof stateSchema>

export interface StoredSwarm {
  state: SwarmStateFile
  /** The current swarm key, on the creator's node only. */
  swarmKey: PrivateKey | null
}

const dirOf = (dataDir: string): string => join(dataDir, SWARM_DIR)

export async function loadSwarm (dataDir: string): Promise<StoredSwarm | null> {
  const path = join(dirOf(dataDir), STATE_FILE)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err: any) {
    if (err.code === 'ENOENT') return null
    throw new ConfigError(`swarm state ${path}: ${err.message}`)
  }
  if (text.length > MAX_STATE_BYTES) throw new ConfigError(`swarm state ${path}: larger than ${MAX_STATE_BYTES} bytes`)
  let parsed
  try {
    parsed = stateSchema.safeParse(JSON.parse(text))
  } catch (err: any) {
    throw new ConfigError(`swarm state ${path}: not valid JSON (${err.message})`)
  }
  if (!parsed.success) throw new ConfigError(`swarm state ${path} is corrupt: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
  await settlePendingKey(dataDir, parsed.data)
  let swarmKey: PrivateKey | null = null
  try {
    swarmKey = privateKeyFromProtobuf(await readFile(join(dirOf(dataDir), KEY_FILE)))
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw new ConfigError(`swarm key ${join(dirOf(dataDir), KEY_FILE)} is unreadable or corrupt: ${err.message}`)
  }
  return { state: parsed.data, swarmKey }
}

/** Writes the state whole under another name, then renames it into place: a crash leaves the old or the new, never half. */
export async function saveSwarmState (dataDir: string, state: SwarmStateFile): Promise<void> {
  await writeWhole(join(dirOf(dataDir), STATE_FILE), new TextEncoder().encode(JSON.stringify(state, null, 2)))
}

/**
 * Saves the swarm key. A rotation saves the new key as pending first, then the state that names
 * it, then commits the key: on load, a pending key the state names is committed, one it does not
 * name (the state was never written) is dropped, so a crash never leaves key and state apart.
 */
export async function saveSwarmKey (dataDir: string, key: PrivateKey, options: { pending?: boolean } = {}): Promise<void> {
  await writeWhole(join(dirOf(dataDir), options.pending === true ? PENDING_KEY_FILE : KEY_FILE), privateKeyToProtobuf(key))
}

export async function commitSwarmKey (dataDir: string): Promise<void> {
  await rename(join(dirOf(dataDir), PENDING_KEY_FILE), join(dirOf(dataDir), KEY_FILE))
}

/** Finishes or undoes a rotation a crash interrupted (see saveSwarmKey). */
async function settlePendingKey (dataDir: string, state: SwarmStateFile): Promise<void> {
  let pending: PrivateKey
  try {
    pending = privateKeyFromProtobuf(await readFile(join(dirOf(dataDir), PENDING_KEY_FILE)))
  } catch {
    return
  }
  const last = state.rotations.at(-1)
  const named = last != null && Buffer.from(Rotation.decode(SignedRotation.decode(Buffer.from(last, 'base64')).payload).publicKey).equals(publicKeyToProtobuf(pending.publicKey))
  if (named) await commitSwarmKey(dataDir)
  else await rm(join(dirOf(dataDir), PENDING_KEY_FILE), { force: true })
}

export async function removeSwarm (dataDir: string): Promise<void> {
  await rm(dirOf(dataDir), { recursive: true, force: true })
}
