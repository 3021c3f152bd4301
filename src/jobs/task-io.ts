import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { once } from 'node:events'
import { extractTo, localSource, packSource } from '../archive/local-archive.js'
import { InvalidArgumentError, NotFoundError } from '../errors.js'
import { isUrl } from './job-file.js'
import type { ContainerService } from '../core/container-service.js'
import type { AbortOptions } from '@libp2p/interface'

// Moving a task's files: inputs into its container before it starts, and its logs and outputs
// out of it once it has exited.

/** A task's saved output is cut here; the rest stays in the container's own log until it goes. */
export const MAX_SAVED_LOG_BYTES = 16 * 1024 * 1024

/** An input's local path for one task: `{index}` becomes the task's index. */
export function inputPath (from: string, index: number): string {
  return from.replaceAll('{index}', String(index))
}

/**
 * Copies each input to its place in a created (not yet started) container. The archive is rooted
 * at `/` with the destination's path as its entry name, so missing parent directories are made.
 */
export async function copyInputs (containers: ContainerService, containerId: string, inputs: Array<{ from: string, to: string }>, index: number, options: AbortOptions): Promise<number> {
  let bytes = 0
  for (const input of inputs) {
    const from = inputPath(input.from, index)
    if (isUrl(from)) {
      // Fetched by the host, from where the task runs (under its policy.allowFetchHosts).
      await containers.fetch(containerId, from, input.to, options)
      continue
    }
    const source = await localSource(from).catch(() => { throw new InputError(`input ${from}: no such file or directory`) })
    const tar = await packSource(source, input.to.replace(/^\/+/, '').replace(/\/+$/, ''))
    await containers.write(containerId, '/', source.size, tar, options)
    bytes += source.size
  }
  return bytes
}

/** An input the job file names that is not there: the task cannot run anywhere. */
export class InputError extends InvalidArgumentError {
  override name = 'InputError'
}

/**
 * Fetches each output path into `dir`, under its own path (`/out/a.txt` lands at `dir/out/a.txt`,
 * so two outputs of one name do not meet). Returns the bytes fetched and the paths that were not there.
 */
export async function collectOutputs (containers: ContainerService, containerId: string, outputs: string[], dir: string, options: AbortOptions): Promise<{ bytes: number, missing: string[] }> {
  let bytes = 0
  const missing: string[] = []
  await rm(dir, { recursive: true, force: true })
  for (const path of outputs) {
    const clean = path.replace(/\/+$/, '')
    let read
    try {
      read = await containers.read(containerId, clean, options)
    } catch (err) {
      if (err instanceof NotFoundError) {
        missing.push(path)
        continue
      }
      throw err
    }
    const target = join(dir, clean.replace(/^\/+/, ''))
    await mkdir(dirname(target), { recursive: true })
    const counted = async function * (tar: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const chunk of tar) {
        bytes += chunk.byteLength
        yield chunk
      }
    }
    await extractTo(counted(read.tar), basename(clean), target)
  }
  return { bytes, missing }
}

/** Saves a task's whole output (stdout and stderr in order) as JSON lines of `{ stream, line }`. */
export async function saveLogs (containers: ContainerService, containerId: string, file: string, options: AbortOptions): Promise<void> {
  await mkdir(dirname(file), { recursive: true })
  const out = createWriteStream(file, { mode: 0o600 })
  const pending: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' }
  let written = 0
  const put = async (stream: 'stdout' | 'stderr', line: string): Promise<void> => {
    if (written > MAX_SAVED_LOG_BYTES) return
    const text = JSON.stringify({ stream, line }) + '\n'
    written += text.length
    if (!out.write(text)) await once(out, 'drain')
  }
  try {
    for await (const chunk of containers.logs(containerId, { follow: false, tail: 'all' }, options)) {
      const text = pending[chunk.stream] + Buffer.from(chunk.data).toString('utf8')
      const lines = text.split('\n')
      pending[chunk.stream] = lines.pop() ?? ''
      for (const line of lines) await put(chunk.stream, line)
    }
    for (const stream of ['stdout', 'stderr'] as const) {
      if (pending[stream] !== '') await put(stream, pending[stream])
    }
  } finally {
    out.end()
    await once(out, 'close')
  }
}
