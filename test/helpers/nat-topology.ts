import { execFile } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { promisify } from 'node:util'
import { sweeper } from './sweeper.js'
import type { TestContext } from 'node:test'

const exec = promisify(execFile)

/**
 * A small internet made of network namespaces, all created here and removed by `destroy()`:
 *
 *     relay, clients (netns) ── bridge "WAN" 10.N.1.0/24 ── router (netns) ── "LAN" 10.N.2.0/24 ── this machine's namespace
 *
 * The router masquerades the LAN behind its WAN address and drops connections that start on the
 * WAN, as a home router does. So a daemon in this machine's own namespace (where the Docker engine
 * publishes container ports) is behind NAT: it can dial out to the WAN, but nothing on the WAN can
 * dial it. This namespace also gets a route to the WAN through the router, so the test reaches the
 * daemons' control APIs there (masqueraded like any other LAN traffic).
 */
export class NatTopology {
  /** This machine's address on the LAN, behind the router. */
  readonly lanIp: string
  private readonly namespaces: string[] = []
  private nextHost = 2
  private readonly router: string
  private readonly hostLink: string

  private constructor (private readonly net: number, private readonly id: string) {
    this.lanIp = `10.${net}.2.2`
    this.router = `p2prc-rt-${id}`
    // Not p2prc…: guest bridges are, and the firewall matches them by that prefix.
    this.hostLink = `natlan-${id}`.slice(0, 15)
  }

  /** Builds the router, the WAN bridge and the LAN link. */
  static async create (): Promise<NatTopology> {
    const net = await freeSubnet()
    const topology = new NatTopology(net, `${process.pid % 100_000}${randomInt(100)}`)
    try {
      await topology.build()
    } catch (err) {
      await topology.destroy()
      throw err
    }
    return topology
  }

  private async build (): Promise<void> {
    const { router, net, hostLink } = this
    sweeper.add({ kind: 'netns', name: router })
    await ip('netns', 'add', router)
    this.namespaces.push(router)
    await ip('-n', router, 'link', 'set', 'lo', 'up')
    await ip('-n', router, 'link', 'add', 'wan', 'type', 'bridge')
    await ip('-n', router, 'addr', 'add', `10.${net}.1.1/24`, 'dev', 'wan')
    await ip('-n', router, 'link', 'set', 'wan', 'up')
    sweeper.add({ kind: 'link', name: hostLink })
    await ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'lan', 'netns', router)
    await ip('addr', 'add', `${this.lanIp}/24`, 'dev', hostLink)
    await ip('link', 'set', hostLink, 'up')
    await ip('-n', router, 'addr', 'add', `10.${net}.2.1/24`, 'dev', 'lan')
    await ip('-n', router, 'link', 'set', 'lan', 'up')
    await run('ip', 'netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1')
    await run('ip', 'netns', 'exec', router, 'iptables', '-t', 'nat', '-A', 'POSTROUTING', '-s', `10.${net}.2.0/24`, '-o', 'wan', '-j', 'MASQUERADE')
    await run('ip', 'netns', 'exec', router, 'iptables', '-A', 'FORWARD', '-i', 'wan', '-o', 'lan', '-m', 'conntrack', '--ctstate', 'NEW', '-j', 'DROP')
    await ip('route', 'add', `10.${net}.1.0/24`, 'via', `10.${net}.2.1`)
  }

  /**
   * A new host on the WAN (a namespace of its own): its name, for `ip netns exec`, and its address.
   * With `acceptPorts`, its firewall refuses every incoming TCP connection but to those ports, as
   * a host behind a NAT or firewall of its own.
   */
  async wanHost (options: { acceptPorts?: number[] } = {}): Promise<{ netns: string, ip: string }> {
    const n = this.nextHost++
    const netns = `p2prc-w${n}-${this.id}`
    const address = `10.${this.net}.1.${n}`
    sweeper.add({ kind: 'netns', name: netns })
    await ip('netns', 'add', netns)
    this.namespaces.push(netns)
    await ip('-n', netns, 'link', 'set', 'lo', 'up')
    await ip('-n', this.router, 'link', 'add', `h${n}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns)
    await ip('-n', this.router, 'link', 'set', `h${n}`, 'master', 'wan', 'up')
    await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
    await ip('-n', netns, 'link', 'set', 'eth0', 'up')
    if (options.acceptPorts != null) {
      await run('ip', 'netns', 'exec', netns, 'iptables', '-A', 'INPUT', '-i', 'eth0', '-p', 'tcp', '-m', 'conntrack', '--ctstate', 'NEW',
        '-m', 'multiport', '!', '--dports', options.acceptPorts.join(','), '-j', 'REJECT', '--reject-with', 'tcp-reset')
    }
    return { netns, ip: address }
  }

  /** Removes every namespace and link made here (the route goes with the link). */
  async destroy (): Promise<void> {
    await ip('link', 'del', this.hostLink).catch(() => {})
    sweeper.forget({ kind: 'link', name: this.hostLink })
    for (const netns of this.namespaces.splice(0).reverse()) {
      await ip('netns', 'del', netns).catch(() => {})
      sweeper.forget({ kind: 'netns', name: netns })
    }
  }
}

/**
 * The NAT test needs root, iproute2 and iptables. Outside CI it skips and says why when they are
 * missing; with CI set it fails, since CI runs as root with both installed.
 */
export async function requireNetAdmin (t: TestContext): Promise<boolean> {
  const missing = await whyNoNetAdmin()
  if (missing == null) return true
  if (process.env.CI != null && process.env.CI !== '') throw new Error(`CI is set but the NAT test cannot build its network: ${missing}`)
  t.skip(`cannot build network namespaces here: ${missing}`)
  return false
}

async function whyNoNetAdmin (): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'not root'
  try {
    await run('ip', '-V')
    await run('iptables', '--version')
  } catch (err: any) {
    return `${err.path ?? 'a tool'} is missing (apt-get install iproute2 iptables)`
  }
  return null
}

/** A 10.N.0.0/16 that no route of this machine touches. */
export async function freeSubnet (): Promise<number> {
  const { stdout } = await exec('ip', ['-4', 'route', 'show', 'table', 'all'])
  for (let tries = 0; tries < 50; tries++) {
    const n = randomInt(100, 250)
    if (!stdout.includes(`10.${n}.`)) return n
  }
  throw new Error('no free 10.N.0.0/16 subnet for the test network')
}

/** `ip ARGS...`, its stderr in the error. */
export async function ip (...args: string[]): Promise<void> {
  await run('ip', ...args)
}

export async function run (command: string, ...args: string[]): Promise<void> {
  try {
    await exec(command, args, { timeout: 10_000 })
  } catch (err: any) {
    err.message = `${command} ${args.join(' ')}: ${err.stderr?.trim() ?? err.message}`
    throw err
  }
}
