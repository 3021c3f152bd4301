import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { cpus, totalmem } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Daemons, ROOT, runCli } from '../helpers/daemon-process.js'
import { engineAnswers } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { createNode } from '../../dist/index.js'
import type { PeerSummary } from '../../dist/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

/** Short adverts so expiry can be watched within a test. */
const FAST = { advertInterval: '1s', recordTtl: '4s' }
const GPU_SYSFS = join(ROOT, 'test/fixtures/gpu/drm-intel-nvidia')

async function startWithConfig (daemons: Daemons, dirs: TmpDirs, config: object, args: string[] = []): Promise<RunningDaemon> {
  const dir = await dirs.make()
  await writeFile(join(dir, 'config.json'), JSON.stringify({ ...FAST, ...config }))
  return daemons.start(dir, args)
}

async function withRecords (d: RunningDaemon): Promise<PeerSummary[]> {
  return (await d.api.peers()).filter(p => p.resources != null)
}

describe('resource adverts across 5 daemons', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  const nodes: RunningDaemon[] = []
  let docker: boolean
  before(async () => {
    docker = await engineAnswers()
    const boot = await startWithConfig(daemons, dirs, { name: 'n0', labels: { zone: 'eu' } })
    nodes.push(boot)
    const bootstrap = ['--bootstrap', boot.info.multiaddrs[0]]
    nodes.push(await startWithConfig(daemons, dirs, { name: 'n1', labels: { zone: 'eu' } }, bootstrap))
    nodes.push(await startWithConfig(daemons, dirs, { name: 'n2', labels: { zone: 'us' } }, bootstrap))
    nodes.push(await startWithConfig(daemons, dirs, { name: 'gpu-box', sysfs: GPU_SYSFS }, bootstrap))
    nodes.push(await startWithConfig(daemons, dirs, { name: 'client', docker: null }, bootstrap))
  })
  after(async () => {
    await daemons.stopAll()
    await dirs.cleanup()
  })

  it('every node sees every other node\'s record with this machine\'s real figures', async () => {
    for (const node of nodes) {
      const others = nodes.filter(n => n !== node).map(n => n.info.peerId).sort()
      const peers = await waitFor(async () => {
        const seen = await withRecords(node)
        return others.every(id => seen.some(p => p.peerId === id)) ? seen : null
      }, { timeout: 30_000, message: `${node.info.peerId} to hold 4 records` })
      for (const peer of peers) {
        const r = peer.resources!
        assert.equal(r.cpu.threads, cpus().length)
        assert.ok(r.cpu.cores >= 1 && r.cpu.cores <= r.cpu.threads)
        assert.ok(Math.abs(r.memory.totalBytes - totalmem()) < 64 * 1024 ** 2, `memory ${r.memory.totalBytes} vs ${totalmem()}`)
        assert.ok(r.memory.freeBytes > 0 && r.memory.freeBytes <= r.memory.totalBytes)
        assert.ok(r.disk.totalBytes > 0 && r.disk.freeBytes <= r.disk.totalBytes)
        assert.equal(r.docker, peer.name === 'client' ? false : docker)
      }
    }
    const fromClient = await withRecords(nodes[4])
    assert.deepEqual(fromClient.map(p => p.name).sort(), ['gpu-box', 'n0', 'n1', 'n2'])
  })

  it('GPUs found in sysfs travel in the record', async () => {
    const gpuBox = await waitFor(async () => (await withRecords(nodes[0])).find(p => p.name === 'gpu-box'))
    const vendors = gpuBox.resources!.gpus.map(g => g.vendor).sort()
    assert.deepEqual(vendors, ['intel', 'nvidia'])
    const cli = await runCli(['--data-dir', nodes[0].dataDir, 'specs', 'gpu-box', '--json'])
    assert.equal(cli.code, 0, cli.stderr)
    const specs = JSON.parse(cli.stdout)
    assert.equal(specs.peerId, nodes[3].info.peerId)
    assert.equal(specs.resources.gpus.length, 2)
    assert.ok(Date.parse(specs.expiresAt) > Date.now())
  })

  it('filters select the right peers', async () => {
    const from = nodes[4]
    const names = async (query: Parameters<typeof from.api.peers>[0]): Promise<string[]> => (await from.api.peers(query)).map(p => p.name ?? '').sort()
    assert.deepEqual(await names({ label: ['zone=eu'] }), ['n0', 'n1'])
    assert.deepEqual(await names({ label: ['zone=eu', 'zone=us'] }), [])
    if (docker) {
      assert.deepEqual(await names({ gpu: true }), ['gpu-box'])
      assert.deepEqual(await names({ minCpus: 1 }), ['gpu-box', 'n0', 'n1', 'n2'])
      assert.deepEqual(await names({ minMemory: '1g' }), ['gpu-box', 'n0', 'n1', 'n2'])
    }
    assert.deepEqual(await names({ minCpus: 10_000 }), [])
    assert.deepEqual(await names({ minMemory: '100000g' }), [])
    const cli = await runCli(['--data-dir', from.dataDir, 'peers', '--label', 'zone=us', '--json'])
    assert.equal(cli.code, 0, cli.stderr)
    assert.deepEqual(JSON.parse(cli.stdout).map((p: PeerSummary) => p.name), ['n2'])
    const table = await runCli(['--data-dir', from.dataDir, 'peers'])
    assert.match(table.stdout, /^NAME\s+PEER\s+CPUS/m)
    assert.match(table.stdout, /^gpu-box\s/m)
  })

  it('DHT provider records find the peers with a capability', async () => {
    const finder = await createNode({ dataDir: await dirs.make(), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [nodes[1].info.multiaddrs[0]], docker: null, name: 'finder' })
    await finder.start()
    try {
      const gpuPeers = await waitFor(async () => {
        const found = await finder.records.discover('gpu', { signal: AbortSignal.timeout(10_000) })
        return docker ? (found.length > 0 ? found : null) : found
      }, { timeout: 30_000, message: 'GPU providers in the DHT' })
      assert.deepEqual(gpuPeers.map(p => p.peerId), docker ? [nodes[3].info.peerId] : [])
      if (docker) {
        const dockerPeers = await waitFor(async () => {
          const found = await finder.records.discover('docker', { signal: AbortSignal.timeout(10_000) })
          return found.length >= 4 ? found : null
        }, { timeout: 30_000, message: 'docker providers in the DHT' })
        assert.deepEqual(dockerPeers.map(p => p.name).sort(), ['gpu-box', 'n0', 'n1', 'n2'])
      }
    } finally {
      await finder.stop()
    }
  })

  it('a late joiner, bootstrapped from any node, reaches every table and learns every record', async () => {
    const late = await startWithConfig(daemons, dirs, { name: 'late' }, ['--bootstrap', nodes[2].info.multiaddrs[0]])
    for (const node of nodes) {
      await waitFor(async () => (await withRecords(node)).some(p => p.peerId === late.info.peerId), { timeout: 20_000, message: `${node.info.peerId} to see the late joiner` })
    }
    const seen = await waitFor(async () => {
      const records = await withRecords(late)
      return records.length >= nodes.length ? records : null
    }, { timeout: 20_000, message: 'the late joiner to learn all records' })
    const names = seen.map(p => p.name)
    for (const name of ['client', 'gpu-box', 'n0', 'n1', 'n2']) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`)
    const lateCode = await late.stop()
    assert.equal(lateCode, 0, late.output())
  })

  it('a peer that stops disappears from every table after its record expires', async () => {
    const leaver = nodes[2]
    const stoppedAt = Date.now()
    assert.equal(await leaver.stop(), 0)
    for (const node of nodes.filter(n => n !== leaver)) {
      await waitFor(async () => !(await node.api.peers()).some(p => p.peerId === leaver.info.peerId), { timeout: 15_000, message: `${node.info.peerId} to forget the leaver` })
    }
    const took = Date.now() - stoppedAt
    assert.ok(took < 4000 + 3000, `gone within the record lifetime plus a sweep (${took} ms)`)
  })
})
