import type { FastifyReply } from 'fastify'

/**
 * A signal that aborts when the client goes away before its answer is sent, so a dial, a DHT
 * query or a remote call started for a request stops with it.
 */
export function requestSignal (reply: FastifyReply): AbortSignal {
  const controller = new AbortController()
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client went away'))
  })
  return controller.signal
}
