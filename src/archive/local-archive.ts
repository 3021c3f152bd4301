import { randomBytes } from 'node:crypto'
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { InvalidArgumentError } from '../errors.js'
import type { Stats } from 'node:fs'

// The local side of `p2prc cp`: files and directories to and from tar streams (node-tar), the
// way `docker cp` treats them: modes, symbolic links and directory trees kept; owners not (files
// copied out belong to whoever copies them); setuid and setgid bits dropped.

/** Mode bits kept from an archive's entries: permissions and the sticky bit, not setuid or setgid. */
const DROPPED_MODE_BITS = 0o6000
/** A tar header, and the padding of an entry's data to whole blocks. */
const BLOCK = 512

/** Where something copied in from the local file system comes from. */
export interface LocalSource {
  /** The directory the archive's paths start in. */
  cwd: string
  /** The path packed, relative to cwd (`.` for a directory's contents). */
  entry: string
  stat: Stats
  /** The archive's bytes, about: file contents and a header per entry. */
  size: number
}

/** A local path to copy in; `DIR/.` copies the directory's contents rather than the directory. */
export async function localSource (path: string): Promise<LocalSource> {
  const contents = path.endsWith(`${sep}.`) || path === '.'
  const absolute = resolve(path)
  const stat = await lstat(absolute).catch(() => { throw new InvalidArgumentError(`no such file or directory: ${path}`) })
  if (contents && !stat.isDirectory()) throw new InvalidArgumentError(`${path}: not a directory`)
  return { cwd: contents ? absolute : dirname(absolute), entry: contents ? '.' : basename(absolute), stat, size: await archiveSize(absolute, stat) }
}

async function archiveSize (path: string, stat: Stats): Promise<number> {
  let size = BLOCK + (stat.isFile() ? Math.ceil(stat.size / BLOCK) * BLOCK : 0)
  if (stat.isDirectory()) {
    for (const name of await readdir(path)) {
      const child = join(path, name)
      size += await archiveSize(child, await lstat(child))
    }
  }
  return size
}

/**
 * The tar stream of a local source, its top entry named `name` (a copy to a path that does not
 * exist yet takes that path's name). Symbolic links are packed as links, not followed.
 */
export async function packSource (source: LocalSource, name: string): Promise<AsyncIterable<Uint8Array>> {
  const tar = await import('tar')
  const rename = source.entry === name
    ? undefined
    : (entry: { path: string }) => { entry.path = renamed(entry.path, source.entry, name) }
  return tar.c({ cwd: source.cwd, follow: false, portable: false, onWriteEntry: rename }, [source.entry]) as unknown as AsyncIterable<Uint8Array>
}

/** An entry's path with its first part `from` (`.` for a directory's contents) replaced by `to`. */
function renamed (path: string, from: string, to: string): string {
  if (from === '.') return path === '.' || path === './' ? to : `${to}/${path.replace(/^\.\//, '')}`
  return to + path.slice(from.length)
}

/**
 * Extracts an archive whose top entry is `top` to `target`: into a scratch directory beside it
 * first, moved into place only once the whole archive has arrived, so a copy that fails midway
 * (the host's limit, a broken connection) leaves nothing behind. An existing directory at the
 * target is merged into, as `docker cp` does; an existing file is replaced.
 */
export async function extractTo (tarStream: AsyncIterable<Uint8Array>, top: string, target: string): Promise<void> {
  const tar = await import('tar')
  const scratch = join(dirname(target), `.p2prc-cp-${randomBytes(6).toString('hex')}`)
  await mkdir(scratch, { mode: 0o700 })
  try {
    // Only the copied entry and what is under it; node-tar keeps every path inside `scratch`.
    const inside = (path: string): boolean => {
      const clean = path.replace(/^\.\//, '')
      return clean === top || clean === `${top}/` || clean.startsWith(`${top}/`)
    }
    await pipeline(Readable.from(tarStream), tar.x({ cwd: scratch, preserveOwner: false, chmod: true, processUmask: DROPPED_MODE_BITS, filter: inside, strict: true }))
    const extracted = join(scratch, top)
    await lstat(extracted).catch(() => { throw new InvalidArgumentError(`the archive did not hold ${top}`) })
    await moveInto(extracted, target)
  } finally {
    await rm(scratch, { recursive: true, force: true })
  }
}

/** Moves `from` to `to`, merging directories into directories and replacing anything else. */
async function moveInto (from: string, to: string): Promise<void> {
  const existing = await lstat(to).catch(() => null)
  const source = await lstat(from)
  if (existing == null) {
    await rename(from, to)
    return
  }
  if (existing.isDirectory() && source.isDirectory()) {
    for (const name of await readdir(from)) await moveInto(join(from, name), join(to, name))
    return
  }
  await rm(to, { recursive: true, force: true })
  await rename(from, to)
}

/** Extracts a whole archive into a directory (made if missing), as `tar -x -C dir` would, owners not kept. */
export async function extractAll (tarStream: AsyncIterable<Uint8Array>, dir: string): Promise<void> {
  const tar = await import('tar')
  await mkdir(dir, { recursive: true })
  await pipeline(Readable.from(tarStream), tar.x({ cwd: dir, preserveOwner: false, chmod: true, processUmask: DROPPED_MODE_BITS, strict: true }))
}
