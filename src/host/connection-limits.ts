import { addressBytes, addressText, inRange, LOOPBACK_RANGES, parseCidr, subnetKey } from '../units/index.js'
import type { ConnectionsConfig } from '../config/schema.js'
import type { AddressRange } from '../units/index.js'
import type { ConnectionGater, Logger, MultiaddrConnection } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/**
 * Counts inbound connections by remote IP and by its /24 (/48) from the moment a socket arrives
 * until it closes, and refuses one past the limits before any handshake work is spent on it. So
 * one address with a hundred idle sockets, or three hundred identities, holds at most `perIp` of
 * the node's pending and open slots; everyone else still gets in. Loopback and the configured
 * ranges are exempt; relayed connections are the relay's to limit (they all carry its address).
 */
export class ConnectionLimits {
  private readonly byIp = new Map<string, number>()
  private readonly bySubnet = new Map<string, number>()
  private readonly exempt: AddressRange[]
  /** Refusals since start, by reason, for tests and metrics. */
  readonly refused = { ip: 0, subnet: 0 }

  constructor (private readonly limits: Pick<ConnectionsConfig, 'perIp' | 'perSubnet' | 'exempt'>, private readonly log?: Logger) {
    this.exempt = [...LOOPBACK_RANGES, ...limits.exempt.map(text => parseCidr(text) as AddressRange)]
  }

  /**
   * The exempt ranges as libp2p's connection manager takes them (`allow`): they pass its
   * per-address rate (`perIpPerSecond`) and its caps too, so a machine's own nodes and relays
   * (all on loopback) are not refused when they connect at once. Exempt means trusted.
   */
  allowList (): string[] {
    return this.exempt.map(range => `/${range.bytes.length === 4 ? 'ip4' : 'ip6'}/${addressText(range.bytes)}/ipcidr/${range.prefix}`)
  }

  gater (): ConnectionGater {
    return { denyInboundConnection: maConn => this.deny(maConn) }
  }

  /** True (refuse) when the connection's address or subnet is at its limit; otherwise counts it until it closes. */
  deny (maConn: Pick<MultiaddrConnection, 'remoteAddr' | 'addEventListener' | 'status'>): boolean {
    const ip = remoteIp(maConn.remoteAddr)
    if (ip == null || this.exempt.some(range => inRange(ip.bytes, range))) return false
    const subnet = subnetKey(ip.bytes)
    const key = ipKey(ip.bytes)
    if ((this.byIp.get(key) ?? 0) >= this.limits.perIp) {
      this.refused.ip++
      this.log?.('refused a connection from %s: %d connections from that address already', ip.text, this.limits.perIp)
      return true
    }
    if ((this.bySubnet.get(subnet) ?? 0) >= this.limits.perSubnet) {
      this.refused.subnet++
      this.log?.('refused a connection from %s: %d connections from %s already', ip.text, this.limits.perSubnet, subnet)
      return true
    }
    // A socket that ended already (reset by its peer at once, as a flood's often are) has sent its
    // close event: counting it would hold its slot for ever.
    if (ENDED.has(maConn.status)) return false
    increment(this.byIp, key, 1)
    increment(this.bySubnet, subnet, 1)
    maConn.addEventListener('close', () => {
      increment(this.byIp, key, -1)
      increment(this.bySubnet, subnet, -1)
    }, { once: true })
    return false
  }

  /** Connections counted for an address now (pending and open). */
  count (ip: string): number {
    const bytes = addressBytes(ip)
    return bytes != null ? this.byIp.get(ipKey(bytes)) ?? 0 : 0
  }
}

const ENDED = new Set(['closed', 'aborted', 'reset'])

function increment (counts: Map<string, number>, key: string, by: number): void {
  const next = (counts.get(key) ?? 0) + by
  if (next <= 0) counts.delete(key)
  else counts.set(key, next)
}

/** One key per address however it was written (an IPv4-mapped IPv6 address is its IPv4 one). */
function ipKey (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

function remoteIp (address: Multiaddr): { text: string, bytes: Uint8Array } | null {
  const components = address.getComponents()
  if (components.some(c => c.name === 'p2p-circuit')) return null
  const ip = components.find(c => c.name === 'ip4' || c.name === 'ip6')
  const bytes = ip?.value != null ? addressBytes(ip.value) : null
  return bytes != null && ip?.value != null ? { text: ip.value, bytes } : null
}
