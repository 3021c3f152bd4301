import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { peerIdFromString } from '@libp2p/peer-id'
import { publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { createNode } from '../../dist/index.js'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { P2PRCNode } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

async function peerIds (daemon: RunningDaemon): Promise<string[]> {
  return (await daemon.api.peers()).map(p => p.peerId).sort()
}

describe('daemons joining a network', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  const nodes: P2PRCNode[] = []
  after(async () => {
    await Promise.all(nodes.map(async n => n.stop()))
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('two daemons joined by --bootstrap list each other, with latency', async () => {
    const a = await daemons.start(await dirs.make())
    const b = await daemons.start(await dirs.make(), ['--bootstrap', a.info.multiaddrs[0]])
    await waitFor(async () => (await peerIds(a)).includes(b.info.peerId), { message: 'a to see b' })
    await waitFor(async () => (await peerIds(b)).includes(a.info.peerId), { message: 'b to see a' })
    const seen = await waitFor(async () => (await b.api.peers()).find(p => p.peerId === a.info.peerId && p.latencyMs != null))
    assert.ok(seen.latencyMs! >= 0 && seen.latencyMs! < 1000, `latency ${seen.latencyMs}`)
    assert.ok(Date.now() - Date.parse(seen.lastSeen) < 60_000)
    assert.ok(seen.multiaddrs.some(ma => a.info.multiaddrs[0].startsWith(ma)))
  })

  it('three daemons: the third, bootstrapped from one, reaches both', async () => {
    const a = await daemons.start(await dirs.make())
    const b = await daemons.start(await dirs.make(), ['--bootstrap', a.info.multiaddrs[0]])
    const c = await daemons.start(await dirs.make(), ['--bootstrap', a.info.multiaddrs[0]])
    // c learns of b through the DHT's routing (a knows b), and b of c likewise.
    const want = [a.info.peerId, b.info.peerId, c.info.peerId].sort()
    for (const d of [a, b, c]) {
      await waitFor(async () => {
        const ids = await peerIds(d)
        return want.filter(id => id !== d.info.peerId).every(id => ids.includes(id))
      }, { timeout: 30_000, message: `${d.info.peerId} to list the other two` })
    }
    const cli = await runCli(['--data-dir', c.dataDir, 'peers', '--json'])
    assert.equal(cli.code, 0, cli.stderr)
    const listed = JSON.parse(cli.stdout).map((p: { peerId: string }) => p.peerId)
    assert.ok(listed.includes(a.info.peerId) && listed.includes(b.info.peerId))
  })

  it('keeps re-dialling a bootstrap peer that was not up yet', async () => {
    const lateDir = await dirs.make()
    const late = await daemons.start(lateDir)
    const address = late.info.multiaddrs[0]
    const port = address.split('/')[4]
    assert.equal(await late.stop(), 0)

    const waiting = await daemons.start(await dirs.make(), ['--bootstrap', address])
    assert.deepEqual(await peerIds(waiting), [])
    const back = await daemons.start(lateDir, ['--listen', `/ip4/127.0.0.1/tcp/${port}`])
    await waitFor(async () => (await peerIds(waiting)).includes(back.info.peerId), { timeout: 30_000, message: 'the late bootstrap peer to be reached' })
  })

  it('connect dials a peer by multiaddr and reports who answered', async () => {
    const a = await daemons.start(await dirs.make())
    const b = await daemons.start(await dirs.make())
    const cli = await runCli(['--data-dir', b.dataDir, 'connect', a.info.multiaddrs[0], '--json'])
    assert.equal(cli.code, 0, cli.stderr)
    assert.equal(JSON.parse(cli.stdout).peerId, a.info.peerId)
    await waitFor(async () => (await peerIds(a)).includes(b.info.peerId), { message: 'a to see b after connect' })

    const refused = await runCli(['--data-dir', b.dataDir, 'connect', '/ip4/127.0.0.1/tcp/1'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /could not connect to \/ip4\/127\.0\.0\.1\/tcp\/1/)
  })

  it('a DHT record put through one node is read through another', async () => {
    const hub = await daemons.start(await dirs.make())
    const writer = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [hub.info.multiaddrs[0]], docker: null })
    const reader = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [hub.info.multiaddrs[0]], docker: null })
    nodes.push(writer, reader)
    await writer.start()
    await reader.start()
    await waitFor(() => writer.libp2p.getConnections().length > 0 && reader.libp2p.getConnections().length > 0, { message: 'both to connect to the hub' })

    // A public-key record: the key is '/pk/' + the peer ID's multihash, checked by the DHT's validator.
    const writerId = peerIdFromString(writer.peerId)
    const key = new Uint8Array([...new TextEncoder().encode('/pk/'), ...writerId.toMultihash().bytes])
    const value = publicKeyToProtobuf(writer.libp2p.peerId.publicKey!)
    for await (const _ of writer.libp2p.services.dht.put(key, value, { signal: AbortSignal.timeout(15_000) })) { /* drain */ }

    const found = await waitFor(async () => {
      for await (const event of reader.libp2p.services.dht.get(key, { signal: AbortSignal.timeout(10_000) })) {
        if (event.name === 'VALUE') return event.value
      }
      return null
    }, { timeout: 30_000, message: 'the record to be found' })
    assert.deepEqual(Buffer.from(found), Buffer.from(value))
  })
})
