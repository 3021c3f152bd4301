import { randomInt } from 'node:crypto'
import { freeSubnet, ip, run } from './nat-topology.js'
import { bridgeForwardRule, sweeper } from './sweeper.js'

/**
 * A LAN made here: a bridge in this machine's namespace with address 10.N.0.1, and hosts (network
 * namespaces of their own, 10.N.0.2, .3, ...) on it. A daemon in this namespace listening on
 * 10.N.0.1 (where the Docker engine and the guests' firewall live) sees each host as a distinct
 * remote address, not loopback, so the per-address connection limits apply to them as to any peer.
 * Needs root and iproute2 (see requireNetAdmin).
 */
export class TestLan {
  readonly gateway: string
  private readonly bridge: string
  private readonly namespaces: string[] = []
  private nextHost = 2

  private constructor (private readonly net: number, private readonly id: string) {
    this.gateway = `10.${net}.0.1`
    // Not p2prc…: guest bridges are, and the firewall matches them by that prefix.
    this.bridge = `tlan${id}`.slice(0, 15)
  }

  static async create (): Promise<TestLan> {
    const lan = new TestLan(await freeSubnet(), `${process.pid % 100_000}${randomInt(100)}`)
    try {
      sweeper.add({ kind: 'link', name: lan.bridge })
      await ip('link', 'add', lan.bridge, 'type', 'bridge')
      await ip('addr', 'add', `${lan.gateway}/24`, 'dev', lan.bridge)
      await ip('link', 'set', lan.bridge, 'up')
      // Host to host on the bridge (mDNS, one peer dialling another) crosses FORWARD.
      sweeper.add({ kind: 'bridge-forward', name: lan.bridge })
      await run('iptables', '-w', '5', ...bridgeForwardRule('-I', lan.bridge))
    } catch (err) {
      await lan.destroy()
      throw err
    }
    return lan
  }

  /** A new host on the LAN: its namespace, for `ip netns exec`, and its address. */
  async host (): Promise<{ netns: string, ip: string }> {
    const n = this.nextHost++
    const netns = `p2prc-l${n}-${this.id}`
    const address = `10.${this.net}.0.${n}`
    const link = `tl${n}-${this.id}`.slice(0, 15)
    sweeper.add({ kind: 'netns', name: netns })
    await ip('netns', 'add', netns)
    this.namespaces.push(netns)
    await ip('-n', netns, 'link', 'set', 'lo', 'up')
    await ip('link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns)
    await ip('link', 'set', link, 'master', this.bridge, 'up')
    await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0')
    await ip('-n', netns, 'link', 'set', 'eth0', 'up')
    await ip('-n', netns, 'route', 'add', 'default', 'via', this.gateway)
    return { netns, ip: address }
  }

  /** Removes the hosts (their links go with them) and the bridge. */
  async destroy (): Promise<void> {
    for (const netns of this.namespaces.splice(0).reverse()) {
      await ip('netns', 'del', netns).catch(() => {})
      sweeper.forget({ kind: 'netns', name: netns })
    }
    await run('iptables', '-w', '5', ...bridgeForwardRule('-D', this.bridge)).catch(() => {})
    sweeper.forget({ kind: 'bridge-forward', name: this.bridge })
    await ip('link', 'del', this.bridge).catch(() => {})
    sweeper.forget({ kind: 'link', name: this.bridge })
  }
}
