import { Counter } from 'prom-client'
import { BoundedLabel } from './bounded-label.js'
import { MAX_OWNER_LABELS, OTHER_OWNER } from './constants.js'
import type { Registry } from 'prom-client'

/** What a guest owner's containers used since the last report, in base units. */
export interface UsageDelta {
  cpuSeconds: number
  memoryByteSeconds: number
  gpuSeconds: number
  networkRxBytes: number
  networkTxBytes: number
}

const OWNERS_HELP = `(owner: the peer ID; the first ${MAX_OWNER_LABELS} owners have their own label, later ones count under owner="${OTHER_OWNER}")`

/** Guest containers' use per owner, as the usage meter measures it. */
export class UsageMetrics {
  private readonly owners = new BoundedLabel(MAX_OWNER_LABELS, OTHER_OWNER)
  private readonly cpu: Counter<'owner'>
  private readonly memory: Counter<'owner'>
  private readonly gpu: Counter<'owner'>
  private readonly network: Counter<'owner' | 'direction'>

  constructor (registry: Registry) {
    const registers = [registry]
    this.cpu = new Counter({ name: 'p2prc_usage_cpu_seconds_total', help: `CPU time guest containers used ${OWNERS_HELP}`, labelNames: ['owner'], registers })
    this.memory = new Counter({ name: 'p2prc_usage_memory_byte_seconds_total', help: `Memory guest containers held, integrated over time ${OWNERS_HELP}`, labelNames: ['owner'], registers })
    this.gpu = new Counter({ name: 'p2prc_usage_gpu_seconds_total', help: `GPU time guest containers held, per GPU ${OWNERS_HELP}`, labelNames: ['owner'], registers })
    this.network = new Counter({ name: 'p2prc_usage_network_bytes_total', help: `Network bytes guest containers received (direction="rx") and sent (direction="tx") ${OWNERS_HELP}`, labelNames: ['owner', 'direction'], registers })
  }

  add (owner: string, delta: UsageDelta): void {
    const label = this.owners.value(owner)
    count(this.cpu, { owner: label }, delta.cpuSeconds)
    count(this.memory, { owner: label }, delta.memoryByteSeconds)
    count(this.gpu, { owner: label }, delta.gpuSeconds)
    count(this.network, { owner: label, direction: 'rx' }, delta.networkRxBytes)
    count(this.network, { owner: label, direction: 'tx' }, delta.networkTxBytes)
  }
}

/**
 * A counter only goes up: a negative or non-finite figure (a container's counters reset by an
 * engine restart, say) adds nothing rather than throw inside the meter. Zero is added too, so an
 * owner's series all appear at once.
 */
function count<L extends string> (counter: Counter<L>, labels: Partial<Record<L, string>>, value: number): void {
  counter.inc(labels, Number.isFinite(value) && value > 0 ? value : 0)
}
