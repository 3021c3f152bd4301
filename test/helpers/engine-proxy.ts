import { createConnection, createServer } from 'node:net'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import type { Server, Socket } from 'node:net'

/**
 * A unix socket in front of the real Docker engine, for a daemon to use as its engine: the test
 * can take the engine away (every connection cut, none accepted) and bring it back, and counts the
 * engine API requests that pass, without touching the engine every other test uses.
 */
export class EngineProxy {
  requests = 0
  private server?: Server
  private holding: RegExp | null = null
  private readonly holds: Array<() => void> = []
  private readonly sockets = new Set<Socket>()

  constructor (readonly socketPath: string, private readonly engine = '/var/run/docker.sock') {}

  get url (): string {
    return `unix://${this.socketPath}`
  }

  async start (): Promise<void> {
    await rm(this.socketPath, { force: true })
    const server = createServer(client => {
      const upstream = createConnection(this.engine)
      this.sockets.add(client)
      this.sockets.add(upstream)
      const drop = (): void => {
        client.destroy()
        upstream.destroy()
        this.sockets.delete(client)
        this.sockets.delete(upstream)
      }
      // What the client sends from a held request on, until release().
      let held: Buffer[] | null = null
      client.on('data', (chunk: Buffer) => {
        const text = chunk.toString('latin1')
        this.requests += (text.match(/^(GET|POST|PUT|DELETE|HEAD) \//gm) ?? []).length
        if (held == null && this.holding?.test(text) === true) {
          held = []
          this.holds.push(() => { for (const c of held ?? []) upstream.write(c); held = null })
        }
        if (held != null) held.push(chunk)
        else if (!upstream.write(chunk)) client.pause()
      })
      upstream.on('drain', () => client.resume())
      upstream.pipe(client)
      client.on('error', drop).on('close', drop)
      upstream.on('error', drop).on('close', drop)
    })
    server.listen(this.socketPath)
    await once(server, 'listening')
    this.server = server
  }

  /** Requests whose request line matches (and what follows them on their connection) wait until release(). */
  hold (requestLine: RegExp): void {
    this.holding = requestLine
  }

  /** How many requests are being held now. */
  get held (): number {
    return this.holds.length
  }

  release (): void {
    this.holding = null
    for (const resume of this.holds.splice(0)) resume()
  }

  /** The engine goes away: open connections are cut and new ones refused. */
  async stop (): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (server != null) await new Promise<void>(resolve => server.close(() => resolve()))
    await rm(this.socketPath, { force: true })
  }
}
