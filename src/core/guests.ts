import { readFileSync } from 'node:fs'
import { NO_OUTBOUND_PREFIX, OUTBOUND_PREFIX } from '../containers/guest-networks.js'
import { GuestSessions } from '../containers/guest-sessions.js'
import { HostContainers } from '../containers/host-containers.js'
import { NoComputeError } from '../errors.js'
import { applyGuestFirewall, guestFirewallStatus } from '../runtime/index.js'
import type { HostContainersInit } from '../containers/host-containers.js'
import type { Capacity, HostCheck, Resources } from '../contract/index.js'
import type { EngineInfo } from '../runtime/docker-engine.js'
import type { DockerRuntime, FirewallInit, FirewallStatus } from '../runtime/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

const NOTHING: Capacity = { cpus: 0, memoryBytes: 0, gpus: 0, containers: 0 }
const FIREWALL: FirewallInit = { outbound: `${OUTBOUND_PREFIX}+`, isolated: `${NO_OUTBOUND_PREFIX}+` }
/** Linux's default when /proc cannot say. */
const DEFAULT_PID_MAX = 32_768

export interface GuestsComponents extends Omit<HostContainersInit, 'runtime' | 'offer' | 'gpuVendor' | 'pidMax' | 'log'> {
  /** The Docker runtime, or null for a client-only node. */
  runtime: DockerRuntime | null
  /** This node's resources as its latest record says: what it offers, which GPUs it has. */
  resources: () => Resources | undefined
  log: Logger
}

/**
 * The host side of a node: the containers it runs for others, when it has an engine to run them
 * on. It follows the engine: one that appears (or returns) is taken up, and one that goes away
 * stops the offer, without a restart. A node without one (client-only, or an engine without the
 * runtime the policy asks for) has no guests, and every request for them is a NoComputeError
 * naming why.
 */
export class Guests {
  private readonly containers: HostContainers | null
  private readonly access: GuestSessions | null
  private running = false
  private why: string
  private starting?: Promise<void>
  private firewall: FirewallStatus | null = null
  private engineSeen: EngineInfo | null = null
  /** Guests were taken before: a start now is the engine coming back, not the node. */
  private resumed = false
  /** Counts stops, so that a start under way knows it was stopped meanwhile. */
  private generation = 0
  private closed = false

  constructor (private readonly components: GuestsComponents) {
    const { runtime, resources, ...init } = components
    this.why = runtime == null ? 'no Docker engine (--no-docker)' : 'the engine has not been asked yet'
    this.containers = runtime == null
      ? null
      : new HostContainers({ ...init, runtime, offer: () => resources()?.offer ?? NOTHING, gpuVendor: () => gpuVendorOf(resources()), pidMax: pidMax() })
    this.access = runtime == null || this.containers == null ? null : new GuestSessions({ runtime, policy: init.policy, containers: this.containers, log: init.log, onActivity: init.onActivity })
  }

  /**
   * Takes in what the engine said at the latest measurement: starts taking guests when it is
   * there (and has the runtime the policy asks for), stops when it is gone. The containers keep
   * running either way; the next start re-adopts them.
   */
  async follow (engine: EngineInfo, options: AbortOptions = {}): Promise<void> {
    this.engineSeen = engine
    if (this.containers == null || this.closed) return
    const runtime = this.components.policy.runtime
    const refusal = !engine.available
      ? `its Docker engine is not answering (${engine.reason ?? 'unknown'})`
      : runtime != null && !engine.runtimes.includes(runtime)
        ? `the policy asks for the ${runtime} runtime, which the engine does not have (register it in /etc/docker/daemon.json as "runtimes": { "${runtime}": { "path": "/usr/bin/${runtime}" } } and reload dockerd)`
        : null
    if (refusal != null) {
      if (this.running) this.components.log.error('no longer taking guests: %s', refusal)
      this.stop()
      this.why = refusal
      return
    }
    if (this.running) return
    this.starting ??= this.begin(options).finally(() => { this.starting = undefined })
    await this.starting
  }

  private async begin (options: AbortOptions): Promise<void> {
    // Every time: the engine may have come back with a fresh firewall of its own.
    this.firewall = await applyGuestFirewall(FIREWALL, options)
    if (!this.firewall.active) this.components.log.error('guests are not isolated from this host: %s', this.firewall.detail)
    const generation = this.generation
    try {
      await this.containers?.start({ ...options, resumed: this.resumed })
      // Stopped meanwhile: the containers' start saw it and stopped too.
      if (generation !== this.generation) return
      this.running = true
      this.resumed = true
      this.components.log('taking guests')
    } catch (err: any) {
      if (generation !== this.generation) return
      this.why = `its Docker engine failed at start (${err.message})`
      this.components.log.error('could not take guests: %s', err.message)
    }
  }

  stop (): void {
    // Also while a start is under way: that start must not go on to take guests.
    this.generation++
    this.containers?.stop()
    this.running = false
  }

  /** The node starts (again): measurements may take up the engine. */
  open (): void {
    this.closed = false
  }

  /**
   * The node stops: its next start is a node's start again. Until then no measurement (a peer's
   * request for specs still being answered) takes up the engine.
   */
  shutdown (): void {
    this.closed = true
    this.stop()
    this.resumed = false
  }

  get available (): boolean {
    return this.running
  }

  /** Why this node takes no guests now, or null when it does. */
  get reason (): string | null {
    return this.running ? null : this.why
  }

  /** The container host, or a NoComputeError when this node runs none. */
  get host (): HostContainers {
    if (this.containers == null || !this.running) throw new NoComputeError(`this node runs no containers: ${this.why}`)
    return this.containers
  }

  /** Commands and copies in guests' containers, or a NoComputeError when this node runs none. */
  get sessions (): GuestSessions {
    if (this.access == null || !this.running) throw new NoComputeError(`this node runs no containers: ${this.why}`)
    return this.access
  }

  /** What its guests take of the offer now (nothing without any). */
  usage (): Capacity {
    return this.running ? this.host.usage() : NOTHING
  }

  /** `p2prc host check`: what keeps guests apart from this host and from each other, and what is missing. */
  async check (): Promise<HostCheck[]> {
    const { policy } = this.components
    const engine = this.engineSeen
    const checks: HostCheck[] = [
      { check: 'engine', ok: engine?.available === true, detail: engine?.available === true ? `Docker ${engine.version ?? '?'} answers` : `no engine: ${engine?.reason ?? this.why}` },
      { check: 'guests', ok: this.running, detail: this.running ? 'this node takes guests' : `this node takes no guests: ${this.why}` }
    ]
    if (this.containers != null) {
      const firewall = await guestFirewallStatus(FIREWALL)
      checks.push({ check: 'isolation', ok: firewall.active, detail: firewall.detail })
    }
    if (policy.runtime != null) {
      const has = engine?.runtimes.includes(policy.runtime) === true
      checks.push({ check: 'sandbox', ok: has, detail: has ? `guests run under ${policy.runtime}` : `the engine has no ${policy.runtime} runtime` })
    } else {
      checks.push({ check: 'sandbox', ok: true, detail: `guests run under the engine's default runtime${engine?.runtimes.includes('runsc') === true ? ' (runsc is there: set policy.runtime to "runsc" for gVisor)' : ''}` })
    }
    checks.push({ check: 'network', ok: true, detail: policy.network === 'none' ? 'guests reach nothing outside their owner\'s network' : 'guests reach the internet, not this host, its LAN or other owners\' containers' })
    checks.push({ check: 'user', ok: true, detail: policy.user != null ? `guests run as ${policy.user}` : 'guests run as their image\'s user (often root; set policy.user to change it)' })
    return checks
  }
}

/** Which kind of GPU request the engine understands here, from the GPUs the probe found. */
function gpuVendorOf (resources: Resources | undefined): 'nvidia' | 'amd' | null {
  const gpus = resources?.gpus ?? []
  if (gpus.some(g => g.vendor === 'nvidia')) return 'nvidia'
  if (gpus.some(g => g.vendor === 'amd')) return 'amd'
  return null
}

function pidMax (): number {
  try {
    const value = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim())
    return value > 0 ? value : DEFAULT_PID_MAX
  } catch {
    return DEFAULT_PID_MAX
  }
}
