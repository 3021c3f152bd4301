import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { execFile } from 'node:child_process'
import { CLI_BIN, Daemons, runCli } from '../helpers/daemon-process.js'
import { containersOf, GUEST_RUNTIMES, inspectOrNull, removeContainersOf, requireRuntime, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { RunningDaemon } from '../helpers/daemon-process.js'

/** Limits small enough that the tests' containers fit a 2-core host's offer together. */
const SMALL = ['--cpus', '0.1', '--memory', '16m']

/** a runs containers on b; c is a third peer that must not see or touch them. Under runc and gVisor. */
for (const runtime of GUEST_RUNTIMES) {
  describe(`remote containers: run, watch, kill (runtime ${runtime ?? 'default'})`, () => {
    const dirs = new TmpDirs()
    const daemons = new Daemons()
    let a: RunningDaemon
    let b: RunningDaemon
    let c: RunningDaemon
    const cli = async (d: RunningDaemon, args: string[]): Promise<Awaited<ReturnType<typeof runCli>>> => runCli(['--data-dir', d.dataDir, ...args])

    before(async () => {
      const hostDir = await dirs.make()
      await writeFile(join(hostDir, 'config.json'), JSON.stringify({ advertInterval: '2s', recordTtl: '10s', policy: { maxContainersPerPeer: 6, runtime } }))
      b = await daemons.start(hostDir, ['--name', 'host-b'])
      a = await daemons.start(await dirs.make(), ['--name', 'client-a', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
      c = await daemons.start(await dirs.make(), ['--name', 'third-c', '--no-docker', '--bootstrap', b.info.multiaddrs[0]])
      await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources != null), { message: 'a to know b' })
      await waitFor(async () => (await c.api.peers()).some(p => p.peerId === b.info.peerId && p.resources != null), { message: 'c to know b' })
    })
    after(async () => {
      await daemons.stopAll()
      if (b != null) await removeContainersOf(b.info.peerId)
      await dirs.cleanup()
    })

    it('runs a container on another peer with limits, labels, env and a published port', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, '--cpus', '0.2', '--memory', '64m', '--ttl', '10m', '--name', 'web', '-e', 'GREETING=hello', '-p', '8080', '--json', '--', 'sh', '-c', 'echo $GREETING; exec httpd -f -p 8080 -h /tmp'])
      assert.equal(run.code, 0, run.stderr)
      const out = JSON.parse(run.stdout)
      assert.deepEqual(Object.keys(out).sort(), ['containerId', 'expiresAt', 'image', 'name', 'peerId', 'ports'])
      assert.equal(out.peerId, b.info.peerId)
      assert.equal(out.name, 'web')
      assert.equal(out.ports[0].containerPort, 8080)
      assert.ok(out.ports[0].hostPort > 0)
      const info = await inspectOrNull(out.containerId)
      assert.ok(info != null, 'Docker knows the container')
      assert.equal(info.State.Running, true)
      assert.equal(info.HostConfig.NanoCpus, 0.2e9)
      assert.equal(info.HostConfig.Memory, 64 * 1024 * 1024)
      assert.equal(info.HostConfig.Privileged, false)
      assert.deepEqual(info.HostConfig.Binds ?? [], [])
      assert.equal(info.Config.Labels['p2prc.owner'], a.info.peerId)
      assert.equal(info.Config.Labels['p2prc.node'], b.info.peerId)
      assert.ok(Math.abs(Number(info.Config.Labels['p2prc.expires-at']) - Date.parse(out.expiresAt)) < 1000)
      assert.ok(Date.parse(out.expiresAt) - Date.now() > 9 * 60_000)
      assert.ok(info.Config.Env.includes('GREETING=hello'))
      await waitFor(async () => (await cli(a, ['logs', 'host-b', out.containerId])).stdout.includes('hello'), { message: 'the greeting in the logs' })
      // The published port answers on the host's loopback (host and test share this machine).
      const answer = await waitFor(async () => fetch(`http://127.0.0.1:${out.ports[0].hostPort}/`).catch(() => null), { message: 'the published port to answer' })
      assert.equal(answer.status, 404, 'busybox httpd answers for an empty directory')
    })

    it('stats stay under the limits, as docker stats computes them', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, '--cpus', '0.5', '--memory', '32m', '--json', '--', 'sh', '-c', 'yes > /dev/null'])
      assert.equal(run.code, 0, run.stderr)
      const { containerId } = JSON.parse(run.stdout)
      const sample = await waitFor(async () => {
        const r = await cli(a, ['stats', 'host-b', containerId, '--no-stream', '--json'])
        assert.equal(r.code, 0, r.stderr)
        const s = JSON.parse(r.stdout)
        return s.cpuPercent > 20 ? s : null
      }, { timeout: 20_000, message: 'a busy sample' })
      for (const key of ['containerId', 'cpuPercent', 'memoryBytes', 'memoryLimitBytes', 'networkRxBytes', 'networkTxBytes', 'blockReadBytes', 'blockWriteBytes']) {
        assert.ok(key in sample, key)
      }
      assert.ok(sample.cpuPercent < 70, `CPU ${sample.cpuPercent}% under a 0.5 CPU limit`)
      assert.equal(sample.memoryLimitBytes, 32 * 1024 * 1024)
      assert.ok(sample.memoryBytes > 0 && sample.memoryBytes <= sample.memoryLimitBytes)
      const kill = await cli(a, ['kill', 'host-b', containerId])
      assert.equal(kill.code, 0, kill.stderr)
    })

    it('logs -f streams lines in order and ends when the container exits', async t => {
      if (!await requireRuntime(t, runtime)) return
      // No `--`: as with `docker run`, the words from the command's first are the command's (`-c` too).
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, ...SMALL, '--json', 'sh', '-c', 'sleep 1; for i in 1 2 3 4 5 6; do echo line$i; sleep 0.2; done; echo oops >&2'])
      assert.equal(run.code, 0, run.stderr)
      const { containerId } = JSON.parse(run.stdout)
      const follow = await cli(a, ['logs', 'host-b', containerId, '-f'])
      assert.equal(follow.code, 0, follow.stderr)
      assert.equal(follow.stdout, 'line1\nline2\nline3\nline4\nline5\nline6\n')
      assert.equal(follow.stderr, 'oops\n')
      const tail = await cli(a, ['logs', 'host-b', containerId, '--tail', '2'])
      assert.equal(tail.stdout, 'line6\n')
    })

    it('logs into a pipe that closes early (| head -1) end quietly with exit 0', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, ...SMALL, '--json', '--', 'sh', '-c', 'seq 1 20000; while :; do echo more; sleep 0.05; done'])
      assert.equal(run.code, 0, run.stderr)
      const { containerId } = JSON.parse(run.stdout)
      for (const follow of [[], ['-f']]) {
        const piped = await new Promise<{ code: number | null, stdout: string, stderr: string }>(resolve => {
          execFile('bash', ['-c', `set -o pipefail; "${process.execPath}" "${CLI_BIN}" --data-dir "${a.dataDir}" logs host-b ${containerId} ${follow.join(' ')} | head -1`], { timeout: 30_000 }, (err, stdout, stderr) => {
            resolve({ code: err == null ? 0 : (err as { code?: number }).code ?? null, stdout, stderr })
          })
        })
        assert.equal(piped.stdout, '1\n', `logs ${follow.join(' ')}`)
        assert.equal(piped.stderr, '', 'no stack trace, no message')
        assert.equal(piped.code, 0, `logs ${follow.join(' ')} | head -1 exits 0`)
      }
    })

    it('a third peer can neither see, watch nor kill the container', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, ...SMALL, '--json', '--', 'sleep', '300'])
      assert.equal(run.code, 0, run.stderr)
      const { containerId } = JSON.parse(run.stdout)
      for (const args of [['stats', 'host-b', containerId, '--no-stream'], ['logs', 'host-b', containerId], ['kill', 'host-b', containerId]]) {
        const r = await cli(c, args)
        assert.equal(r.code, 1, `${args[0]} by a third peer must fail`)
        assert.match(r.stderr, /you have no container/)
      }
      const ps = await cli(c, ['ps', 'host-b', '--json'])
      assert.deepEqual(JSON.parse(ps.stdout), [])
      assert.equal((await inspectOrNull(containerId))?.State.Running, true, 'still running')
      const mine = await cli(a, ['ps', '--json'])
      assert.ok(JSON.parse(mine.stdout).some((x: { containerId: string }) => x.containerId === containerId))
    })

    it('kill removes the container (Docker no longer has it)', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, ...SMALL, '--name', 'doomed', '--json', '--', 'sleep', '300'])
      assert.equal(run.code, 0, run.stderr)
      const { containerId } = JSON.parse(run.stdout)
      const kill = await cli(a, ['kill', 'host-b', 'doomed', '--json'])
      assert.equal(kill.code, 0, kill.stderr)
      assert.equal(JSON.parse(kill.stdout).containerId, containerId)
      assert.equal(await inspectOrNull(containerId), null)
      const again = await cli(a, ['kill', 'host-b', containerId])
      assert.equal(again.code, 1)
    })

    it('host ps shows every container with its owner; host kill ends any of them', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, ...SMALL, '--json', '--', 'sleep', '300'])
      assert.equal(run.code, 0, run.stderr)
      const { containerId } = JSON.parse(run.stdout)
      const ps = await cli(b, ['host', 'ps', '--json'])
      assert.equal(ps.code, 0, ps.stderr)
      const listed = JSON.parse(ps.stdout).find((x: { containerId: string }) => x.containerId === containerId)
      assert.equal(listed.owner, a.info.peerId)
      assert.equal(listed.image, TEST_IMAGE)
      assert.ok(Date.parse(listed.expiresAt) > Date.now())
      const table = await cli(b, ['host', 'ps'])
      assert.match(table.stdout, /OWNER/)
      const kill = await cli(b, ['host', 'kill', containerId.slice(0, 12)])
      assert.equal(kill.code, 0, kill.stderr)
      assert.equal(await inspectOrNull(containerId), null)
    })

    it('a 3 s time limit ends the container', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'host-b', TEST_IMAGE, ...SMALL, '--ttl', '3s', '--json', '--', 'sleep', '300'])
      assert.equal(run.code, 0, run.stderr)
      const { containerId, expiresAt } = JSON.parse(run.stdout)
      assert.ok(Date.parse(expiresAt) - Date.now() < 3500)
      assert.equal((await inspectOrNull(containerId))?.State.Running, true)
      await waitFor(async () => await inspectOrNull(containerId) == null, { timeout: 10_000, message: 'the expired container to be removed' })
      assert.ok(Date.now() >= Date.parse(expiresAt) - 100, 'not before its time')
    })

    it('refuses bad requests with a clear reason and creates nothing', async t => {
      if (!await requireRuntime(t, runtime)) return
      const before = (await containersOf(b.info.peerId)).length
      const cases: Array<[string[], RegExp]> = [
        [['run', 'host-b', 'Not An Image!'], /not a valid image reference/],
        [['run', 'host-b', TEST_IMAGE, '--memory', '900g'], /asked 900 GiB of memory, this node offers at most .* per container/],
        [['run', 'host-b', TEST_IMAGE, '--memory', '4000g'], /memory.*1099511627776/],
        [['run', 'host-b', TEST_IMAGE, '--cpus', '500'], /asked 500 CPUs, this node offers at most/],
        [['run', 'host-b', TEST_IMAGE, '--cpus', '0.1', '--gpus', '2'], /asked 2 GPUs, this node offers none/],
        [['run', 'host-b', TEST_IMAGE, '--ttl', '30d'], /time limit .* at most/],
        [['run', 'host-b', 'p2prc-test/missing:nope'], /p2prc-test\/missing:nope/],
        [['stats', 'host-b', 'ffffffffffff', '--no-stream'], /you have no container 'ffffffffffff'/],
        [['kill', 'host-b', '../../etc'], /not a container ID or name/]
      ]
      for (const [args, message] of cases) {
        const r = await cli(a, args)
        assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`)
        assert.match(r.stderr, message)
        assert.equal(r.stderr.trim().split('\n').length, 1)
      }
      for (const args of [['run', 'host-b', TEST_IMAGE, '--cpus', '-1'], ['run', 'host-b', TEST_IMAGE, '--memory', 'lots'], ['run', 'host-b', TEST_IMAGE, '-p', '70000']]) {
        assert.equal((await cli(a, args)).code, 2, args.join(' '))
      }
      assert.equal((await containersOf(b.info.peerId)).length, before, 'nothing was created')
      assert.equal((await b.api.node()).peerId, b.info.peerId, 'the host keeps serving')
    })

    it('run auto picks a peer that fits, or says for each why not', async t => {
      if (!await requireRuntime(t, runtime)) return
      const run = await cli(a, ['run', 'auto', TEST_IMAGE, '--cpus', '0.1', '--memory', '16m', '--json', '--', 'sleep', '60'])
      assert.equal(run.code, 0, run.stderr)
      assert.equal(JSON.parse(run.stdout).peerId, b.info.peerId)
      const none = await cli(a, ['run', 'auto', TEST_IMAGE, '--cpus', '64'])
      assert.equal(none.code, 1)
      assert.match(none.stderr, /no peer fits: .*host-b.*CPUs free, asked 64/)
      assert.match(none.stderr, /third-c.*offers no compute/)
    })
  })
}
