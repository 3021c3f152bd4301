import type { JobEventName, NodeEventName } from '../../contract/index.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

/** A comment line every so often keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_INTERVAL = 15_000

const STREAMED: NodeEventName[] = ['peer:update', 'peer:remove', 'peer:connect', 'peer:disconnect', 'container:update', 'guests:change']
const JOB_EVENTS: JobEventName[] = ['job:update', 'task:update']

/**
 * `GET /v1/events`: the node's events as server-sent events, for dashboards and scripts that
 * want to react instead of polling. Each event is `event: <name>` and `data: <json>`.
 */
export const eventRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node, jobs }) => {
  app.get('/v1/events', async (request, reply) => {
    reply.hijack()
    const out = reply.raw
    out.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    out.write(': p2prc events\n\n')
    const send = (event: CustomEvent<unknown>): void => {
      out.write(`event: ${event.type}\ndata: ${JSON.stringify({ at: new Date().toISOString(), detail: event.detail })}\n\n`)
    }
    for (const name of STREAMED) node.addEventListener(name, send)
    for (const name of JOB_EVENTS) jobs?.addEventListener(name, send)
    const keepalive = setInterval(() => out.write(': keepalive\n\n'), KEEPALIVE_INTERVAL)
    request.raw.socket.once('close', () => {
      clearInterval(keepalive)
      for (const name of STREAMED) node.removeEventListener(name, send)
      for (const name of JOB_EVENTS) jobs?.removeEventListener(name, send)
    })
  })
}
