import { randomBytes } from 'node:crypto'
import { chmod, mkdir, open, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Replaces a file whole: written beside it (0600), flushed to disk, then renamed over it, so a
 * crash at any moment leaves either the old file or the new one, never half of one. Its folder is
 * made (0700) when missing.
 */
export async function writeWhole (path: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`
  const file = await open(draft, 'wx', 0o600)
  try {
    await file.writeFile(data)
    await file.sync()
  } finally {
    await file.close()
  }
  // The umask may have narrowed what open() asked for, never widened it; be exact.
  await chmod(draft, 0o600)
  await rename(draft, path)
}
