import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { loadIdentity } from '../../dist/identity/load-identity.js'
import { ROOT } from '../helpers/daemon-process.js'
import { dockerClient } from '../helpers/docker.js'
import { sweeper } from '../helpers/sweeper.js'
import { waitFor } from '../helpers/wait-for.js'

const exec = promisify(execFile)

export const NODE_IMAGE = 'p2prc/node:latest'
export const SERVICES = ['bootstrap', 'compute-1', 'compute-2', 'client-1', 'client-2'] as const
export type Service = typeof SERVICES[number] | string

export interface CliResult { code: number, stdout: string, stderr: string }

/**
 * docker-compose.test.yml brought up under a project name of its own, driven the way a user
 * would: `p2prc` inside each node's container. `down()` removes the containers, the network, the
 * volumes and every container the compute nodes started, whatever state the test left.
 */
export class Testbed {
  readonly project = `p2prc${process.pid}`
  bootstrapId = ''
  private bootstrapDir = ''
  private readonly computePeers = new Set<string>()

  async up (): Promise<void> {
    try {
      await dockerClient().getImage(NODE_IMAGE).inspect()
    } catch {
      throw new Error(`no ${NODE_IMAGE} image: build it with scripts/build-node-image.sh --local-base (or BASE=node:22-bookworm-slim)`)
    }
    // Whatever happens to this process, the stack goes with it (see helpers/sweeper.ts).
    for (const entry of this.sweepEntries()) sweeper.add(entry)
    // The bootstrap node's identity is made here, so every other node can be told its peer ID.
    this.bootstrapDir = await mkdtemp(join(tmpdir(), 'p2prc-compose-'))
    this.bootstrapId = peerIdFromPrivateKey(await loadIdentity(this.bootstrapDir)).toString()
    try {
      await this.compose(['up', '-d', '--no-color', '--quiet-pull'])
    } catch (err) {
      await this.down()
      throw err
    }
  }

  private sweepEntries (): Array<Parameters<typeof sweeper.add>[0]> {
    return [
      { kind: 'containers', label: `com.docker.compose.project=${this.project}` },
      { kind: 'network', name: `${this.project}_p2prc` },
      ...[...this.computePeers].map(peer => ({ kind: 'containers' as const, label: `p2prc.node=${peer}` }))
    ]
  }

  async down (): Promise<void> {
    for (const service of ['compute-1', 'compute-2']) {
      const id = await this.peerId(service).catch(() => null)
      if (id != null) this.computePeers.add(id)
    }
    await this.compose(['down', '-v', '--timeout', '5', '--remove-orphans']).catch(err => { console.error(`compose down: ${err.message}`) })
    const docker = dockerClient()
    for (const peer of this.computePeers) {
      for (const c of await docker.listContainers({ all: true, filters: { label: [`p2prc.node=${peer}`] } })) {
        await docker.getContainer(c.Id).remove({ force: true }).catch(() => {})
      }
      // The guest networks the compute nodes made on the engine go too.
      for (const n of await docker.listNetworks({ filters: { label: [`p2prc.node=${peer}`] } })) {
        await docker.getNetwork(n.Id).remove().catch(() => {})
      }
    }
    if (this.bootstrapDir !== '') await rm(this.bootstrapDir, { recursive: true, force: true })
    for (const entry of this.sweepEntries()) sweeper.forget(entry)
  }

  async compose (args: string[], timeout = 120_000): Promise<string> {
    const { stdout } = await exec('docker-compose', ['-f', join(ROOT, 'docker-compose.test.yml'), '-p', this.project, ...args], {
      cwd: ROOT, timeout, env: { ...process.env, P2PRC_BOOTSTRAP_DIR: this.bootstrapDir, P2PRC_BOOTSTRAP_ID: this.bootstrapId }
    })
    return stdout
  }

  /** compose 1.x names a service's container PROJECT_SERVICE_1. */
  container (service: Service): string {
    return `${this.project}_${service}_1`
  }

  /** Runs `p2prc ARGS` in a node's container, as its user would. */
  async cli (service: Service, args: string[], timeout = 60_000): Promise<CliResult> {
    try {
      const { stdout, stderr } = await exec('docker', ['exec', this.container(service), 'p2prc', ...args], { timeout })
      return { code: 0, stdout, stderr }
    } catch (err: any) {
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? err.message }
    }
  }

  /** `p2prc ARGS --json`, parsed; a failure throws with what the CLI said. */
  async json<T = any>(service: Service, args: string[]): Promise<T> {
    const result = await this.cli(service, ['--json', ...args])
    if (result.code !== 0) throw new Error(`${service}: p2prc ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`)
    return JSON.parse(result.stdout)
  }

  async peerId (service: Service): Promise<string> {
    const id = (await this.json<{ peerId: string }>(service, ['id'])).peerId
    if (service.startsWith('compute') && !this.computePeers.has(id)) {
      this.computePeers.add(id)
      sweeper.add({ kind: 'containers', label: `p2prc.node=${id}` })
    }
    return id
  }

  /** Waits until each of `services` lists every one of `others` among its peers. */
  async converged (services: Service[], others: Service[], timeout = 60_000): Promise<void> {
    const ids = new Map<string, string>()
    for (const s of new Set([...services, ...others])) ids.set(s, await waitFor(async () => this.peerId(s), { timeout, message: `${s} to answer` }))
    for (const s of services) {
      await waitFor(async () => {
        const peers = await this.json<Array<{ peerId: string }>>(s, ['peers'])
        return others.filter(o => o !== s).every(o => peers.some(p => p.peerId === ids.get(o)))
      }, { timeout, interval: 500, message: `${s} to see ${others.join(', ')}` })
    }
  }
}
