import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import { createInterface } from 'node:readline'
import { ROOT } from '../helpers/daemon-process.js'
import { dockerClient, requireEngine } from '../helpers/docker.js'
import { sweepLeftovers } from '../helpers/sweeper.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { TestContext } from 'node:test'

/**
 * A stand-in for a test file that is cancelled or killed mid-way: it starts a real daemon and a
 * labelled container through the helpers, prints their IDs, and waits to be ended.
 */
const VICTIM = `
import { Daemons } from ${JSON.stringify(join(ROOT, 'dist-test/helpers/daemon-process.js'))}
import { TmpDirs } from ${JSON.stringify(join(ROOT, 'dist-test/helpers/tmp-dir.js'))}
import { dockerClient, TEST_IMAGE } from ${JSON.stringify(join(ROOT, 'dist-test/helpers/docker.js'))}
import { sweeper } from ${JSON.stringify(join(ROOT, 'dist-test/helpers/sweeper.js'))}
const daemon = await new Daemons().start(await new TmpDirs().make(), ['--no-docker'])
const label = process.argv[2]
sweeper.add({ kind: 'containers', label: 'p2prc.sweep-test=' + label })
const container = await dockerClient().createContainer({ Image: TEST_IMAGE, Cmd: ['sleep', '300'], Labels: { 'p2prc.sweep-test': label } })
await container.start()
console.log(JSON.stringify({ pid: daemon.info.pid, container: container.id }))
setInterval(() => {}, 1000)
`

/** Running, not a zombie (a killed orphan lingers as one until something reaps it). */
function isAlive (pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

describe('the test sweeper', () => {
  const dirs = new TmpDirs()
  after(async () => { await dirs.cleanup() })

  async function startVictim (t: TestContext): Promise<{ child: ReturnType<typeof spawn>, pid: number, container: string }> {
    const script = join(await dirs.make(), 'victim.mjs')
    await writeFile(script, VICTIM)
    const label = randomBytes(4).toString('hex')
    const child = spawn(process.execPath, [script, label], { stdio: ['ignore', 'pipe', 'inherit'] })
    t.after(() => { child.kill('SIGKILL') })
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', resolve)
      child.once('exit', code => { reject(new Error(`the victim exited with ${code}`)) })
    })
    return { child, ...JSON.parse(line) }
  }

  const gone = async (id: string): Promise<boolean> => dockerClient().getContainer(id).inspect().then(() => false, () => true)

  it('sweeps a cancelled file\'s daemons and containers when it ends on a signal', async t => {
    if (!await requireEngine(t)) return
    const { child, pid, container } = await startVictim(t)
    assert.ok(isAlive(pid))
    child.kill('SIGTERM')
    await new Promise(resolve => child.once('exit', resolve))
    await waitFor(() => !isAlive(pid), { message: 'the daemon to be gone' })
    assert.ok(await gone(container), 'the container is removed')
  })

  it('sweeps what a SIGKILLed file left behind at the start of the next run', async t => {
    if (!await requireEngine(t)) return
    const { child, pid, container } = await startVictim(t)
    child.kill('SIGKILL')
    await new Promise(resolve => child.once('exit', resolve))
    assert.ok(isAlive(pid), 'a SIGKILLed process cannot stop its daemon itself')
    assert.ok(sweepLeftovers() >= 2)
    await waitFor(() => !isAlive(pid), { message: 'the orphaned daemon to be gone' })
    assert.ok(await gone(container), 'the container is removed')
  })
})
