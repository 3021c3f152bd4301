import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { multiaddr } from '@multiformats/multiaddr'
import { ConnectionLimits } from '../../dist/host/connection-limits.js'
import { PeerStreams } from '../../dist/protocols/peer-streams.js'
import { addressBytes, inRange, parseCidr, subnetKey } from '../../dist/units/index.js'

/** A stand-in for a transport's socket: only what the gater reads (its address) and its close event. */
class FakeSocket extends EventTarget {
  status: 'open' | 'closed' | 'aborted' | 'reset' = 'open'
  constructor (readonly remoteAddr: ReturnType<typeof multiaddr>) { super() }
  close (): void {
    this.status = 'closed'
    this.dispatchEvent(new Event('close'))
  }
}

const from = (address: string): FakeSocket => new FakeSocket(multiaddr(address))

describe('connection limits', () => {
  it('parses addresses and ranges the way the limits group them', () => {
    assert.deepEqual(addressBytes('10.1.2.3'), Uint8Array.from([10, 1, 2, 3]))
    assert.deepEqual(addressBytes('::ffff:10.1.2.3'), Uint8Array.from([10, 1, 2, 3]), 'an IPv4-mapped address is its IPv4 one')
    assert.equal(addressBytes('2001:db8::1')?.length, 16)
    assert.equal(addressBytes('2001:db8::1')?.[15], 1)
    assert.equal(addressBytes('not an ip'), null)
    assert.equal(subnetKey(addressBytes('10.1.2.3') as Uint8Array), subnetKey(addressBytes('10.1.2.200') as Uint8Array))
    assert.notEqual(subnetKey(addressBytes('10.1.2.3') as Uint8Array), subnetKey(addressBytes('10.1.3.3') as Uint8Array))
    assert.equal(subnetKey(addressBytes('2001:db8:1::1') as Uint8Array), subnetKey(addressBytes('2001:db8:1:ffff::2') as Uint8Array))
    const lan = parseCidr('192.168.0.0/16')
    assert.ok(lan != null && inRange(addressBytes('192.168.44.1') as Uint8Array, lan))
    assert.ok(lan != null && !inRange(addressBytes('192.169.0.1') as Uint8Array, lan))
    assert.ok(lan != null && !inRange(addressBytes('fd00::1') as Uint8Array, lan))
    for (const bad of ['10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', 'nope/8', '10.0.0.0/x']) assert.equal(parseCidr(bad), null, bad)
  })

  it('holds one address to perIp and one /24 to perSubnet until its sockets close; loopback and exempt ranges are not counted', () => {
    const limits = new ConnectionLimits({ perIp: 3, perSubnet: 5, exempt: ['10.9.0.0/16'] })
    const first = [from('/ip4/10.1.2.3/tcp/1'), from('/ip4/10.1.2.3/tcp/2'), from('/ip4/10.1.2.3/tcp/3')]
    for (const socket of first) assert.equal(limits.deny(socket), false)
    assert.equal(limits.deny(from('/ip4/10.1.2.3/tcp/4')), true, 'a fourth from one address is refused')
    assert.equal(limits.deny(from('/ip6/::ffff:10.1.2.3/tcp/4')), true, 'written as IPv6, it is the same address')
    assert.equal(limits.deny(from('/ip4/10.1.2.4/tcp/1')), false)
    assert.equal(limits.deny(from('/ip4/10.1.2.5/tcp/1')), false)
    assert.equal(limits.deny(from('/ip4/10.1.2.6/tcp/1')), true, 'the /24 is full')
    assert.equal(limits.deny(from('/ip4/10.1.3.6/tcp/1')), false, 'the next /24 is not')
    first[0].close()
    assert.equal(limits.count('10.1.2.3'), 2)
    assert.equal(limits.deny(from('/ip4/10.1.2.3/tcp/5')), false, 'a closed socket frees its slot')
    for (let i = 0; i < 100; i++) assert.equal(limits.deny(from(`/ip4/127.0.0.1/tcp/${i + 1}`)), false)
    for (let i = 0; i < 100; i++) assert.equal(limits.deny(from(`/ip4/10.9.1.1/tcp/${i + 1}`)), false)
    assert.equal(limits.deny(from('/ip4/10.1.2.3/tcp/1000/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA/p2p-circuit')), false, 'relayed connections are the relay\'s to limit')
    assert.deepEqual(limits.refused, { ip: 2, subnet: 1 })
    // Sockets that ended before the gater saw them take no slot (their close event is gone).
    for (const status of ['aborted', 'reset', 'closed'] as const) {
      const gone = from('/ip4/10.7.7.7/tcp/1')
      gone.status = status
      assert.equal(limits.deny(gone), false)
    }
    assert.equal(limits.count('10.7.7.7'), 0)
  })

  it('hands its exempt ranges to libp2p\'s connection manager, loopback first', () => {
    const limits = new ConnectionLimits({ perIp: 2, perSubnet: 3, exempt: ['192.168.7.0/24', '2001:db8::/32'] })
    const allow = limits.allowList()
    assert.deepEqual(allow, ['/ip4/127.0.0.0/ipcidr/8', '/ip6/0:0:0:0:0:0:0:1/ipcidr/128', '/ip4/192.168.7.0/ipcidr/24', '/ip6/2001:db8:0:0:0:0:0:0/ipcidr/32'])
    for (const address of allow) assert.doesNotThrow(() => multiaddr(address).getComponents(), address)
  })

  it('a peer holds at most its share of one protocol\'s streams', () => {
    const streams = new PeerStreams(2)
    assert.ok(streams.take('a'))
    assert.ok(streams.take('a'))
    assert.ok(!streams.take('a'))
    assert.ok(streams.take('b'))
    streams.release('a')
    assert.ok(streams.take('a'))
  })
})
