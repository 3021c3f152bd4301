// Working inside a remote container against doing it on the engine directly, on the same engine in
// one run: `exec -- true` round trips (p2prc's CLI through both daemons and libp2p, against
// `docker exec`; and the library API, against a direct engine exec), and a 512 MiB file copied
// in and out (`p2prc cp` against `docker cp`), with both daemons' RSS during the copy.
// Goals: exec overhead under 20 ms over docker exec; cp at least 0.8x docker cp's throughput.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { open, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { ApiClient } from '../../dist/api-client/api-client.js'
import { api, engineOrSkip, fmt, mib, removeDir, rssBytes, ROOT, startHostAndClient, summary, tmpDir, waitUntil } from './lib.mjs'

const execFileAsync = promisify(execFile)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)
const COPY_BYTES = 512 * 1024 * 1024
const IMAGE = 'p2prc-test/busybox:latest'
const CLI = join(ROOT, 'dist/cli.js')

async function timed (fn) {
  const t0 = performance.now()
  await fn()
  return performance.now() - t0
}

/** Alternating pairs, so drift hits both sides alike; one warm-up of each first. */
async function pairs (n, ours, theirs) {
  await ours()
  await theirs()
  const a = []
  const b = []
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) { a.push(await timed(ours)); b.push(await timed(theirs)) } else { b.push(await timed(theirs)); a.push(await timed(ours)) }
  }
  return [summary(a), summary(b)]
}

async function drain (session) {
  for await (const _ of session.output) continue
  return session.wait()
}

export async function run () {
  const docker = await engineOrSkip(Docker)
  if (docker == null) return
  const root = await tmpDir()
  const { host, client } = await startHostAndClient(root)
  try {
    await waitUntil(async () => (await api(client, '/v1/peers')).some(p => p.peerId === host.info.peerId && p.resources?.docker), 30_000, 'the host record')
    const lib = new ApiClient(client.info.api, client.token)
    const container = await lib.run(host.info.peerId, { image: IMAGE, cmd: ['sleep', '3600'], cpus: 0.5, memory: '256m', ttl: '30m' })
    const id = container.containerId
    const cli = async (...args) => execFileAsync(process.execPath, [CLI, '--data-dir', client.dataDir, ...args], { maxBuffer: 1024 * 1024 })

    const [ourCli, dockerCli] = await pairs(ROUNDS, () => cli('exec', host.info.peerId, id, 'true'), () => execFileAsync('docker', ['exec', id, 'true']))
    console.log(`exec -- true, CLI (${ROUNDS} pairs): p2prc exec p50 ${fmt(ourCli.p50)} p95 ${fmt(ourCli.p95)}; docker exec p50 ${fmt(dockerCli.p50)} p95 ${fmt(dockerCli.p95)}; overhead ${fmt(ourCli.p50 - dockerCli.p50)}  [goal < 20 ms]`)
    const engine = docker.getContainer(id)
    const [ourApi, engineApi] = await pairs(ROUNDS,
      async () => drain(await lib.exec(host.info.peerId, id, { cmd: ['true'] })),
      async () => {
        const exec = await engine.exec({ Cmd: ['true'], AttachStdout: true, AttachStderr: true })
        const stream = await exec.start({ hijack: true, stdin: false })
        stream.resume()
        await new Promise(resolve => stream.once('end', resolve))
        while ((await exec.inspect()).Running) await new Promise(resolve => setTimeout(resolve, 2))
      })
    console.log(`exec -- true, API (${ROUNDS} pairs): p2prc (API -> libp2p -> host) p50 ${fmt(ourApi.p50)} p95 ${fmt(ourApi.p95)}; engine API direct p50 ${fmt(engineApi.p50)} p95 ${fmt(engineApi.p95)}; overhead ${fmt(ourApi.p50 - engineApi.p50)}`)

    // A 512 MiB file of incompressible bytes, in and out, each way against docker cp.
    const file = join(root, 'payload.bin')
    const handle = await open(file, 'w')
    let block = createHash('sha512').update('bench').digest()
    const chunk = Buffer.alloc(4 * 1024 * 1024)
    for (let written = 0; written < COPY_BYTES; written += chunk.byteLength) {
      for (let at = 0; at < chunk.byteLength; at += block.byteLength) { block = createHash('sha512').update(block).digest(); block.copy(chunk, at) }
      await handle.write(chunk)
    }
    await handle.close()
    const peakRss = async (fn) => {
      let peak = { host: 0, client: 0 }
      const sample = async () => { peak = { host: Math.max(peak.host, await rssBytes(host.pid)), client: Math.max(peak.client, await rssBytes(client.pid)) } }
      const timer = setInterval(() => { sample().catch(() => {}) }, 50)
      const ms = await timed(fn)
      clearInterval(timer)
      return { ms, peak }
    }
    const rssBefore = { host: await rssBytes(host.pid), client: await rssBytes(client.pid) }
    const rate = (ms) => `${(COPY_BYTES / 1024 / 1024 / (ms / 1000)).toFixed(0)} MiB/s`
    for (const [what, ours, theirs] of [
      ['in ', () => cli('cp', file, `${host.info.peerId}:${id}:/tmp/ours.bin`), () => execFileAsync('docker', ['cp', file, `${id}:/tmp/theirs.bin`])],
      ['out', () => cli('cp', `${host.info.peerId}:${id}:/tmp/ours.bin`, join(root, 'back-ours.bin')), () => execFileAsync('docker', ['cp', `${id}:/tmp/theirs.bin`, join(root, 'back-theirs.bin')])]
    ]) {
      const samples = { ours: [], theirs: [] }
      let peak = { host: 0, client: 0 }
      for (let i = 0; i < 3; i++) {
        const o = await peakRss(ours)
        samples.ours.push(o.ms)
        peak = { host: Math.max(peak.host, o.peak.host), client: Math.max(peak.client, o.peak.client) }
        samples.theirs.push(await timed(theirs))
        await rm(join(root, 'back-ours.bin'), { force: true })
        await rm(join(root, 'back-theirs.bin'), { force: true })
      }
      const o = summary(samples.ours)
      const d = summary(samples.theirs)
      console.log(`cp ${what} 512 MiB (3 each): p2prc cp p50 ${fmt(o.p50)} (${rate(o.p50)}); docker cp p50 ${fmt(d.p50)} (${rate(d.p50)}); throughput ratio ${(d.p50 / o.p50).toFixed(2)}x  [goal >= 0.8x]; peak RSS host ${mib(peak.host)} (before ${mib(rssBefore.host)}), client ${mib(peak.client)} (before ${mib(rssBefore.client)})`)
    }
  } finally {
    await client.stop()
    await host.stop()
    // What the host made for the bench: its containers, and the guest network they were on.
    const mine = { label: [`p2prc.node=${host.info.peerId}`] }
    for (const c of await docker.listContainers({ all: true, filters: mine })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {})
    for (const n of await docker.listNetworks({ filters: mine })) await docker.getNetwork(n.Id).remove().catch(() => {})
    await removeDir(root)
  }
}
