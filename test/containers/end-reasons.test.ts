import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { Daemons, runCli } from '../helpers/daemon-process.js'
import { inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

interface PsEntry { containerId: string, name: string, state: string, exitCode: number | null, oomKilled: boolean, finishedAt: string | null, endReason: string | null }

/** What happened to my container, for each way it can end, as ps says it and as the engine does. */
describe('what happened to my container: exit code, OOM, finished time and why it ended', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let a: RunningDaemon
  let b: RunningDaemon
  const cli = async (args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(['--data-dir', a.dataDir, ...args])
  const run = async (name: string, args: string[]): Promise<string> => {
    const r = await cli(['run', 'end-host', TEST_IMAGE, '--cpus', '0.1', '--name', name, '--json', ...args])
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout).containerId
  }
  const entry = async (id: string): Promise<PsEntry | undefined> => {
    const r = await cli(['ps', 'end-host', '--json'])
    assert.equal(r.code, 0, r.stderr)
    return (JSON.parse(r.stdout) as PsEntry[]).find(c => c.containerId === id)
  }
  // Ended: the reason given, and settled (one being removed, running or `removing`, has its reason already).
  const ended = async (id: string, reason: string): Promise<PsEntry> => waitFor(async () => {
    const e = await entry(id)
    return e?.endReason === reason && ['exited', 'dead', 'removed'].includes(e.state) ? e : null
  }, { timeout: 60_000, message: `the container to end with reason ${reason}` })

  before(async () => {
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { maxContainersPerPeer: 8, exitedRetention: '4s' } }))
    b = await daemons.start(hostDir, ['--name', 'end-host'])
    a = await daemons.start(await dirs.make(), ['--name', 'end-a', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources?.docker === true), { message: 'a to know b' })
  })
  after(async () => {
    await daemons.stopAll()
    if (b != null) await removeContainersOf(b.info.peerId)
    await dirs.cleanup()
  })

  it('exited: its exit code and finished time as the engine has them; removed after the retention time', async t => {
    if (!await requireEngine(t)) return
    const id = await run('quits', ['--memory', '16m', 'sh', '-c', 'exit 3'])
    const e = await ended(id, 'exited')
    const info = await inspectOrNull(id)
    assert.ok(info != null, 'kept for a while after it exited')
    assert.equal(e.exitCode, info.State.ExitCode)
    assert.equal(e.exitCode, 3)
    assert.equal(e.oomKilled, false)
    assert.ok(e.finishedAt != null && Math.abs(Date.parse(e.finishedAt) - Date.parse(info.State.FinishedAt)) < 1000, `${e.finishedAt} vs ${info.State.FinishedAt}`)
    assert.match((await cli(['ps', 'end-host'])).stdout, /exited \(3\)/)
    // policy.exitedRetention 4s: then the host removes it, and still says how it ended.
    await waitFor(async () => await inspectOrNull(id) == null, { timeout: 30_000, message: 'the host to remove it' })
    const gone = await entry(id)
    assert.deepEqual([gone?.state, gone?.endReason, gone?.exitCode], ['removed', 'exited', 3])
    const logs = await cli(['logs', 'end-host', id])
    assert.equal(logs.code, 1)
    assert.match(logs.stderr, /is gone: exited/)
  })

  it('oom: killed by the kernel at its memory limit, as the engine says', async t => {
    if (!await requireEngine(t)) return
    const id = await run('greedy', ['--memory', '8m', 'sh', '-c', 'tail /dev/zero'])
    const e = await ended(id, 'oom')
    const info = await inspectOrNull(id)
    assert.ok(info != null)
    assert.equal(info.State.OOMKilled, true)
    assert.equal(e.oomKilled, true)
    assert.equal(e.exitCode, info.State.ExitCode)
    assert.equal(e.exitCode, 137)
  })

  it('rm removes an exited container; a running one is refused, naming kill', async t => {
    if (!await requireEngine(t)) return
    const live = await run('live', ['--memory', '16m', 'sleep', '300'])
    const refused = await cli(['rm', 'end-host', live])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /is running; stop it with kill/)
    assert.equal((await inspectOrNull(live))?.State.Running, true)
    const done = await run('done', ['--memory', '16m', 'sh', '-c', 'exit 0'])
    await ended(done, 'exited')
    const removed = await cli(['rm', 'end-host', done, '--json'])
    assert.equal(removed.code, 0, removed.stderr)
    assert.equal(JSON.parse(removed.stdout).endReason, 'exited')
    assert.equal(await inspectOrNull(done), null)
  })

  it('killed by owner, killed by host operator, time limit: gone from the engine, the reason kept', async t => {
    if (!await requireEngine(t)) return
    const mine = await run('killed', ['--memory', '16m', 'sleep', '300'])
    assert.equal((await cli(['kill', 'end-host', mine])).code, 0)
    const byOwner = await entry(mine)
    assert.deepEqual([byOwner?.state, byOwner?.endReason], ['removed', 'killed by owner'])
    assert.equal(await inspectOrNull(mine), null)

    const theirs = await run('operated', ['--memory', '16m', 'sleep', '300'])
    const hostKill = await runCli(['--data-dir', b.dataDir, 'host', 'kill', theirs])
    assert.equal(hostKill.code, 0, hostKill.stderr)
    assert.equal((await entry(theirs))?.endReason, 'killed by host operator')
    assert.equal(await inspectOrNull(theirs), null)
    const stats = await cli(['stats', 'end-host', theirs, '--no-stream'])
    assert.equal(stats.code, 1)
    assert.match(stats.stderr, /is gone: killed by host operator/)

    const timed = await run('timed', ['--memory', '16m', '--ttl', '2s', 'sleep', '300'])
    const limited = await ended(timed, 'time limit')
    assert.equal(limited.state, 'removed')
    assert.equal(await inspectOrNull(timed), null)
    const kill = await cli(['kill', 'end-host', timed])
    assert.equal(kill.code, 1)
    assert.match(kill.stderr, /is gone: time limit/)
  })

  it('a peer that does not answer is named on stderr and in the JSON; exit code 0', async t => {
    if (!await requireEngine(t)) return
    const id = await run('waiting', ['--memory', '16m', 'sleep', '300'])
    assert.ok((await cli(['ps', '--json'])).stdout.includes(id))
    // Frozen: its connection stays, but it answers nothing, as a host in the middle of a restart.
    b.process.kill('SIGSTOP')
    try {
      const r = await cli(['ps', '--json'])
      assert.equal(r.code, 0, r.stderr)
      const out = JSON.parse(r.stdout)
      assert.deepEqual(out, { containers: [], unreachable: [b.info.peerId] })
      assert.match(r.stderr, new RegExp(`warning: peer ${b.info.peerId} did not answer`))
      const human = await cli(['ps'])
      assert.equal(human.code, 0)
      assert.match(human.stderr, /did not answer; its containers are not listed/)
    } finally {
      b.process.kill('SIGCONT')
    }
    const back = await cli(['ps', '--json'])
    assert.ok(Array.isArray(JSON.parse(back.stdout)), 'a plain array again once every peer answers')
  })
})
