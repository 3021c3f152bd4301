import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Daemons } from '../helpers/daemon-process.js'
import { requireNetAdmin } from '../helpers/nat-topology.js'
import { TestLan } from '../helpers/test-lan.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

// mDNS only inside a LAN made here: each node is a host (a network namespace of its own) on a
// bridge that leads nowhere else, so its multicast never leaves the machine's test network.
describe('LAN discovery (mDNS)', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let lan: TestLan | undefined

  before(async () => {
    if (process.getuid?.() === 0) lan = await TestLan.create()
  })
  after(async () => {
    await daemons.stopAll()
    await lan?.destroy()
    await dirs.cleanup()
  })

  const onLan = async (name: string): Promise<RunningDaemon> => {
    assert.ok(lan != null)
    const host = await lan.host()
    return daemons.start(await dirs.make(), ['--no-docker', '--name', name, '--mdns'], { netns: host.netns, listen: [`/ip4/${host.ip}/tcp/0`], api: `${host.ip}:0` })
  }

  it('two nodes with no bootstrap find each other on the LAN, connect, and hold each other\'s record', async t => {
    if (!await requireNetAdmin(t)) return
    const [a, b] = [await onLan('lan-a'), await onLan('lan-b')]
    for (const [self, other] of [[a, b], [b, a]]) {
      await waitFor(async () => (await self.api.peers()).some(p => p.peerId === other.info.peerId && p.connection === 'direct' && p.resources != null),
        { timeout: 30_000, message: `${self.info.peerId} to find ${other.info.peerId} by mDNS` })
        .catch(err => { throw new Error(`${(err as Error).message}\n--- ${self.info.peerId} ---\n${self.output().slice(-3000)}`) })
    }
  })
})
