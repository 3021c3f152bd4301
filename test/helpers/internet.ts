import { spawn } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { ip } from './nat-topology.js'
import { sweeper } from './sweeper.js'
import type { ChildProcess } from 'node:child_process'

/**
 * A stand-in for "somewhere on the internet": a network namespace made here, with a public
 * (TEST-NET-3) address this machine routes to, and a TCP server on it that answers `hello`. A guest
 * container that may reach the internet reaches it through Docker's NAT; one that may not, not.
 * Needs root and iproute2 (see requireNetAdmin in nat-topology.ts).
 */
export class InternetStandIn {
  readonly address: string
  readonly port = 8000
  private readonly netns: string
  private readonly link: string
  private server?: ChildProcess

  private constructor (private readonly net: number) {
    const id = `${process.pid % 100_000}${randomInt(100)}`
    this.netns = `p2prc-inet-${id}`
    // Not p2prc…: guest bridges are, and the firewall matches them by that prefix.
    this.link = `tinet${id}`.slice(0, 15)
    this.address = `203.0.113.${net}`
  }

  static async create (): Promise<InternetStandIn> {
    const inet = new InternetStandIn(randomInt(10, 250))
    try {
      await inet.build()
    } catch (err) {
      await inet.destroy()
      throw err
    }
    return inet
  }

  private async build (): Promise<void> {
    const hostSide = `203.0.113.${this.net === 1 ? 2 : 1}`
    sweeper.add({ kind: 'netns', name: this.netns })
    await ip('netns', 'add', this.netns)
    sweeper.add({ kind: 'link', name: this.link })
    await ip('link', 'add', this.link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.netns)
    await ip('addr', 'add', `${hostSide}/32`, 'dev', this.link)
    await ip('link', 'set', this.link, 'up')
    await ip('route', 'add', `${this.address}/32`, 'dev', this.link)
    await ip('-n', this.netns, 'link', 'set', 'lo', 'up')
    await ip('-n', this.netns, 'addr', 'add', `${this.address}/32`, 'dev', 'eth0')
    await ip('-n', this.netns, 'link', 'set', 'eth0', 'up')
    await ip('-n', this.netns, 'route', 'add', `${hostSide}/32`, 'dev', 'eth0')
    await ip('-n', this.netns, 'route', 'add', 'default', 'via', hostSide)
    const script = `require('net').createServer(s => s.end('hello\\n')).listen(${this.port}, '${this.address}', () => console.log('up'))`
    this.server = spawn('ip', ['netns', 'exec', this.netns, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
    if (this.server.pid != null) sweeper.add({ kind: 'process', pid: this.server.pid, marker: this.address })
    await new Promise<void>((resolve, reject) => {
      this.server?.stdout?.once('data', () => { resolve() })
      this.server?.once('exit', code => { reject(new Error(`the stand-in server exited with ${code}`)) })
    })
  }

  async destroy (): Promise<void> {
    this.server?.kill('SIGKILL')
    if (this.server?.pid != null) sweeper.forget({ kind: 'process', pid: this.server.pid, marker: this.address })
    await ip('link', 'del', this.link).catch(() => {})
    sweeper.forget({ kind: 'link', name: this.link })
    await ip('netns', 'del', this.netns).catch(() => {})
    sweeper.forget({ kind: 'netns', name: this.netns })
  }
}
