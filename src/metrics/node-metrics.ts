import { ActivityMetrics } from './activity-metrics.js'
import { registerLiveGauges } from './live-gauges.js'
import { TunnelMetrics } from './tunnel-metrics.js'
import { UsageMetrics } from './usage-metrics.js'
import type { LiveState } from './live-gauges.js'
import type { SocketMeter, TunnelSide } from './tunnel-metrics.js'
import type { UsageDelta } from './usage-metrics.js'
import type { ActivityEvent } from '../contract/index.js'
import type { Registry } from 'prom-client'

export interface NodeMetricsComponents extends LiveState {
  registry: Registry
}

/**
 * p2prc's own metrics of a node (`p2prc_*` on `GET /metrics`): what happens on the host side
 * (`observe`, fed by the activity events), guests' use per owner (`addUsage`, fed by the usage
 * meter), tunnels (`tunnels`), and gauges read from the node's live state at each scrape.
 */
export class NodeMetrics {
  private readonly activity: ActivityMetrics
  private readonly usage: UsageMetrics
  private readonly tunnelMetrics: TunnelMetrics

  constructor (components: NodeMetricsComponents) {
    const { registry, ...state } = components
    this.activity = new ActivityMetrics(registry)
    this.usage = new UsageMetrics(registry)
    this.tunnelMetrics = new TunnelMetrics(registry)
    registerLiveGauges(registry, state)
  }

  observe (event: ActivityEvent): void {
    this.activity.observe(event)
  }

  addUsage (owner: string, delta: UsageDelta): void {
    this.usage.add(owner, delta)
  }

  /** What one side's tunnels report their connections to. */
  tunnels (side: TunnelSide): SocketMeter {
    return this.tunnelMetrics.meter(side)
  }
}
