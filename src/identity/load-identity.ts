import { randomBytes } from 'node:crypto'
import { chmod, link, mkdir, open, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { logger } from '@libp2p/logger'
import { ConfigError } from '../errors.js'
import type { PrivateKey } from '@libp2p/interface'

const log = logger('p2prc:identity')

/** DATA_DIR/identity.key: the node's Ed25519 key, in libp2p's protobuf form (mode 0600). */
export const IDENTITY_FILE = 'identity.key'

/**
 * Loads the node's Ed25519 key from DATA_DIR/identity.key, making it on first start. The file is
 * created whole with mode 0600, so two starts racing cannot end with two identities, and a key
 * that others can read is tightened rather than trusted silently.
 */
export async function loadIdentity (dataDir: string): Promise<PrivateKey> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, IDENTITY_FILE)
  try {
    const key = privateKeyFromProtobuf(await readFile(path))
    const { mode } = await stat(path)
    if ((mode & 0o077) !== 0) {
      log('identity file %s was readable by others (mode %o); setting 0600', path, mode & 0o777)
      await chmod(path, 0o600)
    }
    return key
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw new ConfigError(`identity file ${path} is unreadable or corrupt: ${err.message}`)
  }
  const key = await generateKeyPair('Ed25519')
  // Written whole under another name, then linked into place: link fails if the file exists, so
  // of two processes creating it at once exactly one wins, and nobody ever reads half a key.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  try {
    const file = await open(draft, 'wx', 0o600)
    try {
      await file.writeFile(privateKeyToProtobuf(key))
      await file.sync()
    } finally {
      await file.close()
    }
    await link(draft, path)
    log('created identity %s', path)
    return key
  } catch (err: any) {
    // Another process made it between our read and our create: use theirs.
    if (err.code === 'EEXIST') return privateKeyFromProtobuf(await readFile(path))
    throw err
  } finally {
    await rm(draft, { force: true })
  }
}
