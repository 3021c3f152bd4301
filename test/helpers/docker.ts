import Docker from 'dockerode'
import { sweeper } from './sweeper.js'
import type { TestContext } from 'node:test'

export const TEST_IMAGE = 'p2prc-test/busybox:latest'

export function dockerClient (): Docker {
  return new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') ?? '/var/run/docker.sock' })
}

/** Whether a Docker engine answers on the default socket (what a daemon here would find). */
export async function engineAnswers (): Promise<boolean> {
  try {
    await dockerClient().ping()
    return true
  } catch {
    return false
  }
}

/**
 * Docker tests run against the real engine. Without one they skip, saying why, on a developer's
 * machine; with CI set they fail, since CI installs and starts the engine.
 */
export async function requireEngine (t: TestContext): Promise<boolean> {
  if (await engineAnswers()) return true
  if (process.env.CI != null && process.env.CI !== '') throw new Error('CI is set but no Docker engine answers on /var/run/docker.sock')
  t.skip('no Docker engine answers on /var/run/docker.sock (start dockerd to run this test)')
  return false
}

/** Every container this node has labelled as its own, in any state. */
export async function containersOf (nodePeerId: string): Promise<Docker.ContainerInfo[]> {
  return dockerClient().listContainers({ all: true, filters: { label: [`p2prc.node=${nodePeerId}`] } })
}

/** Force-removes every container a test node made (in `after`, whatever happened). */
export async function removeContainersOf (nodePeerId: string): Promise<void> {
  if (!await engineAnswers()) return
  const docker = dockerClient()
  for (const c of await containersOf(nodePeerId)) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => {})
  }
  // Its guest networks too: the engine's address ranges run out after a few dozen.
  for (const n of await docker.listNetworks({ filters: { label: [`p2prc.node=${nodePeerId}`] } })) {
    await docker.getNetwork(n.Id).remove().catch(() => {})
  }
  sweeper.forget({ kind: 'containers', label: `p2prc.node=${nodePeerId}` })
}

export async function inspectOrNull (id: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await dockerClient().getContainer(id).inspect()
  } catch (err: any) {
    if (err.statusCode === 404) return null
    throw err
  }
}

/** The runtimes guest-container tests run under: the engine's default, and gVisor. */
export const GUEST_RUNTIMES = [null, 'runsc'] as const

/** Whether the engine knows an OCI runtime (CI registers runsc). */
export async function engineHasRuntime (runtime: string): Promise<boolean> {
  if (!await engineAnswers()) return false
  const info = await dockerClient().info() as { Runtimes?: Record<string, unknown> }
  return info.Runtimes?.[runtime] != null
}

/**
 * A test that runs guests under `runtime` (null: the default) needs the engine and, for runsc,
 * gVisor registered with it: outside CI it skips and says why; with CI set it fails.
 */
export async function requireRuntime (t: TestContext, runtime: string | null): Promise<boolean> {
  if (!await requireEngine(t)) return false
  if (runtime == null || await engineHasRuntime(runtime)) return true
  if (process.env.CI != null && process.env.CI !== '') throw new Error(`CI is set but the engine has no ${runtime} runtime (.ci/run registers it)`)
  t.skip(`the engine has no ${runtime} runtime (apt-get install ${runtime}, register it in /etc/docker/daemon.json)`)
  return false
}
