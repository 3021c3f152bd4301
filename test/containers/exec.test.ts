import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { CLI_BIN, Daemons, runCli } from '../helpers/daemon-process.js'
import { dockerClient, engineAnswers, engineHasRuntime, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { sweeper } from '../helpers/sweeper.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { requireTmux, Tmux } from '../helpers/tmux.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'
import type { ExecSession } from '../../dist/index.js'

const SMALL = ['--cpus', '0.1', '--memory', '32m']

/** The processes running in a container, as the engine sees them (`docker top`). */
async function processesIn (containerId: string): Promise<string[]> {
  const top = await dockerClient().getContainer(containerId).top({ ps_args: '-eo pid,args' }) as { Processes?: string[][] }
  return (top.Processes ?? []).map(p => p.join(' '))
}

async function drain (session: ExecSession): Promise<{ stdout: string, stderr: string, code: number }> {
  let stdout = ''
  let stderr = ''
  for await (const chunk of session.output) {
    if (chunk.stream === 'stderr') stderr += Buffer.from(chunk.data).toString()
    else stdout += Buffer.from(chunk.data).toString()
  }
  return { stdout, stderr, code: await session.wait() }
}

/** a runs containers on b and works in them; c is a third peer. */
describe('exec: commands in my containers on another peer', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let a: RunningDaemon
  let b: RunningDaemon
  let c: RunningDaemon
  let d: RunningDaemon
  let box = ''
  const cli = async (d: RunningDaemon, args: string[], input?: string | Buffer): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(['--data-dir', d.dataDir, ...args], {}, input)

  before(async () => {
    const hostDir = await dirs.make()
    b = await daemons.start(hostDir, ['--name', 'exec-host'])
    a = await daemons.start(await dirs.make(), ['--name', 'exec-a', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    c = await daemons.start(await dirs.make(), ['--name', 'exec-c', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    d = await daemons.start(await dirs.make(), ['--name', 'exec-d', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    // d may run containers, but not exec into them.
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { maxContainersPerPeer: 8, allowExec: [a.info.peerId, c.info.peerId] } }))
    await b.stop()
    b = await daemons.start(hostDir, ['--name', 'exec-host'])
    for (const client of [a, c, d]) {
      await client.api.connect(b.info.multiaddrs[0])
      await waitFor(async () => (await client.api.peers()).some(p => p.peerId === b.info.peerId && p.resources?.docker === true), { message: 'the client to know the host' })
    }
    if (!await engineAnswers()) return
    const run = await cli(a, ['run', 'exec-host', TEST_IMAGE, ...SMALL, '--name', 'box', '--json', 'sleep', '600'])
    assert.equal(run.code, 0, run.stderr)
    box = JSON.parse(run.stdout).containerId
  })
  after(async () => {
    await daemons.stopAll()
    if (b != null) await removeContainersOf(b.info.peerId)
    await dirs.cleanup()
  })

  it('returns the command\'s stdout, stderr and exit code as its own', async t => {
    if (!await requireEngine(t)) return
    const r = await cli(a, ['exec', 'exec-host', 'box', 'sh', '-c', 'echo a; echo b >&2; exit 7'])
    assert.equal(r.code, 7, r.stderr)
    assert.equal(r.stdout, 'a\n')
    assert.equal(r.stderr, 'b\n')
    const ok = await cli(a, ['exec', 'exec-host', box.slice(0, 12), '--', 'true'])
    assert.equal(ok.code, 0, ok.stderr)
  })

  it('passes stdin through with -i, 5 MiB of it intact, and env, workdir and user', async t => {
    if (!await requireEngine(t)) return
    const hi = await cli(a, ['exec', '-i', 'exec-host', 'box', 'cat'], 'hi\n')
    assert.equal(hi.code, 0, hi.stderr)
    assert.equal(hi.stdout, 'hi\n')
    // More than one stream's read buffer (4 MiB): only flow control gets it all through.
    const big = Buffer.alloc(5 * 1024 * 1024, 'x')
    const counted = await cli(a, ['exec', '-i', 'exec-host', 'box', 'wc', '-c'], big)
    assert.equal(counted.code, 0, counted.stderr)
    assert.equal(counted.stdout.trim(), String(big.byteLength))
    const where = await cli(a, ['exec', '-e', 'GREETING=hello there', '-w', '/tmp', '-u', '1000:1000', 'exec-host', 'box', 'sh', '-c', 'echo "$GREETING"; pwd; id -u; id -g'])
    assert.equal(where.code, 0, where.stderr)
    assert.equal(where.stdout, 'hello there\n/tmp\n1000\n1000\n')
    // Without -i the command reads end of file at once, not the caller's input.
    const none = await cli(a, ['exec', 'exec-host', 'box', 'cat'], 'ignored\n')
    assert.equal(none.code, 0)
    assert.equal(none.stdout, '')
  })

  it('a command that does not exist: exit 126 or 127 and our words, not the engine\'s', async t => {
    if (!await requireEngine(t)) return
    const r = await cli(a, ['exec', 'exec-host', 'box', 'no-such-command'])
    assert.ok(r.code === 126 || r.code === 127, `exit ${r.code}`)
    assert.match(r.stderr, /no-such-command was not found in the container/)
    assert.doesNotMatch(r.stdout + r.stderr, /OCI|runtime|\$PATH/)
  })

  it('a real terminal with -t: its size, a resize, Ctrl-C, the exit code, and the terminal restored', async t => {
    if (!await requireEngine(t) || !await requireTmux(t)) return
    const tmux = new Tmux()
    try {
      await tmux.start({ cols: 100, rows: 30 })
      await tmux.type('stty -g > /tmp/before-$$; echo saved')
      await tmux.waitFor(/^saved$/m)
      await tmux.type(`node ${CLI_BIN} --data-dir ${a.dataDir} exec -it exec-host box sh`)
      await tmux.waitFor(/^\/ # ?$/m)
      await tmux.type('stty size')
      await tmux.waitFor(/^30 100$/m)
      await tmux.resize({ cols: 120, rows: 40 })
      // The resize travels to the command's terminal: asked again, it says the new size.
      await waitFor(async () => {
        await tmux.type('stty size')
        return /^40 120$/m.test(await tmux.screen())
      }, { timeout: 20_000, message: 'the new size in the container' })
      await tmux.type('sleep 100; echo slept')
      await tmux.waitFor(/sleep 100; echo slept\n/)
      await tmux.keys('C-c')
      // Ctrl-C interrupted the sleep (no "slept"), and the shell is still there.
      await tmux.type('echo "still $((6 * 7))"')
      const screen = await tmux.waitFor(/^still 42$/m)
      assert.doesNotMatch(screen, /^slept$/m)
      await tmux.type('exit 3')
      // Back at our own shell's prompt (what is typed before it goes to the ending session).
      await tmux.waitFor(/\/ # exit 3\n(\s*\n)*\$/)
      await tmux.type('echo "exit=$?"; stty -g | cmp -s - /tmp/before-$$ && echo restored; rm /tmp/before-$$')
      const end = await tmux.waitFor(/^exit=3$/m)
      assert.match(await tmux.waitFor(/^restored$/m), /restored/, end)
    } finally {
      await tmux.stop()
    }
  })

  it('without a terminal, SIGTERM reaches the command; a client that vanishes ends its command', async t => {
    if (!await requireEngine(t)) return
    const child = spawn(process.execPath, [CLI_BIN, '--data-dir', a.dataDir, 'exec', 'exec-host', 'box', 'sh', '-c', 'trap "echo got TERM; exit 5" TERM; echo ready; sleep 100 & wait'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const registered = { kind: 'process' as const, pid: child.pid ?? 0, marker: CLI_BIN }
    sweeper.add(registered)
    let out = ''
    child.stdout.on('data', chunk => { out += chunk })
    const exited = new Promise<number | null>(resolve => child.once('exit', resolve))
    await waitFor(() => out.includes('ready'), { message: 'the command to start' })
    child.kill('SIGTERM')
    assert.equal(await exited, 5)
    assert.match(out, /got TERM/)
    sweeper.forget(registered)

    const orphan = spawn(process.execPath, [CLI_BIN, '--data-dir', a.dataDir, 'exec', 'exec-host', 'box', 'sleep', '4242'], { stdio: 'ignore' })
    const orphanEntry = { kind: 'process' as const, pid: orphan.pid ?? 0, marker: CLI_BIN }
    sweeper.add(orphanEntry)
    await waitFor(async () => (await processesIn(box)).some(p => p.includes('sleep 4242')), { message: 'the command to run in the container' })
    orphan.kill('SIGKILL')
    await waitFor(async () => !(await processesIn(box)).some(p => p.includes('sleep 4242')), { timeout: 20_000, message: 'the abandoned command to be ended' })
    sweeper.forget(orphanEntry)
  })

  it('only the owner may exec, and only a peer the policy allows', async t => {
    if (!await requireEngine(t)) return
    const other = await cli(c, ['exec', 'exec-host', 'box', 'true'])
    assert.equal(other.code, 1)
    assert.match(other.stderr, /you have no container 'box'/)
    const own = await cli(d, ['run', 'exec-host', TEST_IMAGE, ...SMALL, '--name', 'dbox', 'sleep', '600'])
    assert.equal(own.code, 0, own.stderr)
    const refused = await cli(d, ['exec', 'exec-host', 'dbox', 'true'])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /may not exec on this node \(it is not in policy\.allowExec\)/)
  })

  it('the operator runs a command in any guest\'s container with host exec', async t => {
    if (!await requireEngine(t)) return
    const r = await cli(b, ['host', 'exec', 'box', 'sh', '-c', 'echo operator; exit 4'])
    assert.equal(r.code, 4, r.stderr)
    assert.equal(r.stdout, 'operator\n')
  })

  it('holds at most 16 commands per peer; a slot comes back when a session ends', async t => {
    if (!await requireEngine(t)) return
    const sessions: ExecSession[] = []
    try {
      for (let i = 0; i < 16; i++) sessions.push(await a.api.exec(b.info.peerId, 'box', { cmd: ['sleep', '300'] }))
      await assert.rejects(a.api.exec(b.info.peerId, 'box', { cmd: ['true'] }), /you already have 16 commands under way/)
      sessions.pop()?.close()
      const again = await waitFor(async () => a.api.exec(b.info.peerId, 'box', { cmd: ['echo', 'back'] }), { message: 'a freed slot' })
      assert.deepEqual(await drain(again), { stdout: 'back\n', stderr: '', code: 0 })
    } finally {
      for (const s of sessions) s.close()
    }
    await waitFor(async () => (await processesIn(box)).filter(p => p.includes('sleep 300')).length === 0, { timeout: 20_000, message: 'the closed sessions\' commands to end' })
  })

  it('under gVisor too: output and exit code; a signal is refused, saying why', async t => {
    if (!await requireEngine(t)) return
    if (!await engineHasRuntime('runsc')) {
      if (process.env.CI != null && process.env.CI !== '') throw new Error('CI is set but the engine has no runsc runtime')
      t.skip('the engine has no runsc runtime')
      return
    }
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ policy: { runtime: 'runsc' } }))
    const sandboxed = await daemons.start(hostDir, ['--name', 'exec-runsc'])
    try {
      await a.api.connect(sandboxed.info.multiaddrs[0])
      const run = await a.api.run(sandboxed.info.peerId, { image: TEST_IMAGE, cmd: ['sleep', '600'], cpus: 0.2, memory: '64m' })
      const plain = await drain(await a.api.exec(sandboxed.info.peerId, run.containerId, { cmd: ['sh', '-c', 'echo gvisor; exit 9'] }))
      assert.deepEqual(plain, { stdout: 'gvisor\n', stderr: '', code: 9 })
      // runsc's exec does not pass signals on: said plainly (the CLI's Ctrl-C then leaves on the second press).
      const sleeper = await a.api.exec(sandboxed.info.peerId, run.containerId, { cmd: ['sleep', '30'] })
      await sleeper.signal('INT')
      let said = ''
      for await (const chunk of sleeper.output) {
        said += Buffer.from(chunk.data).toString()
        if (said.includes('\n')) break
      }
      sleeper.close()
      assert.match(said, /signals do not reach commands without a terminal under gVisor/)
      const viaCli = await runCli(['--data-dir', a.dataDir, 'exec', sandboxed.info.peerId, run.containerId, 'sh', '-c', 'echo under-runsc >&2; exit 2'])
      assert.equal(viaCli.code, 2)
      assert.equal(viaCli.stderr, 'under-runsc\n')
    } finally {
      await sandboxed.stop()
      await removeContainersOf(sandboxed.info.peerId)
    }
  })
})
