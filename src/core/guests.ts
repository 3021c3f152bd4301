import { HostContainers } from '../containers/host-containers.js'
import { NoComputeError } from '../errors.js'
import type { HostContainersInit } from '../containers/host-containers.js'
import type { Capacity, Resources } from '../contract/index.js'
import type { EngineInfo } from '../runtime/docker-engine.js'
import type { DockerRuntime } from '../runtime/index.js'
import type { AbortOptions, Startable } from '@libp2p/interface'

const NOTHING: Capacity = { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 }

export interface GuestsComponents extends Omit<HostContainersInit, 'runtime' | 'offer' | 'gpuVendor'> {
  /** The Docker runtime, or null for a client-only node. */
  runtime: DockerRuntime | null
  /** What the engine said at the last measurement. */
  engine: () => EngineInfo
  /** This node's resources as its latest record says: what it offers, which GPUs it has. */
  resources: () => Resources | undefined
}

/**
 * The host side of a node: the containers it runs for others, when it has an engine to run them
 * on. A node without one (client-only, or an engine that did not answer at start) has no guests,
 * and every request for them is a NoComputeError naming why.
 */
export class Guests implements Startable {
  private readonly containers: HostContainers | null
  private running = false

  constructor (private readonly components: GuestsComponents) {
    const { runtime, engine: _engine, resources, ...init } = components
    this.containers = runtime == null
      ? null
      : new HostContainers({ ...init, runtime, offer: () => resources()?.offer ?? NOTHING, gpuVendor: () => gpuVendorOf(resources()) })
  }

  async start (options: AbortOptions = {}): Promise<void> {
    if (this.containers == null || !this.components.engine().available) return
    await this.containers.start(options)
    this.running = true
  }

  stop (): void {
    if (this.running) this.containers?.stop()
    this.running = false
  }

  get available (): boolean {
    return this.running
  }

  /** The container host, or a NoComputeError when this node runs none. */
  get host (): HostContainers {
    if (this.containers == null || !this.running) throw new NoComputeError(`this node runs no containers: ${this.components.engine().reason ?? 'no Docker engine'}`)
    return this.containers
  }

  /** What its guests take of the offer now (nothing without any). */
  usage (): Capacity {
    return this.running ? this.host.usage() : NOTHING
  }
}

/** Which kind of GPU request the engine understands here, from the GPUs the probe found. */
function gpuVendorOf (resources: Resources | undefined): 'nvidia' | 'amd' | null {
  const gpus = resources?.gpus ?? []
  if (gpus.some(g => g.vendor === 'nvidia')) return 'nvidia'
  if (gpus.some(g => g.vendor === 'amd')) return 'amd'
  return null
}
