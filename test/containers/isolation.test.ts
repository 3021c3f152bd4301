import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { once } from 'node:events'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { after, before, describe, it } from 'node:test'
import { Daemons } from '../helpers/daemon-process.js'
import { dockerClient, engineAnswers, engineHasRuntime, GUEST_RUNTIMES, removeContainersOf, requireEngine, requireRuntime, TEST_IMAGE } from '../helpers/docker.js'
import { InternetStandIn } from '../helpers/internet.js'
import { requireNetAdmin } from '../helpers/nat-topology.js'
import { sweeper } from '../helpers/sweeper.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { TestContext } from 'node:test'
import type { Server } from 'node:net'

const exec = promisify(execFile)
const SMALL = { cpus: 0.1, memory: '32m', ttl: '10m' }
const TEST_LABEL = 'p2prc.test'

/** What a guest sees when it opens TCP to HOST:PORT and sends an HTTP request: the first line, or '' (refused, unreachable, timed out). */
async function probe (containerId: string, host: string, port: number): Promise<string> {
  const script = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${host} ${port} 2>/dev/null | head -1`
  const { stdout } = await exec('docker', ['exec', containerId, 'sh', '-c', script], { timeout: 20_000 })
  return stdout.trim()
}

/** The probe's answer once there is one, for waitFor: no answer yet (a sandbox still starting) is null, so it retries. */
async function answerOf (containerId: string, host: string, port: number): Promise<string | null> {
  return (await probe(containerId, host, port)) || null
}

/** Whether a guest's TCP connection to HOST:PORT is accepted at all. */
async function reaches (containerId: string, host: string, port: number): Promise<boolean> {
  const { stdout } = await exec('docker', ['exec', containerId, 'sh', '-c', `nc -w 3 ${host} ${port} -e true 2>/dev/null; echo rc=$?`], { timeout: 20_000 })
  return stdout.includes('rc=0')
}

async function requireGuests (t: TestContext, runtime: string | null): Promise<boolean> {
  return await requireRuntime(t, runtime) && await requireNetAdmin(t)
}

for (const runtime of GUEST_RUNTIMES) {
  describe(`guests are sealed off from each other and from the host (runtime ${runtime ?? 'default'})`, () => {
    const dirs = new TmpDirs()
    const daemons = new Daemons()
    const runId = randomBytes(4).toString('hex')
    const lan = `p2prc-test-lan-${runId}`
    let gateway = ''
    let control = ''
    let service: Server
    let servicePort = 0
    let host: RunningDaemon
    let a: RunningDaemon
    let c: RunningDaemon
    let libp2pPort = 0
    let ready = false

    before(async () => {
      if (!await engineAnswers() || (runtime != null && !await engineHasRuntime(runtime))) return
      // A network of the test's own, whose gateway is one of this host's addresses, with a
      // container on it: what an ordinary (non-guest) container on this host can reach.
      const docker = dockerClient()
      sweeper.add({ kind: 'network', name: lan })
      sweeper.add({ kind: 'containers', label: `${TEST_LABEL}=${runId}` })
      const network = await docker.createNetwork({ Name: lan, Driver: 'bridge', Labels: { [TEST_LABEL]: runId } })
      gateway = String((await network.inspect()).IPAM?.Config?.[0]?.Gateway)
      const container = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sleep', '600'], Labels: { [TEST_LABEL]: runId }, HostConfig: { NetworkMode: lan } })
      await container.start()
      control = container.id
      // A service of this host on every address, as a database or admin page would be.
      service = createServer(socket => { socket.end('HTTP/1.0 200 host-service\r\n\r\n') })
      service.listen(0, '0.0.0.0')
      await once(service, 'listening')
      servicePort = (service.address() as { port: number }).port

      const hostDir = await dirs.make()
      await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { runtime, maxCpusPerPeer: null } }))
      host = await daemons.start(hostDir, ['--name', 'iso-host'], { listen: ['/ip4/127.0.0.1/tcp/0', `/ip4/${gateway}/tcp/0`] })
      libp2pPort = Number(host.info.multiaddrs.find(ma => ma.includes(gateway))?.split('/')[4])
      a = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', host.info.multiaddrs[0]])
      c = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', host.info.multiaddrs[0]])
      for (const client of [a, c]) {
        await waitFor(async () => (await client.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { timeout: 20_000, message: 'the host to be known' })
      }
      ready = true
    })
    after(async () => {
      await daemons.stopAll()
      if (host != null) await removeContainersOf(host.info.peerId)
      service?.close()
      const docker = dockerClient()
      if (control !== '') await docker.getContainer(control).remove({ force: true }).catch(() => {})
      await docker.getNetwork(lan).remove().catch(() => {})
      sweeper.forget({ kind: 'network', name: lan })
      sweeper.forget({ kind: 'containers', label: `${TEST_LABEL}=${runId}` })
      await dirs.cleanup()
    })

    it('an owner\'s containers reach each other by name; another owner\'s reach neither, by IP or by name', async t => {
      if (!await requireGuests(t, runtime) || !ready) return
      const web = await a.api.run(host.info.peerId, { image: TEST_IMAGE, name: 'web', cmd: ['httpd', '-f', '-p', '8080', '-h', '/tmp'], ports: [8080], ...SMALL })
      const sibling = await a.api.run(host.info.peerId, { image: TEST_IMAGE, name: 'sibling', cmd: ['sleep', '600'], ...SMALL })
      const stranger = await c.api.run(host.info.peerId, { image: TEST_IMAGE, name: 'stranger', cmd: ['sleep', '600'], ...SMALL })
      const webIp = Object.values((await dockerClient().getContainer(web.containerId).inspect()).NetworkSettings.Networks)[0].IPAddress
      assert.match(webIp, /^\d+\.\d+\.\d+\.\d+$/)
      assert.match(await waitFor(async () => answerOf(sibling.containerId, 'web', 8080), { message: 'the sibling to reach web by name' }), /^HTTP\/1\.[01] 404/)
      // What must answer is retried (a busy machine, a sandbox starting up); what must not is asked once.
      assert.match(await waitFor(async () => answerOf(sibling.containerId, webIp, 8080), { message: 'the sibling to reach web by IP' }), /^HTTP\/1\.[01] 404/)
      assert.equal(await probe(stranger.containerId, webIp, 8080), '', 'another owner\'s container is out of reach by IP')
      assert.equal(await probe(stranger.containerId, 'web', 8080), '', 'and by name')
      assert.equal(await probe(control, webIp, 8080), '', 'so is it from containers that are not p2prc\'s')
      if (runtime === 'runsc') {
        const { stdout } = await exec('docker', ['exec', web.containerId, 'dmesg'])
        assert.match(stdout, /Starting gVisor/, 'the guest runs under gVisor')
      }
      // The owner still reaches its port: the tunnel goes through the host's loopback.
      const forward = await a.api.forward(host.info.peerId, web.containerId, 8080)
      const answer = await waitFor(async () => fetch(`http://${forward.local}/`).catch(() => null), { message: 'the forward to answer' })
      assert.equal(answer.status, 404)
      await a.api.closeForward(forward.id)
      for (const [client, id] of [[a, web.containerId], [a, sibling.containerId], [c, stranger.containerId]] as const) await client.api.kill(host.info.peerId, id)
    })

    it('guests reach neither this host\'s services, nor the daemon\'s libp2p port, nor the engine', async t => {
      if (!await requireGuests(t, runtime) || !ready) return
      // The control container proves the targets answer: only guests are kept out.
      assert.match(await waitFor(async () => answerOf(control, gateway, servicePort), { message: 'the host service to answer the control container' }), /host-service/)
      assert.ok(await waitFor(async () => reaches(control, gateway, libp2pPort), { message: 'the daemon\'s libp2p port to answer an ordinary container' }))
      const guest = await c.api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '600'], ...SMALL })
      const info = await dockerClient().getContainer(guest.containerId).inspect()
      const ownGateway = Object.values(info.NetworkSettings.Networks)[0].Gateway
      for (const address of [gateway, ownGateway, '172.17.0.1']) {
        assert.equal(await reaches(guest.containerId, address, servicePort), false, `a service on ${address}`)
        assert.equal(await reaches(guest.containerId, address, libp2pPort), false, `the libp2p port on ${address}`)
      }
      const socket = await exec('docker', ['exec', guest.containerId, 'sh', '-c', 'ls /var/run/docker.sock /run/docker.sock 2>&1; echo done'])
      assert.doesNotMatch(socket.stdout, /^\/(var\/)?run\/docker\.sock$/m, 'no engine socket inside')
      assert.equal(info.HostConfig.Privileged, false)
      assert.deepEqual(info.HostConfig.Binds ?? [], [])
      await c.api.kill(host.info.peerId, guest.containerId)
    })
  })
}

describe('policy.network: outbound reaches the internet, none reaches nothing outside', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let internet: InternetStandIn | undefined
  const hosts: Record<'outbound' | 'none', RunningDaemon | undefined> = { outbound: undefined, none: undefined }
  let client: RunningDaemon

  before(async () => {
    if (!await engineAnswers() || process.getuid?.() !== 0) return
    internet = await InternetStandIn.create()
    for (const mode of ['outbound', 'none'] as const) {
      const dir = await dirs.make()
      await writeFile(join(dir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', name: `net-${mode}`, policy: { network: mode } }))
      hosts[mode] = await daemons.start(dir)
    }
    client = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', hosts.outbound!.info.multiaddrs[0], '--bootstrap', hosts.none!.info.multiaddrs[0]])
    await waitFor(async () => (await client.api.peers()).filter(p => p.resources?.docker === true).length === 2, { timeout: 20_000, message: 'both hosts to be known' })
  })
  after(async () => {
    await daemons.stopAll()
    for (const h of Object.values(hosts)) if (h != null) await removeContainersOf(h.info.peerId)
    await internet?.destroy()
    await dirs.cleanup()
  })

  it('a guest of an outbound host reaches a public address; a guest of a none host does not', async t => {
    if (!await requireEngine(t) || !await requireNetAdmin(t) || internet == null) return
    const target = internet
    const fetchHello = async (containerId: string): Promise<string> =>
      (await exec('docker', ['exec', containerId, 'sh', '-c', `nc -w 3 ${target.address} ${target.port} 2>/dev/null; true`], { timeout: 20_000 })).stdout.trim()
    const outbound = await client.api.run(hosts.outbound!.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '600'], ...SMALL })
    const none = await client.api.run(hosts.none!.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '600'], ...SMALL })
    assert.equal(await waitFor(async () => await fetchHello(outbound.containerId) === 'hello' ? 'hello' : null, { message: 'the outbound guest to reach the public address' }), 'hello')
    assert.equal(await fetchHello(none.containerId), '', 'the guest of a none host reaches nothing outside')
    await client.api.kill(hosts.outbound!.info.peerId, outbound.containerId)
    await client.api.kill(hosts.none!.info.peerId, none.containerId)
  })
})
