import { Counter } from 'prom-client'
import type { ActivityEvent, EndReason } from '../contract/index.js'
import type { Registry } from 'prom-client'

/** The ends that are the container's time limit: at it, or found past it after a host restart. */
const EXPIRIES = new Set<EndReason>(['time limit', 'host restarted past its time limit'])

/** Counts of what happens on the host side, from the activity events. */
export class ActivityMetrics {
  private readonly admitted: Counter
  private readonly refused: Counter<'reason'>
  private readonly pulls: Counter<'result'>
  private readonly pullBytes: Counter
  private readonly expired: Counter
  private readonly hostKills: Counter

  constructor (registry: Registry) {
    const registers = [registry]
    this.admitted = new Counter({ name: 'p2prc_runs_admitted_total', help: 'Runs of guest containers this host admitted and started', registers })
    this.refused = new Counter({ name: 'p2prc_runs_refused_total', help: 'Runs this host refused, by the policy rule that refused them (reason: peer, image, cpus, memory, ttl, ...)', labelNames: ['reason'], registers })
    this.pulls = new Counter({ name: 'p2prc_image_pulls_total', help: 'Image pulls for guests, by result (ok, failed)', labelNames: ['result'], registers })
    this.pullBytes = new Counter({ name: 'p2prc_image_pull_bytes_total', help: 'Bytes of image layers downloaded for guests, failed pulls included', registers })
    this.expired = new Counter({ name: 'p2prc_containers_expired_total', help: 'Guest containers ended at their time limit (or found past it when the host restarted)', registers })
    this.hostKills = new Counter({ name: 'p2prc_containers_killed_by_host_total', help: 'Guest containers killed by this host\'s operator', registers })
    // Both results from the start, so that a rate of failures is 0 rather than missing.
    for (const result of ['ok', 'failed']) this.pulls.inc({ result }, 0)
  }

  observe (event: ActivityEvent): void {
    switch (event.kind) {
      case 'run':
        this.admitted.inc()
        break
      case 'refused':
        this.refused.inc({ reason: event.rule })
        break
      case 'pull':
        this.pulls.inc({ result: event.ok ? 'ok' : 'failed' })
        this.pullBytes.inc(Math.max(0, event.bytes))
        break
      case 'end':
        if (EXPIRIES.has(event.endReason)) this.expired.inc()
        else if (event.endReason === 'killed by host operator') this.hostKills.inc()
        break
      // exec and copy sessions are the activity log's; no metric counts them.
      default:
        break
    }
  }
}
