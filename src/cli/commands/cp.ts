import { lstat } from 'node:fs/promises'
import { basename, dirname, posix, resolve, sep } from 'node:path'
import { Command } from 'commander'
import { InvalidArgumentError, NotFoundError } from '../../errors.js'
import { CliContext } from '../context.js'
import { extractTo, localSource, packSource } from '../../archive/local-archive.js'
import { CopyProgress } from '../progress-bar.js'
import type { ApiClient } from '../../api-client/api-client.js'

/** `PEER:CONTAINER:PATH`: peer IDs, names and container references hold no `:` or `/`. */
const REMOTE = /^([^:/\\]+):([^:/\\]+):(.*)$/

interface Remote { peer: string, container: string, path: string }

function remoteOf (arg: string): Remote | null {
  const match = REMOTE.exec(arg)
  if (match == null) return null
  const path = match[3] === '' ? '/' : match[3].startsWith('/') ? match[3] : `/${match[3]}`
  return { peer: match[1], container: match[2], path }
}

export function cpCommand (): Command {
  return new Command('cp')
    .description('copy files or directories between a container I started and this machine (one side is PEER:CONTAINER:PATH), as docker cp')
    .argument('<src>', 'what to copy: a local path, or PEER:CONTAINER:PATH (DIR/. copies a directory\'s contents)')
    .argument('<dst>', 'where to: a local path, or PEER:CONTAINER:PATH')
    .action(async (src: string, dst: string, _options, command: Command) => {
      const ctx = new CliContext(command)
      const from = remoteOf(src)
      const to = remoteOf(dst)
      if ((from == null) === (to == null)) throw new InvalidArgumentError('one side of cp is PEER:CONTAINER:PATH and the other a local path')
      const client = await ctx.client()
      const summary = from != null ? await copyOut(client, from, dst) : await copyIn(client, src, to as Remote)
      ctx.print(summary, () => `copied ${summary.path} (${summary.bytes} bytes of archive)`)
    })
}

/** A container's path to this machine: the archive is extracted beside the target, then moved into place. */
async function copyOut (client: ApiClient, from: Remote, dst: string): Promise<{ path: string, bytes: number }> {
  const local = resolve(dst)
  const existing = await lstat(local).catch(() => null)
  if (existing == null && (dst.endsWith(sep) || dst.endsWith('/'))) throw new InvalidArgumentError(`no such directory: ${dst}`)
  if (existing == null) await lstat(dirname(local)).catch(() => { throw new InvalidArgumentError(`no such directory: ${dirname(dst)}`) })
  const archive = await client.readArchive(from.peer, from.container, from.path)
  const top = archive.stat.name
  const contents = from.path.endsWith('/.')
  // Into an existing directory, under the copied path's own name; else as the target itself.
  const target = existing?.isDirectory() === true && !contents ? resolve(local, top) : local
  if (!archive.stat.dir && existing?.isDirectory() === true && contents) throw new InvalidArgumentError(`${from.path} is not a directory`)
  const progress = new CopyProgress(`${from.container}:${from.path}`, archive.stat.dir ? null : archive.stat.size)
  try {
    await extractTo(progress.count(archive.tar), top, target)
  } finally {
    progress.done()
  }
  return { path: target, bytes: progress.bytes }
}

/** This machine's path into a container: the destination is looked at first, as docker cp does. */
async function copyIn (client: ApiClient, src: string, to: Remote): Promise<{ path: string, bytes: number }> {
  const source = await localSource(src)
  const existing = await client.statPath(to.peer, to.container, to.path).catch(err => {
    if (err instanceof NotFoundError) return null
    throw err
  })
  let directory: string
  let name: string
  if (existing?.dir === true) {
    directory = to.path
    name = source.entry === '.' ? '.' : source.entry
  } else {
    if (existing == null && to.path.endsWith('/')) throw new InvalidArgumentError(`no such directory in the container: ${to.path}`)
    if (existing != null && source.stat.isDirectory()) throw new InvalidArgumentError(`cannot copy a directory over the file ${to.path}`)
    directory = posix.dirname(to.path)
    name = posix.basename(to.path)
  }
  const progress = new CopyProgress(basename(resolve(src)), source.size)
  try {
    await client.writeArchive(to.peer, to.container, directory, source.size, progress.count(await packSource(source, name)))
  } finally {
    progress.done()
  }
  return { path: posix.join(directory, name), bytes: progress.bytes }
}
