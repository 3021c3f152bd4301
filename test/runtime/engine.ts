// The real engine for the runtime tests. Every container a test starts carries this run's label,
// so `cleanup()` (in `after`) finds and removes all of them, whatever the test did or how it failed.
import { randomBytes } from 'node:crypto'
import { DockerRuntime, dockerClient, probeEngine } from '../../dist/runtime/index.js'
import { sweeper } from '../helpers/sweeper.js'
import type { ContainerSpec, DockerClient } from '../../dist/runtime/index.js'
import type { TestContext } from 'node:test'

export const TEST_IMAGE = 'p2prc-test/busybox:latest'
/** The engine a daemon here would find; DOCKER_HOST (unix://) points the tests elsewhere. */
export const SOCKET = process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/var/run/docker.sock'
export const TEST_LABEL = 'p2prc.test'
export const MiB = 1024 * 1024

/** What `docker inspect` returns, named through the runtime's client type (tests do not import dockerode). */
export type RawInspect = Awaited<ReturnType<ReturnType<DockerClient['getContainer']>['inspect']>>

export class TestEngine {
  /** Tells this run's containers apart from other runs' and from everything else on the engine. */
  readonly runId = randomBytes(6).toString('hex')
  readonly client: DockerClient = dockerClient(`unix://${SOCKET}`)
  readonly runtime = new DockerRuntime(this.client)
  private probe?: Promise<string | null>
  private names = 0

  /**
   * Whether the test can run. Without an engine it is skipped with the reason on a developer's
   * machine and fails when CI is set, since CI installs and starts the engine.
   */
  async require (t: TestContext): Promise<boolean> {
    this.probe ??= this.check()
    const reason = await this.probe
    if (reason == null) return true
    if (process.env.CI != null && process.env.CI !== '') throw new Error(`CI is set but no Docker engine answers on ${SOCKET}: ${reason}`)
    t.skip(`no Docker engine: ${reason} (start dockerd to run this test)`)
    return false
  }

  /** Whether the engine is there, for `before` hooks; the tests themselves call `require`. */
  async answers (): Promise<boolean> {
    this.probe ??= this.check()
    return await this.probe.catch(() => 'broken') == null
  }

  /** A spec for the test image with this run's label; a test overrides what it checks. */
  spec (overrides: Partial<ContainerSpec> = {}): ContainerSpec {
    sweeper.add({ kind: 'containers', label: `${TEST_LABEL}=${this.runId}` })
    return {
      image: TEST_IMAGE,
      cmd: ['sleep', '60'],
      env: {},
      ports: [],
      cpus: 0,
      memoryBytes: 0,
      gpus: null,
      name: this.name(),
      pidsLimit: 64,
      network: { name: 'bridge', aliases: [] },
      runtime: null,
      user: null,
      readOnlyRootfs: false,
      storageBytes: null,
      ...overrides,
      labels: { ...overrides.labels, [TEST_LABEL]: this.runId }
    }
  }

  name (): string {
    return `p2prc-test-${this.runId}-${++this.names}`
  }

  /** Force-removes every container of this run; lists through the raw client, not the code under test. */
  async cleanup (): Promise<void> {
    if (!await this.answers()) return
    const found = await this.client.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${this.runId}`] } })
    await Promise.all(found.map(async c => this.client.getContainer(c.Id).remove({ force: true, v: true }).catch(() => {})))
    sweeper.forget({ kind: 'containers', label: `${TEST_LABEL}=${this.runId}` })
  }

  /** The raw inspect, for asserting what Docker itself holds. */
  async rawInspect (id: string): Promise<RawInspect> {
    return this.client.getContainer(id).inspect()
  }

  private async check (): Promise<string | null> {
    const info = await probeEngine(this.client)
    if (!info.available) return info.reason ?? 'the engine did not answer'
    // An engine without the test image is a broken setup, not a missing engine: fail, say how to fix.
    const images = await this.client.listImages({ filters: { reference: [TEST_IMAGE] } })
    if (images.length === 0) throw new Error(`the engine answers but has no ${TEST_IMAGE}: run scripts/build-test-images.sh`)
    return null
  }
}

/** Collects a log iterable into the text of each stream. */
export async function readLogs (chunks: AsyncIterable<{ stream: 'stdout' | 'stderr', data: Uint8Array }>): Promise<{ stdout: string, stderr: string }> {
  const out: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] }
  for await (const chunk of chunks) out[chunk.stream].push(Buffer.from(chunk.data))
  return { stdout: Buffer.concat(out.stdout).toString(), stderr: Buffer.concat(out.stderr).toString() }
}
