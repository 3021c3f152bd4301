import { toHttpError } from './http-errors.js'
import type { FastifyReply } from 'fastify'

/**
 * Streams newline-delimited JSON: one object per line, written as it happens, for pull progress,
 * live stats and followed logs. Clients that want one answer leave `Accept` at JSON instead.
 */
export function ndjsonStream (reply: FastifyReply): { write: (value: unknown) => void, end: () => void } {
  reply.hijack()
  const out = reply.raw
  out.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
  // Sent now, not with the first line: a quiet stream (a followed log) is still an answer.
  out.flushHeaders()
  return {
    write: value => { out.write(JSON.stringify(value) + '\n') },
    end: () => { out.end() }
  }
}

export function wantsNdjson (accept: string | undefined): boolean {
  return accept?.includes('application/x-ndjson') === true
}

/** Ends a stream with the error as its last line, since the status line has already gone out. */
export function streamError (stream: { write: (v: unknown) => void, end: () => void }, err: Error): void {
  stream.write(toHttpError(err).body)
  stream.end()
}

/** Streams every item as a line; an error midway becomes the last line. */
export async function pipeNdjson (reply: FastifyReply, items: AsyncIterable<unknown>): Promise<void> {
  const stream = ndjsonStream(reply)
  try {
    for await (const item of items) stream.write(item)
    stream.end()
  } catch (err: any) {
    if (reply.raw.destroyed) return
    streamError(stream, err)
  }
}
