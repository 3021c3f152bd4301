import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ApiClient } from '../../dist/api-client/api-client.js'
import { Daemons } from '../helpers/daemon-process.js'
import { dockerClient, inspectOrNull, removeContainersOf, requireEngine, TEST_IMAGE } from '../helpers/docker.js'
import { TmpDirs } from '../helpers/tmp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { TestContext } from 'node:test'
import type { RunningDaemon } from '../helpers/daemon-process.js'

const REGISTRY = '127.0.0.1:5000'

/** The pull test needs a registry on loopback (`scripts/start-test-registry.sh`; CI starts one). */
async function requireRegistry (t: TestContext): Promise<boolean> {
  try {
    const response = await fetch(`http://${REGISTRY}/v2/`, { signal: AbortSignal.timeout(2000) })
    if (response.ok) return true
  } catch {
    // No answer: handled below.
  }
  if (process.env.CI != null && process.env.CI !== '') throw new Error(`CI is set but no registry answers on ${REGISTRY} (scripts/start-test-registry.sh)`)
  t.skip(`no registry answers on ${REGISTRY} (run scripts/start-test-registry.sh)`)
  return false
}

async function drain (stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    dockerClient().modem.followProgress(stream, err => err != null ? reject(err) : resolve())
  })
}

describe('pulling a missing image from a registry', () => {
  const dirs = new TmpDirs()
  const daemons = new Daemons()
  let a: RunningDaemon
  let b: RunningDaemon
  const image = `${REGISTRY}/p2prc/pull-test:${randomBytes(4).toString('hex')}`

  before(async () => {
    // The test registry is on loopback: the host's operator names it, as a real one would.
    const hostDir = await dirs.make()
    await writeFile(join(hostDir, 'config.json'), JSON.stringify({ policy: { allowRegistries: ['*', REGISTRY] } }))
    b = await daemons.start(hostDir, ['--name', 'host-b'])
    a = await daemons.start(await dirs.make(), ['--no-docker', '--bootstrap', b.info.multiaddrs[0]])
    await waitFor(async () => (await a.api.peers()).some(p => p.peerId === b.info.peerId && p.resources != null))
  })
  after(async () => {
    await daemons.stopAll()
    if (b != null) await removeContainersOf(b.info.peerId)
    await dockerClient().getImage(image).remove({ force: true }).catch(() => {})
    await dirs.cleanup()
  })

  it('streams pull progress to the requester, then runs the container', async t => {
    if (!await requireEngine(t) || !await requireRegistry(t)) return
    const docker = dockerClient()
    // Put the test image in the registry under a fresh name, and make sure the engine lacks it.
    await docker.getImage(TEST_IMAGE).tag({ repo: image.slice(0, image.lastIndexOf(':')), tag: image.slice(image.lastIndexOf(':') + 1) })
    await drain(await docker.getImage(image).push({ authconfig: {} }) as unknown as NodeJS.ReadableStream)
    await docker.getImage(image).remove()
    await assert.rejects(docker.getImage(image).inspect(), { statusCode: 404 })

    const progress: Array<{ status: string }> = []
    const client = new ApiClient(a.info.api, a.token)
    const container = await client.run(b.info.peerId, { image, cmd: ['sleep', '60'] }, { onProgress: p => progress.push(p) })
    assert.ok(progress.length > 0, 'progress arrived')
    assert.ok(progress.some(p => /Pulling|Download|Pull complete|Digest|Status/i.test(p.status)), progress.map(p => p.status).join(', '))
    assert.equal((await inspectOrNull(container.containerId))?.State.Running, true)
    assert.equal(container.image, image)
  })
})
