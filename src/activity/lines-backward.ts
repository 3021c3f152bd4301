import { open } from 'node:fs/promises'
import { READ_CHUNK } from './constants.js'

/** A line longer than this is no entry of ours (the file was edited, or is not ours): it is skipped. */
const MAX_LINE = 1024 * 1024

/**
 * A file's lines, last first, read from its end a chunk at a time: the last N entries of a large
 * file cost N lines of reading, not the file. A missing file has no lines.
 */
export async function * linesBackward (path: string): AsyncGenerator<string> {
  let file
  try {
    file = await open(path, 'r')
  } catch (err: any) {
    if (err.code === 'ENOENT') return
    throw err
  }
  try {
    let position = (await file.stat()).size
    // The start of a line whose beginning lies in a chunk not read yet.
    let carry = Buffer.alloc(0)
    let oversized = false
    while (position > 0) {
      const length = Math.min(READ_CHUNK, position)
      position -= length
      const chunk = Buffer.alloc(length)
      const { bytesRead } = await file.read(chunk, 0, length, position)
      let buffer = Buffer.concat([chunk.subarray(0, bytesRead), carry])
      let end = buffer.length
      for (let i = buffer.length - 1; i >= 0; i--) {
        if (buffer[i] !== 0x0a) continue
        if (end > i + 1 && !oversized) yield buffer.toString('utf8', i + 1, end)
        oversized = false
        end = i
      }
      buffer = buffer.subarray(0, end)
      if (buffer.length > MAX_LINE) {
        oversized = true
        buffer = Buffer.alloc(0)
      }
      carry = buffer
    }
    if (carry.length > 0 && !oversized) yield carry.toString('utf8')
  } finally {
    await file.close()
  }
}
