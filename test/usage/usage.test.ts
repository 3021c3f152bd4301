import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { RecordEnvelope } from '@libp2p/peer-record'
import { countersign, sealReceipt, openReceipt } from '../../dist/usage/index.js'
import { UsageReceipt } from '../../dist/usage/pb/usage-receipt.js'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { ContainerUsage, ReceiptFile, ReceiptVerdict, UsageTotals } from '../../dist/contract/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

// Burns half a CPU for 10 s (the container is limited to 0.5), then prints what its cgroup
// counted (cgroup v1: ns in cpuacct.usage; v2: usage_usec in cpu.stat) and exits.
const BURN = 'end=$(( $(date +%s) + 10 )); while [ $(date +%s) -lt $end ]; do :; done; ' +
  'if [ -r /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then echo ns $(cat /sys/fs/cgroup/cpuacct/cpuacct.usage); else echo us $(grep usage_usec /sys/fs/cgroup/cpu.stat | cut -d" " -f2); fi'

/** Usage accounting end to end: a host, two owners, the real engine, receipts both ways. */
describe('usage: measured on the host, signed receipts, countersigned by the owner, budgets', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon
  let owner: RunningDaemon
  let other: RunningDaemon
  let hostDir: string
  let burnId = ''
  let engineCpuSeconds = 0
  const cli = async (d: RunningDaemon, args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(['--data-dir', d.dataDir, ...args])
  const json = async <T>(d: RunningDaemon, args: string[]): Promise<T> => {
    const r = await cli(d, ['--json', ...args])
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout) as T
  }
  const hostArgs = (): string[] => ['--name', 'usage-host']

  before(async () => {
    hostDir = await dirs.make()
    // A budget of 0.001 CPU-hours (3.6 CPU-seconds) a day: one burn uses it up.
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', usage: { receiptInterval: '2s' }, policy: { maxCpuHoursPerPeerPerDay: 0.001 } }))
    host = await daemons.start(hostDir, hostArgs())
    owner = await daemons.start(await dirs.make(), ['--name', 'usage-owner', '--no-docker', '--bootstrap', host.info.multiaddrs[0]])
    other = await daemons.start(await dirs.make(), ['--name', 'usage-other', '--no-docker', '--bootstrap', host.info.multiaddrs[0]])
    for (const d of [owner, other]) {
      await waitFor(async () => (await d.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { message: 'the owners to know the host' })
    }
  })
  after(async () => {
    await daemons.stopAll()
    if (host != null) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('a container burning 0.5 CPU for 10 s: its receipt says the CPU time its cgroup counted, within 10%', async t => {
    if (!await requireEngine(t)) return
    const run = await json<{ containerId: string }>(owner, ['run', 'usage-host', TEST_IMAGE, '--cpus', '0.5', '--memory', '64m', '--name', 'burn', 'sh', '-c', BURN])
    burnId = run.containerId
    const logs = await waitFor(async () => {
      const r = await cli(owner, ['logs', 'usage-host', burnId])
      return /^(ns|us) \d+/m.test(r.stdout) ? r.stdout : null
    }, { timeout: 60_000, message: 'the burn to print its cgroup counter' })
    const [, unit, value] = /^(ns|us) (\d+)/m.exec(logs) ?? []
    engineCpuSeconds = Number(value) / (unit === 'ns' ? 1e9 : 1e6)
    assert.ok(engineCpuSeconds > 1, `the cgroup counted ${engineCpuSeconds} CPU-seconds`)

    // The owner fetches the final receipt, checks it, countersigns it and gives it back.
    const mine = await waitFor(async () => {
      const containers = await json<ContainerUsage[]>(owner, ['usage', '--containers'])
      return containers.find(c => c.containerId === burnId && c.receipt?.final === true)
    }, { timeout: 30_000, message: 'the final receipt of the burn' })
    assert.equal(mine.hostId, host.info.peerId)
    assert.equal(mine.peerId, owner.info.peerId)
    assert.equal(mine.running, false)
    assert.equal(mine.endReason, 'exited')
    assert.equal(mine.exitCode, 0)
    assert.ok(Math.abs(mine.cpuSeconds - engineCpuSeconds) <= 0.1 * engineCpuSeconds, `receipt ${mine.cpuSeconds} CPU-s vs the cgroup's ${engineCpuSeconds}`)
    t.diagnostic(`receipt ${mine.cpuSeconds} CPU-s, the cgroup counted ${engineCpuSeconds} (${((mine.cpuSeconds / engineCpuSeconds - 1) * 100).toFixed(1)}%)`)
    assert.ok(mine.wallSeconds >= 8.9 && mine.wallSeconds < 30, `wall ${mine.wallSeconds} s`)
    assert.ok(mine.memoryGiBSeconds > 0 && mine.memoryPeakBytes > 0 && mine.memoryPeakBytes <= 64 * 1024 ** 2, `memory ${mine.memoryGiBSeconds} GiB-s, peak ${mine.memoryPeakBytes}`)
    assert.match(mine.imageId, /^sha256:[0-9a-f]{64}$/)

    // The host's view: the owner's totals, and its copy of the pair once countersigned.
    const totals = await json<UsageTotals[]>(host, ['host', 'usage'])
    const mineThere = totals.find(p => p.peerId === owner.info.peerId)
    assert.ok(mineThere != null && mineThere.containers === 1, JSON.stringify(totals))
    assert.ok(Math.abs(mineThere.cpuSeconds - mine.cpuSeconds) < 0.01)
    await waitFor(async () => (await json<ContainerUsage[]>(host, ['host', 'usage', '--containers'])).find(c => c.containerId === burnId)?.receipt?.countersigned, { message: 'the host to hold the countersignature' })
    const human = await cli(host, ['host', 'usage'])
    assert.match(human.stdout, /OWNER\s+CONTAINERS\s+CPU/)
  })

  it('the pair verifies offline with the two peer IDs; a changed figure or another key is rejected', async t => {
    if (!await requireEngine(t)) return
    assert.notEqual(burnId, '', 'the burn (the first test) ran')
    const r = await cli(owner, ['usage', 'receipt', burnId])
    assert.equal(r.code, 0, r.stderr)
    const file = JSON.parse(r.stdout) as ReceiptFile
    const dir = await dirs.make()
    const verify = async (f: unknown, extra: string[] = []): Promise<{ code: number | null, verdict: ReceiptVerdict }> => {
      const path = join(dir, `receipt-${Math.random().toString(16).slice(2)}.json`)
      await writeFile(path, JSON.stringify(f))
      // No daemon needed: a data dir with none running.
      const out = await runCli(['--data-dir', dir, 'usage', 'verify', path, '--json', ...extra])
      return { code: out.code, verdict: JSON.parse(out.stdout) }
    }
    const good = await verify(file, ['--host', host.info.peerId, '--owner', owner.info.peerId])
    assert.equal(good.code, 0)
    assert.equal(good.verdict.valid, true)
    assert.equal(good.verdict.countersigned, true)
    assert.equal(good.verdict.usage?.containerId, burnId)
    assert.ok(Math.abs((good.verdict.usage?.cpuSeconds ?? 0) - engineCpuSeconds) <= 0.1 * engineCpuSeconds)
    const human = await runCli(['--data-dir', dir, 'usage', 'verify', join(dir, 'missing.json')])
    assert.equal(human.code, 1)
    assert.match(human.stderr, /cannot read .*no such file/)

    // The host's envelope with one figure changed and its signature kept.
    const envelope = RecordEnvelope.createFromProtobuf(Buffer.from(file.receipt, 'base64'))
    const figures = UsageReceipt.decode(envelope.payload)
    const forged = UsageReceipt.encode({ ...figures, cpuSeconds: figures.cpuSeconds / 2 })
    const changed = new RecordEnvelope({ publicKey: envelope.publicKey, payloadType: envelope.payloadType, payload: forged, signature: envelope.signature })
    const tampered = await verify({ ...file, receipt: Buffer.from(changed.marshal()).toString('base64') })
    assert.equal(tampered.code, 1)
    assert.equal(tampered.verdict.valid, false)
    assert.match(tampered.verdict.problems.join(' '), /signature does not verify/)

    // The same figures signed by another key, posing as the host.
    const stranger = await generateKeyPair('Ed25519')
    const receipt = await openReceipt(Buffer.from(file.receipt, 'base64'))
    await assert.rejects(sealReceipt(receipt, stranger), /signed by its host only/)
    const resealed = await RecordEnvelope.seal({ domain: 'p2prc-usage-receipt', codec: envelope.payloadType, marshal: () => envelope.payload, equals: () => false }, stranger)
    const posing = await verify({ ...file, receipt: Buffer.from(resealed.marshal()).toString('base64'), countersignature: null })
    assert.equal(posing.verdict.valid, false)
    assert.match(posing.verdict.problems.join(' '), /names host .* but is signed by/)

    // A countersignature by someone who is not the owner.
    const notOwner = await countersign(Buffer.from(file.receipt, 'base64'), stranger)
    const wrongOwner = await verify({ ...file, countersignature: Buffer.from(notOwner).toString('base64') })
    assert.equal(wrongOwner.verdict.valid, false)
    assert.match(wrongOwner.verdict.problems.join(' '), /not by the receipt's owner/)

    // The host's own envelope offered as the owner's: another domain, so its signature is not one.
    const swapped = await verify({ ...file, countersignature: file.receipt })
    assert.equal(swapped.verdict.valid, false)
    assert.match(swapped.verdict.problems.join(' '), /countersignature's signature does not verify/)

    // Pinned peers that are not the ones who signed.
    const pinned = await verify(file, ['--host', other.info.peerId])
    assert.equal(pinned.code, 1)
    assert.match(pinned.verdict.problems.join(' '), new RegExp(`the receipt is by host ${host.info.peerId}, not ${other.info.peerId}`))
  })

  it('a peer past its CPU budget is refused the next run with the figures; another peer is not', async t => {
    if (!await requireEngine(t)) return
    assert.notEqual(burnId, '', 'the burn (the first test) ran')
    const refused = await cli(owner, ['run', 'usage-host', TEST_IMAGE, '--cpus', '0.1', 'true'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /used 0\.00\d+ CPU-hours here in the last 24 hours, this node's budget per peer is 0\.001 a day \(policy\.maxCpuHoursPerPeerPerDay\)/)
    // Another owner runs a container that stays, and gets an interim receipt every 2 s.
    const run = await json<{ containerId: string }>(other, ['run', 'usage-host', TEST_IMAGE, '--cpus', '0.1', '--memory', '16m', '--name', 'idle', 'sleep', '600'])
    const interim = await waitFor(async () => {
      const containers = await json<ContainerUsage[]>(other, ['usage', '--containers'])
      const c = containers.find(u => u.containerId === run.containerId)
      return c?.receipt != null && c.receipt.sequence >= 2 ? c : null
    }, { timeout: 30_000, message: 'interim receipts of the running container' })
    assert.equal(interim.running, true)
    assert.equal(interim.receipt?.final, false)
    const byOwner = await json<UsageTotals[]>(host, ['host', 'usage'])
    assert.deepEqual(byOwner.map(p => p.peerId).sort(), [owner.info.peerId, other.info.peerId].sort())
    assert.deepEqual((await json<UsageTotals[]>(host, ['host', 'usage', '--peer', other.info.peerId])).map(p => p.peerId), [other.info.peerId])
    // Killed by its owner: the final receipt says so.
    assert.equal((await cli(other, ['kill', 'usage-host', run.containerId])).code, 0)
    const final = await waitFor(async () => (await json<ContainerUsage[]>(other, ['usage', '--containers'])).find(u => u.containerId === run.containerId && u.receipt?.final === true), { timeout: 30_000, message: 'the final receipt after the kill' })
    assert.equal(final.endReason, 'killed by owner')
  })

  it('the figures and receipts survive a host restart', async t => {
    if (!await requireEngine(t)) return
    assert.notEqual(burnId, '', 'the burn (the first test) ran')
    const before = (await json<ContainerUsage[]>(host, ['host', 'usage', '--containers'])).find(c => c.containerId === burnId)
    assert.ok(before != null)
    assert.equal(await host.stop(), 0)
    host = await daemons.start(hostDir, hostArgs())
    const afterRestart = (await json<ContainerUsage[]>(host, ['host', 'usage', '--containers'])).find(c => c.containerId === burnId)
    assert.deepEqual(afterRestart, before)
    const r = await cli(host, ['host', 'usage', 'receipt', burnId])
    assert.equal(r.code, 0, r.stderr)
    const path = join(await dirs.make(), 'host-copy.json')
    await writeFile(path, r.stdout)
    const verdict = JSON.parse((await runCli(['--data-dir', await dirs.make(), 'usage', 'verify', path, '--json', '--host', host.info.peerId, '--owner', owner.info.peerId])).stdout) as ReceiptVerdict
    assert.equal(verdict.valid, true)
    assert.equal(verdict.countersigned, true)
    assert.ok((await readFile(join(hostDir, 'usage', 'host', `${burnId}.json`), 'utf8')).includes(burnId))
  })
})
