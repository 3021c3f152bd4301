import websocket from '@fastify/websocket'
import { z } from 'zod'
import { InvalidArgumentError } from '../../errors.js'
import { parseWith, queryFlag } from '../../validation/index.js'
import { WS_MAX_MESSAGE } from '../constants.js'
import { serveExec } from '../exec-socket.js'
import type { ExecSpec } from '../../contract/index.js'
import type { RouteOptions } from '../server.js'
import type { FastifyPluginAsync } from 'fastify'

const containerParams = z.strictObject({ peer: z.string().min(1).max(128), id: z.string().min(1).max(128) })
const hostParams = z.strictObject({ id: z.string().min(1).max(128) })
const many = z.union([z.string(), z.array(z.string())]).optional().transform(v => v == null ? [] : Array.isArray(v) ? v : [v])
const count = z.coerce.number().int().optional()

/** The command as the query says it: `cmd` once per argument, `env` once per KEY=VALUE. */
const execQuery = z.strictObject({
  cmd: many,
  env: many,
  workdir: z.string().optional(),
  user: z.string().optional(),
  tty: queryFlag,
  stdin: queryFlag,
  rows: count,
  cols: count
}).transform((q): ExecSpec => ({
  cmd: q.cmd,
  env: Object.fromEntries(q.env.map(e => [e.slice(0, Math.max(0, e.indexOf('='))), e.slice(e.indexOf('=') + 1)])),
  ...(q.workdir != null ? { workdir: q.workdir } : {}),
  ...(q.user != null ? { user: q.user } : {}),
  tty: q.tty,
  stdin: q.stdin,
  ...(q.rows != null && q.cols != null ? { size: { rows: q.rows, cols: q.cols } } : {})
}))

/**
 * Commands in containers over a WebSocket (see api/exec-socket.ts for its messages): mine on a
 * peer, and the operator's in any container this node runs for others.
 */
export const execRoutes: FastifyPluginAsync<RouteOptions> = async (app, { node }) => {
  await app.register(websocket, { options: { maxPayload: WS_MAX_MESSAGE } })

  // A bad request is answered on the socket like any other failure: an `error` control. A plain
  // HTTP request (no upgrade) is told what the endpoint is.
  const notUpgraded = async (): Promise<never> => { throw new InvalidArgumentError('this is a WebSocket endpoint: connect with Upgrade: websocket (see openapi.yaml)') }
  app.route({
    method: 'GET',
    url: '/v1/peers/:peer/containers/:id/exec',
    handler: notUpgraded,
    wsHandler: (socket, request) => {
      void serveExec(socket, async () => {
        const { peer, id } = parseWith(containerParams, request.params, 'path')
        return node.exec(peer, id, parseWith(execQuery, request.query, 'query'))
      })
    }
  })
  app.route({
    method: 'GET',
    url: '/v1/host/containers/:id/exec',
    handler: notUpgraded,
    wsHandler: (socket, request) => {
      void serveExec(socket, async () => {
        const { id } = parseWith(hostParams, request.params, 'path')
        return node.hostExec(id, parseWith(execQuery, request.query, 'query'))
      })
    }
  })
}
