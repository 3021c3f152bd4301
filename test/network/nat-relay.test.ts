import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Daemons } from '../helpers/daemon-process.js'
import { removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { NatTopology, requireNetAdmin } from '../helpers/nat-topology.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { TestContext } from 'node:test'

/** A web server in a container: a 20 MB random file, its SHA-256 in the log. */
const SERVER = 'mkdir -p /tmp/www && dd if=/dev/urandom of=/tmp/www/big bs=1M count=20 2>/dev/null && sha256sum /tmp/www/big && exec httpd -f -p 8080 -h /tmp/www'

const API_PORT = 5701
const FORWARD_PORT = 5702

interface Peer { peerId: string, connection: 'direct' | 'relayed' | null, resources: { docker: boolean } | null }

describe('a host behind NAT, reached through a relay', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  const natted: RunningDaemon[] = []
  let topology: NatTopology | undefined
  let relayAddress = ''

  /** A relay on the WAN; its address, with /p2p/. */
  const startRelay = async (config: object = {}): Promise<string> => {
    assert.ok(topology != null)
    const wan = await topology.wanHost()
    const dir = await dirs.make()
    await writeFile(join(dir, 'config.json'), JSON.stringify(config))
    const relay = await daemons.start(dir, ['--relay', '--no-docker', '--name', 'relay'], {
      netns: wan.netns, listen: [`/ip4/${wan.ip}/tcp/0`], api: `${wan.ip}:0`
    })
    const address = relay.info.multiaddrs.find(a => a.includes(`/ip4/${wan.ip}/`))
    assert.ok(address != null, relay.info.multiaddrs.join(' '))
    return address
  }

  before(async () => {
    if (process.getuid?.() !== 0) return
    topology = await NatTopology.create()
    relayAddress = await startRelay()
  })
  after(async () => {
    await daemons.stopAll()
    for (const host of natted) await removeContainersOf(host.info.peerId)
    await topology?.destroy()
    await dirs.cleanup()
  })

  /**
   * A daemon behind the NAT (Docker host) and a client on the WAN, both joined through the relay.
   * The client's firewall accepts no connection but to its API and forward ports (a fresh namespace
   * has nothing listening, so fixed ports are free there): neither side can dial the other, and the
   * relay is the only way between them.
   */
  const pair = async (relay: string): Promise<{ host: RunningDaemon, client: RunningDaemon, clientIp: string }> => {
    assert.ok(topology != null && relay !== '', 'the relay to be up')
    const config = '{}'
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), config)
    // Listening on the relay's /p2p-circuit address makes a reservation there: the relayed
    // address is how WAN peers reach this host.
    const host = await daemons.start(hostDir, ['--name', 'natted', '--bootstrap', relay], {
      listen: [`/ip4/${topology.lanIp}/tcp/0`, `${relay}/p2p-circuit`]
    })
    natted.push(host)
    const wan = await topology.wanHost({ acceptPorts: [API_PORT, FORWARD_PORT] })
    const clientDir = await dirs.make()
    await writeFile(join(clientDir, 'config.json'), config)
    const client = await daemons.start(clientDir, ['--no-docker', '--name', 'client', '--bootstrap', relay], {
      netns: wan.netns, listen: [`/ip4/${wan.ip}/tcp/0`], api: `${wan.ip}:${API_PORT}`
    })
    return { host, client, clientIp: wan.ip }
  }

  /** Runs the web server on the host, from the client, and forwards its port to the client's WAN address. */
  const serveAndForward = async (host: RunningDaemon, client: RunningDaemon, clientIp: string): Promise<{ url: string, hash: string, containerId: string }> => {
    const container = await client.api.run(host.info.peerId, { image: TEST_IMAGE, cmd: ['sh', '-c', SERVER], ports: [8080], cpus: 0.5, memory: '64m' })
    const hash = await waitFor(async () => {
      for await (const line of client.api.logs(host.info.peerId, container.containerId, { follow: false, tail: 'all' })) {
        const match = /^([0-9a-f]{64})\s/.exec(line.text)
        if (match != null) return match[1]
      }
      return null
    }, { timeout: 30_000, message: 'the file hash in the log' })
    // The listener is in the client's namespace: on its WAN address, the test can reach it.
    const forward = await client.api.forward(host.info.peerId, container.containerId, 8080, `${clientIp}:${FORWARD_PORT}`)
    return { url: `http://${forward.local}/big`, hash, containerId: container.containerId }
  }

  const fetchHash = async (url: string): Promise<string> => {
    const response = await waitFor(async () => fetch(url).catch(() => null), { message: 'the server to answer through the forward' })
    assert.equal(response.status, 200)
    const body = Buffer.from(await response.arrayBuffer())
    assert.equal(body.length, 20 * 1024 * 1024)
    return createHash('sha256').update(body).digest('hex')
  }

  const ready = async (t: TestContext): Promise<boolean> => await requireNetAdmin(t) && await requireEngine(t)

  it('advertises a relayed address and serves a forwarded port through the relay', async t => {
    if (!await ready(t)) return
    const { host, client, clientIp } = await pair(relayAddress)
    const hostAddrs = await waitFor(async () => {
      const node = await host.api.request('GET', '/v1/node') as { multiaddrs: string[] }
      return node.multiaddrs.some(a => a.includes('/p2p-circuit')) ? node.multiaddrs : null
    }, { timeout: 30_000, message: 'the host to hold a relay reservation' })
    assert.ok(hostAddrs.some(a => a.startsWith(relayAddress) && a.endsWith(`/p2p-circuit/p2p/${host.info.peerId}`)), hostAddrs.join(' '))

    // The client learns the host and its resources through the network, never dialling the LAN.
    await waitFor(async () => (await client.api.peers() as Peer[]).some(p => p.peerId === host.info.peerId && p.resources?.docker === true),
      { timeout: 60_000, message: 'the client to see the natted host with Docker' })
    const { url, hash, containerId } = await serveAndForward(host, client, clientIp)
    assert.equal(await fetchHash(url), hash)
    const seen = (await client.api.peers() as Peer[]).find(p => p.peerId === host.info.peerId)
    assert.equal(seen?.connection, 'relayed', 'with hole punching off, the only way to the host is the relay')
    // A command in the container, its input and output through the relay too.
    const session = await client.api.exec(host.info.peerId, containerId, { cmd: ['sh', '-c', 'read line; echo "got $line"; echo err >&2; exit 4'], stdin: true })
    await session.write(Buffer.from('through the relay\n'))
    let output = ''
    for await (const chunk of session.output) output += `${chunk.stream}:${Buffer.from(chunk.data).toString()}`
    assert.equal(await session.wait(), 4)
    assert.equal(output.split('\n').filter(l => l !== '').sort().join('|'), 'stderr:err|stdout:got through the relay')
  })

  it('ends a relayed connection that exceeds the relay\'s data limit', async t => {
    if (!await ready(t)) return
    // 4 MiB per relayed connection: enough for joining, the run and its logs, not for 20 MB.
    const stingy = await startRelay({ relay: { connectionLimit: { duration: '1h', data: '4m' } } })
    const { host, client, clientIp } = await pair(stingy)
    await waitFor(async () => (await client.api.peers() as Peer[]).some(p => p.peerId === host.info.peerId && p.resources?.docker === true),
      { timeout: 60_000, message: 'the client to see the natted host with Docker' })
    const { url } = await serveAndForward(host, client, clientIp)
    await assert.rejects(fetchHash(url))
  })
})
