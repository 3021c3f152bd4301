import type { FastifyReply } from 'fastify'

/**
 * Streams newline-delimited JSON: one object per line, written as it happens, for pull progress,
 * live stats and followed logs. Clients that want one answer leave `Accept` at JSON instead.
 */
export function ndjsonStream (reply: FastifyReply): { write: (value: unknown) => void, end: () => void } {
  reply.hijack()
  const out = reply.raw
  out.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
  return {
    write: value => { out.write(JSON.stringify(value) + '\n') },
    end: () => { out.end() }
  }
}

export function wantsNdjson (accept: string | undefined): boolean {
  return accept?.includes('application/x-ndjson') === true
}
