import { randomBytes, timingSafeEqual } from 'node:crypto'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { TOKEN_FILE } from '../contract/index.js'

/**
 * The bearer token for the control API, made once (mode 0600) and reused so that scripts holding
 * it keep working across restarts. Anyone who can read the data dir is the node's operator.
 */
export async function loadOrCreateToken (dataDir: string): Promise<string> {
  const path = join(dataDir, TOKEN_FILE)
  try {
    const token = (await readFile(path, 'utf8')).trim()
    if (token.length >= 32) return token
  } catch (err: any) {
    if (err.code !== 'ENOENT') throw err
  }
  const token = randomBytes(32).toString('hex')
  const file = await open(path, 'w', 0o600)
  try {
    await file.writeFile(token + '\n')
  } finally {
    await file.close()
  }
  return token
}

/** Compares in constant time, so response timing does not leak how much of a guess was right. */
export function tokenMatches (expected: string, header: string | undefined): boolean {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '')
  if (match == null) return false
  const given = Buffer.from(match[1])
  const wanted = Buffer.from(expected)
  return given.length === wanted.length && timingSafeEqual(given, wanted)
}
