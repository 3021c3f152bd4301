import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CLI_BIN, Daemons, runCli } from '../helpers/daemon-process.js'
import { engineAnswers, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { sweeper } from '../helpers/sweeper.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { ActivityEntry } from '../../dist/contract/index.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const SMALL = ['--cpus', '0.1', '--memory', '32m']

describe('p2prc host log: the host\'s activity log, through real daemons and the real engine', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let host: RunningDaemon
  let guest: RunningDaemon
  const cli = async (d: RunningDaemon, args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(['--data-dir', d.dataDir, ...args])
  const hostLog = async (args: string[] = []): Promise<ActivityEntry[]> => {
    const r = await cli(host, ['host', 'log', '--json', ...args])
    assert.equal(r.code, 0, r.stderr)
    return JSON.parse(r.stdout) as ActivityEntry[]
  }
  const api = async (query: string): Promise<Response> => fetch(`${host.info.api}/v1/host/log${query}`, { headers: { authorization: `Bearer ${host.token}` } })

  before(async () => {
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { maxTtl: '30m', defaultTtl: '10m' }, activityLog: { maxBytes: '1m', files: 3 } }))
    host = await daemons.start(hostDir, ['--name', 'log-host'])
    guest = await daemons.start(await dirs.make(), ['--name', 'log-guest', '--no-docker', '--bootstrap', host.info.multiaddrs[0]])
    await waitFor(async () => (await guest.api.peers()).some(p => p.peerId === host.info.peerId && p.resources?.docker === true), { message: 'the guest to know the host' })
  })
  after(async () => {
    await daemons.stopAll()
    if (host != null && await engineAnswers()) await removeContainersOf(host.info.peerId)
    await dirs.cleanup()
  })

  it('logs a run, a refusal, an exec, a copy out and the operator\'s kill, each with the peer and the reason', async t => {
    if (!await requireEngine(t)) return
    const me = guest.info.peerId
    const refused = await cli(guest, ['run', 'log-host', TEST_IMAGE, ...SMALL, '--ttl', '2h', '--name', 'too-long', 'sleep', '600'])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /at most 30m/)
    const run = await cli(guest, ['run', 'log-host', TEST_IMAGE, ...SMALL, '--ttl', '10m', '--name', 'box', '--json', 'sleep', '600'])
    assert.equal(run.code, 0, run.stderr)
    const containerId = JSON.parse(run.stdout).containerId as string
    const exec = await cli(guest, ['exec', 'log-host', 'box', 'sh', '-c', 'echo logged > /tmp/out.txt; exit 3'])
    assert.equal(exec.code, 3, exec.stderr)
    const local = await dirs.make()
    const copy = await cli(guest, ['cp', 'log-host:box:/tmp/out.txt', join(local, 'out.txt')])
    assert.equal(copy.code, 0, copy.stderr)
    assert.equal(await readFile(join(local, 'out.txt'), 'utf8'), 'logged\n')
    const kill = await cli(host, ['host', 'kill', 'box'])
    assert.equal(kill.code, 0, kill.stderr)

    const entries = await waitFor(async () => {
      const all = await hostLog()
      return all.some(e => e.kind === 'end') ? all : null
    }, { message: 'the end to be logged' })
    const ofKind = <K extends ActivityEntry['kind']>(kind: K): Array<Extract<ActivityEntry, { kind: K }>> => entries.filter((e): e is Extract<ActivityEntry, { kind: K }> => e.kind === kind)
    assert.ok(entries.every(e => !Number.isNaN(Date.parse(e.at))))
    assert.deepEqual(entries.map(e => e.at), entries.map(e => e.at).sort(), 'oldest first')

    const [refusal] = ofKind('refused')
    assert.equal(refusal.peerId, me)
    assert.equal(refusal.rule, 'ttl')
    assert.equal(refusal.image, TEST_IMAGE)
    assert.match(refusal.reason, /asked a time limit of 2h, this node allows at most 30m/)

    const [started] = ofKind('run')
    assert.equal(started.peerId, me)
    assert.equal(started.containerId, containerId)
    assert.equal(started.name, 'box')
    assert.equal(started.cpus, 0.1)
    assert.equal(started.memoryBytes, 32 * 1024 * 1024)

    const execs = ofKind('exec')
    assert.deepEqual(execs.map(e => [e.phase, e.exitCode, e.peerId, e.containerId]), [['start', null, me, containerId], ['end', 3, me, containerId]])

    const copies = ofKind('copy')
    assert.equal(copies.length, 1)
    assert.equal(copies[0].peerId, me)
    assert.equal(copies[0].direction, 'out')
    assert.equal(copies[0].path, '/tmp/out.txt')
    assert.ok(copies[0].bytes >= 'logged\n'.length, `${copies[0].bytes} bytes`)

    const [end] = ofKind('end')
    assert.equal(end.peerId, me)
    assert.equal(end.containerId, containerId)
    assert.equal(end.endReason, 'killed by host operator')

    // In order of what happened.
    const order = entries.filter(e => e.kind !== 'pull').map(e => e.kind === 'exec' ? `exec ${e.phase}` : e.kind)
    assert.deepEqual(order, ['refused', 'run', 'exec start', 'exec end', 'copy', 'end'])

    // The filters, through the CLI.
    assert.deepEqual((await hostLog(['--kind', 'refused,end'])).map(e => e.kind), ['refused', 'end'])
    assert.equal((await hostLog(['-n', '2'])).length, 2)
    assert.equal((await hostLog(['--peer', me.slice(0, 20)])).length, entries.length)
    assert.equal((await hostLog(['--peer', 'QmNobody'])).length, 0)
    assert.equal((await hostLog(['--since', '2099-01-01'])).length, 0)
    assert.equal((await hostLog(['--since', '1h'])).length, entries.length)

    // What the operator reads: one line per entry, the peer, the reason, the end's reason.
    const human = await cli(host, ['host', 'log'])
    assert.equal(human.code, 0, human.stderr)
    const lines = human.stdout.trim().split('\n')
    assert.equal(lines.length, entries.length)
    assert.match(lines.find(l => l.includes(' refused '))!, new RegExp(`${me.slice(0, 8)}.*ttl: asked a time limit of 2h`))
    assert.match(lines.find(l => l.includes(' end '))!, /box +p2prc-test\/busybox:latest: killed by host operator/)
    assert.match(lines.find(l => l.includes(' copy '))!, /out of \/tmp\/out\.txt/)

    // The file itself: JSON lines, the operator's only.
    const file = join(host.dataDir, 'activity', 'activity.log')
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.equal((await stat(join(host.dataDir, 'activity'))).mode & 0o777, 0o700)
    const written = (await readFile(file, 'utf8')).trim().split('\n').map(l => JSON.parse(l) as ActivityEntry)
    assert.deepEqual(written, entries)
  })

  it('follows live with -f: a new entry arrives while it runs', async t => {
    if (!await requireEngine(t)) return
    const child = spawn(process.execPath, [CLI_BIN, '--data-dir', host.dataDir, 'host', 'log', '-f', '--json', '-n', '0', '--kind', 'refused'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const registered = { kind: 'process' as const, pid: child.pid ?? 0, marker: CLI_BIN }
    sweeper.add(registered)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', chunk => { stdout += chunk })
    child.stderr.on('data', chunk => { stderr += chunk })
    const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
    try {
      const refused = await waitFor(async () => {
        const r = await cli(guest, ['run', 'log-host', TEST_IMAGE, ...SMALL, '--ttl', '3h', '--name', 'live', 'sleep', '600'])
        assert.notEqual(r.code, 0)
        // Tried again until the follower, started at the same time, is listening and prints it.
        return await waitFor(() => stdout.includes('\n') ? stdout : null, { timeout: 3000 }).catch(() => null)
      }, { timeout: 30_000, interval: 10, message: `the follower to print the refusal (stderr: ${stderr})` })
      const entry = JSON.parse(refused.split('\n')[0]) as ActivityEntry
      assert.equal(entry.kind, 'refused')
      assert.equal(entry.peerId, guest.info.peerId)
      assert.match(entry.kind === 'refused' ? entry.reason : '', /3h/)
      child.kill('SIGINT')
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      assert.equal(await exited, 0, `Ctrl-C ends the follower cleanly: ${stderr}`)
      clearTimeout(timer)
    } finally {
      if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
      await exited
      sweeper.forget(registered)
    }
  })

  it('answers bad query values with 400 naming the field, and changes nothing', async () => {
    const before = await (await api('?tail=10000')).json()
    for (const [query, field, why] of [
      ['?tail=1000000000', 'tail', /at most 10000/],
      ['?tail=-1', 'tail', /whole number/],
      ['?tail=many', 'tail', /./],
      ['?since=garbage', 'since', /not a duration ago .* or an ISO time/],
      ['?since=2025-13-45T99:99', 'since', /./],
      ['?kind=nope', 'kind', /not a kind/],
      ['?peer=a%0Ab', 'peer', /peer ID/],
      ['?follow=maybe', 'follow', /./],
      ['?other=1', 'other', /unknown field/]
    ] as const) {
      const response = await api(query)
      assert.equal(response.status, 400, query)
      const body = await response.json() as { error: { code: string, message: string } }
      assert.equal(body.error.code, 'ERR_INVALID_ARGUMENT', query)
      assert.ok(body.error.message.includes(field), `${query}: ${body.error.message}`)
      assert.match(body.error.message, why, query)
    }
    const tooMany = await cli(host, ['host', 'log', '-n', '1000000000'])
    assert.notEqual(tooMany.code, 0)
    assert.match(tooMany.stderr, /tail.*at most 10000/)
    const badSince = await cli(host, ['host', 'log', '--since', 'garbage'])
    assert.equal(badSince.code, 2)
    assert.match(badSince.stderr, /--since/)
    assert.deepEqual(await (await api('?tail=10000')).json(), before)
  })
})
