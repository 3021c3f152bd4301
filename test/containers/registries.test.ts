import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { checkRegistryAddress, isInternalAddress, registryOf } from '../../dist/containers/registries.js'
import { DEFAULT_POLICY } from '../../dist/config/constants.js'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { containersOf, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { Server } from 'node:net'

/** Engine text that tells a peer what answers where (the SSRF oracle): never in a peer's error. */
const ENGINE_TEXT = /connection refused|dial tcp|unauthorized|no such host|i\/o timeout|signature|x509|http:\/\/|https:\/\//i

describe('registries: where images may come from', () => {
  it('names the registry of an image as Docker does', () => {
    assert.equal(registryOf('busybox'), 'docker.io')
    assert.equal(registryOf('team/app:1'), 'docker.io')
    assert.equal(registryOf('quay.io/team/app'), 'quay.io')
    assert.equal(registryOf('127.0.0.1:5000/x'), '127.0.0.1:5000')
    assert.equal(registryOf('localhost/x'), 'localhost')
  })

  it('knows internal addresses: loopback, private, link-local, shared, multicast, IPv4 in IPv6', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1', '224.0.0.1']) {
      assert.equal(isInternalAddress(address), true, address)
    }
    for (const address of ['203.0.113.7', '8.8.8.8', '2001:db8::1']) assert.equal(isInternalAddress(address), false, address)
  })

  it('refuses a registry whose name resolves to an internal address, unless the operator names it', async () => {
    const resolve = async (name: string): Promise<string[]> => name === 'sneaky.example' ? ['10.0.0.5'] : ['203.0.113.9']
    await assert.rejects(checkRegistryAddress('sneaky.example/x', DEFAULT_POLICY, { resolve }), { name: 'PolicyRefusedError', message: /sneaky\.example are refused: it is on this node's own or private network/ })
    await checkRegistryAddress('public.example/x', DEFAULT_POLICY, { resolve })
    await checkRegistryAddress('sneaky.example/x', { ...DEFAULT_POLICY, allowRegistries: ['*', 'sneaky.example'] }, { resolve })
    await assert.rejects(checkRegistryAddress('nowhere.example/x', DEFAULT_POLICY, { resolve: async () => { throw new Error('ENOTFOUND') } }), /does not resolve/)
  })
})

describe('pulls a peer asks for reach no internal service, and fail without the engine\'s words', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon
  let client: RunningDaemon
  let trap: Server
  let trapPort = 0
  let connections = 0
  /** A port on loopback that nothing listens on. */
  let closedPort = 0

  before(async () => {
    // A service on this host's loopback that a pull must never reach.
    trap = createServer(socket => { connections++; socket.destroy() })
    trap.listen(0, '127.0.0.1')
    await once(trap, 'listening')
    trapPort = (trap.address() as { port: number }).port
    const probe = createServer()
    probe.listen(0, '127.0.0.1')
    await once(probe, 'listening')
    closedPort = (probe.address() as { port: number }).port
    probe.close()
    const dir = await dirs.make()
    // The operator allows one loopback registry by name; the trap is not it.
    await writeFile(join(dir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { allowRegistries: ['*', `127.0.0.1:${closedPort}`] } }))
    host = await daemons.start(dir, ['--name', 'registry-host'])
    client = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', host.info.multiaddrs[0]])
    await waitFor(async () => (await client.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { message: 'the host to be known' })
  })
  after(async () => {
    trap?.close()
    await daemons.stopAll()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('refuses a pull from 127.0.0.1 or localhost by default, and nothing reaches the port', async t => {
    if (!await requireEngine(t)) return
    for (const image of [`127.0.0.1:${trapPort}/x/y`, `localhost:${trapPort}/x/y`]) {
      const r = await runCli(['--data-dir', client.dataDir, 'run', host.info.peerId, image])
      assert.equal(r.code, 1, image)
      assert.match(r.stderr, /are refused: it is on this node's own or private network \(its operator can allow it by name in policy\.allowRegistries\)/, image)
    }
    assert.equal(connections, 0, 'no request reached the port')
    assert.deepEqual(await containersOf(host.info.peerId), [])
  })

  it('a failed pull from an allowed registry says so with a reference, never the engine\'s text', async t => {
    if (!await requireEngine(t)) return
    const r = await runCli(['--data-dir', client.dataDir, 'run', host.info.peerId, `127.0.0.1:${closedPort}/nothing/here:1`])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /pulling 127\.0\.0\.1:\d+\/nothing\/here:1 failed \(reference [0-9a-f]{8} in this node's log\)/)
    assert.doesNotMatch(r.stderr, ENGINE_TEXT)
    // A run of a local image still works: the refusals changed nothing.
    const ok = await runCli(['--data-dir', client.dataDir, 'run', host.info.peerId, TEST_IMAGE, '--cpus', '0.1', '--memory', '16m', '--json', '--', 'sleep', '30'])
    assert.equal(ok.code, 0, ok.stderr)
  })
})
