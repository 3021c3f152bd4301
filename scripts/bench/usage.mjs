// Usage accounting: what metering guests costs the host's daemon (its CPU per guest-minute, with
// ten guests against none), beside `docker stats` streaming the same containers (the tool an
// operator would otherwise watch them with); and what a receipt costs to sign and to verify.
// Goal: metering a guest costs the daemon no more than `docker stats` watching it does.
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import Docker from 'dockerode'
import { openReceipt, sealReceipt } from '../../dist/usage/index.js'
import { api, engineOrSkip, removeDir, request, startHostAndClient, tmpDir, waitUntil } from './lib.mjs'

const GUESTS = Number(process.env.BENCH_GUESTS ?? 4)
const WINDOW = Number(process.env.BENCH_WINDOW_MS ?? 30_000)
const RECEIPTS = 500
const IMAGE = 'p2prc-test/busybox:latest'

/** CPU seconds a process has used (user + system), from /proc. */
async function cpuSeconds (pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

async function cpuOver (pid, ms) {
  const before = await cpuSeconds(pid)
  await new Promise(resolve => setTimeout(resolve, ms))
  return await cpuSeconds(pid) - before
}

export async function run () {
  const docker = await engineOrSkip(Docker)
  if (docker == null) return
  const root = await tmpDir()
  const { host, client } = await startHostAndClient(root)
  const ids = []
  try {
    await waitUntil(async () => (await api(client, '/v1/peers')).some(p => p.peerId === host.info.peerId && p.resources?.docker), 30_000, 'the host record')
    // A node just started is still joining: its idle cost is measured once that has settled.
    await new Promise(resolve => setTimeout(resolve, 10_000))
    const idle = await cpuOver(host.pid, WINDOW)
    for (let i = 0; i < GUESTS; i++) {
      const c = await request(client, 'POST', `/v1/peers/${host.info.peerId}/containers`, { image: IMAGE, cmd: ['sleep', '600'], cpus: 0.05, memory: '16m', ttl: '10m' })
      ids.push(c.containerId)
    }
    await new Promise(resolve => setTimeout(resolve, 3000))
    const metered = await cpuOver(host.pid, WINDOW)
    const stats = spawn('docker', ['stats', '--format', '{{json .}}', ...ids], { stdio: ['ignore', 'ignore', 'ignore'] })
    await new Promise(resolve => setTimeout(resolve, 3000))
    const statsCpu = await cpuOver(stats.pid, WINDOW)
    stats.kill('SIGTERM')
    const minutes = WINDOW / 60_000
    const perGuest = Math.max(0, metered - idle) / GUESTS / minutes
    const statsPerGuest = statsCpu / GUESTS / minutes
    console.log(`daemon CPU, ${WINDOW / 1000} s windows: idle ${idle.toFixed(2)} s, with ${GUESTS} metered guests ${metered.toFixed(2)} s`)
    // The idle node's own work (gossip, pings) varies by more than metering a few guests costs.
    const figure = metered <= idle ? 'below the idle node\'s own variation' : `${(perGuest * 1000).toFixed(1)} ms CPU per guest-minute`
    console.log(`metering: ${figure}; docker stats on the same guests: ${(statsPerGuest * 1000).toFixed(1)} ms per guest-minute; goal (no more than docker stats) ${perGuest <= statsPerGuest ? 'met' : 'not met'}`)
    const report = await api(host, '/v1/host/usage')
    console.log(`host usage after the run: ${report.containers.length} containers on record, ${report.peers.length} owner(s)`)
  } finally {
    for (const id of ids) await request(client, 'DELETE', `/v1/peers/${host.info.peerId}/containers/${id}`).catch(() => {})
    await client.stop()
    await host.stop()
    await removeDir(root)
  }

  const key = await generateKeyPair('Ed25519')
  const hostId = peerIdFromPrivateKey(key).toString()
  const receipt = {
    hostId, peerId: hostId, containerId: 'c'.repeat(64), name: 'bench', image: IMAGE, imageId: `sha256:${'0'.repeat(64)}`,
    sequence: 1, final: true, issuedAt: Date.now(), startedAt: Date.now() - 60_000, endedAt: Date.now(), wallSeconds: 60,
    cpuSeconds: 30.5, memoryGiBSeconds: 1.5, memoryPeakBytes: 1 << 26, gpus: 0, gpuSeconds: 0, networkRxBytes: 1000, networkTxBytes: 2000,
    blockReadBytes: 0, blockWriteBytes: 4096, limits: { cpus: 0.5, memoryBytes: 1 << 28 }, exitCode: 0, endReason: 'exited'
  }
  let t0 = performance.now()
  const sealed = []
  for (let i = 0; i < RECEIPTS; i++) sealed.push(await sealReceipt({ ...receipt, sequence: i + 1 }, key))
  const signMs = (performance.now() - t0) / RECEIPTS
  t0 = performance.now()
  for (const bytes of sealed) await openReceipt(bytes)
  const verifyMs = (performance.now() - t0) / RECEIPTS
  console.log(`receipts: ${sealed[0].byteLength} bytes each, sign ${(signMs * 1000).toFixed(0)} µs, verify ${(verifyMs * 1000).toFixed(0)} µs (${RECEIPTS} each)`)
}
