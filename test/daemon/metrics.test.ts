import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Daemons, ROOT } from '../helpers/daemon-process.js'
import { dockerClient, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { familiesOf, parseSamples, promtoolCheck, requirePromtool, valueOf, withoutFamilies } from '../helpers/prometheus.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { TestContext } from 'node:test'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const REGISTRY = '127.0.0.1:5000'
/** A web server in a container with a 512 KiB file to download through a forward. */
const SERVER = 'mkdir -p /tmp/www && dd if=/dev/zero of=/tmp/www/big bs=1024 count=512 2>/dev/null && exec httpd -f -p 8080 -h /tmp/www'
const BIG = 512 * 1024

/** Every p2prc metric family the README lists, each of which must be on /metrics from the start. */
const FAMILIES = [
  'p2prc_guest_containers', 'p2prc_runs_admitted_total', 'p2prc_runs_refused_total', 'p2prc_image_pulls_total', 'p2prc_image_pull_bytes_total',
  'p2prc_containers_expired_total', 'p2prc_containers_killed_by_host_total', 'p2prc_peers',
  'p2prc_offer_cpus', 'p2prc_offer_memory_bytes', 'p2prc_offer_gpus', 'p2prc_used_cpus', 'p2prc_used_memory_bytes', 'p2prc_used_gpus',
  'p2prc_forwards', 'p2prc_tunnel_connections', 'p2prc_tunnel_connections_total', 'p2prc_tunnel_bytes_total',
  'p2prc_api_requests_total', 'p2prc_api_request_duration_seconds',
  'p2prc_usage_cpu_seconds_total', 'p2prc_usage_memory_byte_seconds_total', 'p2prc_usage_gpu_seconds_total', 'p2prc_usage_network_bytes_total',
  'p2prc_records_accepted_total', 'p2prc_records_rejected_total'
]

async function scrape (d: RunningDaemon): Promise<string> {
  const response = await fetch(`${d.info.api}/metrics`, { headers: { authorization: `Bearer ${d.token}` }, signal: AbortSignal.timeout(10_000) })
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain/)
  return response.text()
}

/** The test registry on loopback (`scripts/start-test-registry.sh`; CI starts one). */
async function requireRegistry (t: TestContext): Promise<boolean> {
  try {
    if ((await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(2000) })).ok) return true
  } catch {
    // No answer: handled below.
  }
  if (process.env.CI != null && process.env.CI !== '') throw new Error(`CI is set but no registry answers on ${REGISTRY} (scripts/start-test-registry.sh)`)
  t.skip(`no registry answers on ${REGISTRY} (run scripts/start-test-registry.sh)`)
  return false
}

describe('Prometheus metrics of p2prc (GET /metrics)', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let a: RunningDaemon
  let b: RunningDaemon
  const pushed = `${REGISTRY}/p2prc/metrics-pull:${randomBytes(4).toString('hex')}`
  /** A metric of b, read afresh. */
  const onB = async (name: string, labels: Record<string, string> = {}): Promise<number> => valueOf(await scrape(b), name, labels)
  const onA = async (name: string, labels: Record<string, string> = {}): Promise<number> => valueOf(await scrape(a), name, labels)
  /** Waits until a metric of `d` is `expected` (gauges and records follow events a moment later). */
  const until = async (read: () => Promise<number>, expected: number, what: string): Promise<void> => {
    let last = Number.NaN
    await waitFor(async () => { last = await read(); return last === expected }, { timeout: 30_000, message: `${what} to be ${expected}` })
      .catch(err => { throw new Error(`${err.message} (last ${last})`) })
  }

  before(async () => {
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({
      advertInterval: '2s',
      recordTtl: '10s',
      policy: { defaultTtl: '1m', maxTtl: '2m', maxContainersPerPeer: 8, allowRegistries: ['*', REGISTRY] }
    }))
    b = await daemons.start(hostDir, ['--name', 'metrics-host'])
    a = await daemons.start(await dirs.make(), ['--name', 'metrics-client', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.verified && p.resources != null), { timeout: 30_000, message: 'a to know b' })
  })
  after(async () => {
    await daemons.stopAll()
    if (b != null) await removeContainersOf(b.info.peerId)
    await dockerClient().getImage(pushed).remove({ force: true }).catch(() => {})
    await dirs.cleanup()
  })

  it('passes promtool on our metrics; Node\'s default metrics appear once, unprefixed', async t => {
    const text = await scrape(b)
    const families = familiesOf(text)
    for (const name of FAMILIES) assert.ok(families.includes(name) || families.includes(name.replace(/_total$/, '')), `${name} is exposed`)
    assert.equal(families.filter(f => f === 'process_cpu_user_seconds_total').length, 1)
    assert.equal(families.filter(f => f === 'nodejs_eventloop_lag_seconds').length, 1)
    assert.deepEqual(families.filter(f => /^p2prc_(process|nodejs)_/.test(f)), [])
    assert.equal(new Set(families).size, families.length, 'no family twice')
    if (!requirePromtool(t)) return
    // libp2p's own metrics (two gauges named *_total) are another issue's: left out of the check.
    const { code, output } = await promtoolCheck(withoutFamilies(text, 'libp2p_'))
    assert.equal(code, 0, output)
    assert.equal(output.trim(), '')
  })

  it('counts API requests by route pattern, method and status class, never the raw URL', async () => {
    const route = '/v1/peers/:peer/resources'
    const before = await scrape(b)
    await b.api.resources(a.info.peerId)
    await b.api.resources(a.info.peerId)
    const unauthorized = await fetch(`${b.info.api}/v1/node`)
    assert.equal(unauthorized.status, 401)
    const missing = await fetch(`${b.info.api}/v1/no/such/${a.info.peerId}`, { headers: { authorization: `Bearer ${b.token}` } })
    assert.equal(missing.status, 404)
    const after = await scrape(b)
    const delta = (name: string, labels: Record<string, string>): number => valueOf(after, name, labels) - valueOf(before, name, labels)
    assert.equal(delta('p2prc_api_requests_total', { method: 'GET', route, status_class: '2xx' }), 2)
    assert.equal(delta('p2prc_api_request_duration_seconds_count', { method: 'GET', route }), 2)
    assert.ok(delta('p2prc_api_request_duration_seconds_sum', { method: 'GET', route }) > 0)
    assert.equal(delta('p2prc_api_requests_total', { method: 'GET', route: '/v1/node', status_class: '4xx' }), 1)
    assert.equal(delta('p2prc_api_requests_total', { method: 'GET', route: 'unmatched', status_class: '4xx' }), 1)
    // The previous scrape is counted once it is answered.
    assert.ok(delta('p2prc_api_requests_total', { method: 'GET', route: '/metrics', status_class: '2xx' }) >= 1)
    const apiLines = after.split('\n').filter(l => l.startsWith('p2prc_api_'))
    assert.ok(apiLines.every(l => !l.includes(a.info.peerId) && !l.includes('/no/such')), 'no raw URL in a label')
  })

  it('counts the peers in the table, verified or not, as the table has them', async () => {
    for (const d of [a, b]) {
      await waitFor(async () => {
        const peers = await d.api.peers()
        const text = await scrape(d)
        return valueOf(text, 'p2prc_peers', { verified: 'true' }) === peers.filter(p => p.verified).length &&
          valueOf(text, 'p2prc_peers', { verified: 'false' }) === peers.filter(p => !p.verified).length
      }, { timeout: 30_000, message: 'the peer gauges to match the table' })
    }
    assert.equal(await onA('p2prc_peers', { verified: 'true' }), 1, 'a knows b, verified')
  })

  it('a run admitted: containers per state and the use of the offer follow it; a host kill is counted', async t => {
    if (!await requireEngine(t)) return
    const record = await b.api.resources(b.info.peerId)
    assert.equal(await onB('p2prc_offer_cpus'), record.resources.offer.cpus)
    assert.equal(await onB('p2prc_offer_memory_bytes'), record.resources.offer.memoryBytes)
    assert.equal(await onB('p2prc_offer_gpus'), record.resources.offer.gpus)
    const before = await scrape(b)
    const running = valueOf(before, 'p2prc_guest_containers', { state: 'running' })
    const usedCpus = valueOf(before, 'p2prc_used_cpus')
    const usedMemory = valueOf(before, 'p2prc_used_memory_bytes')

    const container = await a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '300'], cpus: 0.25, memory: '32m' })
    assert.equal(await onB('p2prc_runs_admitted_total'), valueOf(before, 'p2prc_runs_admitted_total') + 1)
    await until(async () => onB('p2prc_guest_containers', { state: 'running' }), running + 1, 'running guest containers')
    await until(async () => onB('p2prc_used_cpus'), usedCpus + 0.25, 'CPUs used')
    assert.ok(await onB('p2prc_used_memory_bytes') >= usedMemory + 32 * 1024 * 1024, 'its memory limit is in use')

    const kills = valueOf(before, 'p2prc_containers_killed_by_host_total')
    await b.api.hostKill(container.containerId)
    assert.equal(await onB('p2prc_containers_killed_by_host_total'), kills + 1)
    await until(async () => onB('p2prc_guest_containers', { state: 'running' }), running, 'running guest containers')
    await until(async () => onB('p2prc_used_cpus'), usedCpus, 'CPUs used')
  })

  it('a refusal is counted under its rule; a time-limit expiry is counted', async t => {
    if (!await requireEngine(t)) return
    const before = await scrape(b)
    await assert.rejects(a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '300'], cpus: 0.1, memory: '16m', ttl: '10m' }), { name: 'PolicyRefusedError' })
    const after = await scrape(b)
    assert.equal(valueOf(after, 'p2prc_runs_refused_total', { reason: 'ttl' }), valueOf(before, 'p2prc_runs_refused_total', { reason: 'ttl' }) + 1)
    assert.equal(valueOf(after, 'p2prc_runs_refused_total'), valueOf(before, 'p2prc_runs_refused_total') + 1, 'under that rule only')
    assert.equal(valueOf(after, 'p2prc_runs_admitted_total'), valueOf(before, 'p2prc_runs_admitted_total'))

    await a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '300'], cpus: 0.1, memory: '16m', ttl: '2s' })
    await until(async () => onB('p2prc_containers_expired_total'), valueOf(before, 'p2prc_containers_expired_total') + 1, 'time-limit expiries')
  })

  it('image pulls by result, and the bytes pulled', async t => {
    if (!await requireEngine(t) || !await requireRegistry(t)) return
    const docker = dockerClient()
    // An image the engine lacks, in the registry: the test image plus a layer of 4 MiB of random
    // bytes (incompressible, and in no other image, so the pull downloads exactly that layer).
    const [repo, tag] = [pushed.slice(0, pushed.lastIndexOf(':')), pushed.slice(pushed.lastIndexOf(':') + 1)]
    const maker = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sh', '-c', 'dd if=/dev/urandom of=/blob bs=1024 count=4096 2>/dev/null'] })
    try {
      await maker.start()
      await maker.wait()
      await maker.commit({ repo, tag })
    } finally {
      await maker.remove({ force: true })
    }
    const push = await docker.getImage(pushed).push({ authconfig: {} }) as unknown as NodeJS.ReadableStream
    await new Promise<void>((resolve, reject) => { docker.modem.followProgress(push, err => err != null ? reject(err) : resolve()) })
    await docker.getImage(pushed).remove()
    const manifest = await (await fetch(`http://${REGISTRY}/v2/${repo.slice(REGISTRY.length + 1)}/manifests/${tag}`, {
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json' }
    })).json() as { layers: Array<{ size: number }> }
    const newLayer = manifest.layers[manifest.layers.length - 1].size

    const before = await scrape(b)
    await a.api.run(b.info.peerId, { image: pushed, cmd: ['sleep', '300'], cpus: 0.1, memory: '16m' })
    await assert.rejects(a.api.run(b.info.peerId, { image: `${REGISTRY}/p2prc/never-pushed:${randomBytes(4).toString('hex')}`, cmd: ['true'], cpus: 0.1, memory: '16m' }))
    const after = await scrape(b)
    assert.equal(valueOf(after, 'p2prc_image_pulls_total', { result: 'ok' }), valueOf(before, 'p2prc_image_pulls_total', { result: 'ok' }) + 1)
    assert.equal(valueOf(after, 'p2prc_image_pulls_total', { result: 'failed' }), valueOf(before, 'p2prc_image_pulls_total', { result: 'failed' }) + 1)
    assert.equal(valueOf(after, 'p2prc_image_pull_bytes_total') - valueOf(before, 'p2prc_image_pull_bytes_total'), newLayer, 'the one layer the engine lacked, as the registry has it')
  })

  it('a forward and the host\'s tunnel: connections and bytes on both sides', async t => {
    if (!await requireEngine(t)) return
    const container = await a.api.run(b.info.peerId, { image: TEST_IMAGE, cmd: ['sh', '-c', SERVER], ports: [8080], cpus: 0.25, memory: '32m' })
    const beforeA = await scrape(a)
    const beforeB = await scrape(b)
    const forward = await a.api.forward(b.info.peerId, container.containerId, 8080)
    assert.equal(await onA('p2prc_forwards'), valueOf(beforeA, 'p2prc_forwards') + 1)
    // The server may take a moment to listen: a try before that is a connection too.
    const body = await waitFor(async () => {
      const response = await fetch(`http://${forward.local}/big`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) })
      return response.status === 200 ? Buffer.from(await response.arrayBuffer()) : null
    }, { timeout: 30_000, message: 'the file through the forward' })
    assert.equal(body.length, BIG)
    const forwardConnections = await onA('p2prc_tunnel_connections_total', { side: 'forward' }) - valueOf(beforeA, 'p2prc_tunnel_connections_total', { side: 'forward' })
    assert.ok(forwardConnections >= 1, `${forwardConnections} forward connections`)
    await waitFor(async () => await onB('p2prc_tunnel_connections_total', { side: 'host' }) - valueOf(beforeB, 'p2prc_tunnel_connections_total', { side: 'host' }) >= 1, { message: 'the host to count its tunnel' })
    const grew = async (d: RunningDaemon, before: string, side: string, direction: string): Promise<number> =>
      valueOf(await scrape(d), 'p2prc_tunnel_bytes_total', { side, direction }) - valueOf(before, 'p2prc_tunnel_bytes_total', { side, direction })
    // The file came from the container to the host's tunnel (tx) and into the forward (rx); the request went the other way.
    await waitFor(async () => await grew(a, beforeA, 'forward', 'rx') >= BIG && await grew(b, beforeB, 'host', 'tx') >= BIG, { message: 'the file\'s bytes to be counted on both sides' })
    assert.ok(await grew(a, beforeA, 'forward', 'tx') > 0, 'the request, sent by the forward')
    assert.ok(await grew(b, beforeB, 'host', 'rx') > 0, 'the request, received by the host')

    await a.api.closeForward(forward.id)
    assert.equal(await onA('p2prc_forwards'), valueOf(beforeA, 'p2prc_forwards'))
    await until(async () => onA('p2prc_tunnel_connections', { side: 'forward' }), 0, 'open forward connections')
    await until(async () => onB('p2prc_tunnel_connections', { side: 'host' }), 0, 'open host tunnels')
  })

  it('the Grafana dashboard is valid JSON and queries only metrics that exist', async () => {
    const dashboard = JSON.parse(await readFile(join(ROOT, 'docs/grafana/p2prc.json'), 'utf8'))
    const variables = (dashboard.templating?.list ?? []).map((v: { name: string }) => v.name)
    assert.ok(variables.includes('instance') && variables.includes('datasource'), `variables: ${variables.join(', ')}`)
    const exprs: string[] = dashboard.panels.flatMap((p: { targets?: Array<{ expr: string }> }) => (p.targets ?? []).map(target => target.expr))
    assert.ok(exprs.length > 10)
    const names = new Set(parseSamples(await scrape(b)).map(s => s.name))
    for (const expr of exprs) {
      assert.match(expr, /instance=~"\$instance"/, expr)
      for (const [name] of expr.matchAll(/\b(?:p2prc|process|nodejs)_[a-z0-9_]+/g)) {
        // Usage counters have series once the usage meter reports; their family is enough.
        assert.ok(names.has(name) || FAMILIES.includes(name), `${name} (in ${expr}) is on /metrics`)
      }
    }
  })
})
