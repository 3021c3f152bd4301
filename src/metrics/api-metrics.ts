import { Counter, Histogram } from 'prom-client'
import { API_LATENCY_BUCKETS, UNMATCHED_ROUTE } from './constants.js'
import type { Registry } from 'prom-client'

/** Control API requests and their latency, by route pattern (never the raw URL, which is unbounded). */
export class ApiMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status_class'>
  private readonly latency: Histogram<'method' | 'route'>

  constructor (registry: Registry) {
    const registers = [registry]
    this.requests = new Counter({
      name: 'p2prc_api_requests_total',
      help: 'Control API requests answered, by method, route pattern (route="unmatched" for no route) and status class (2xx, 4xx, ...)',
      labelNames: ['method', 'route', 'status_class'],
      registers
    })
    this.latency = new Histogram({
      name: 'p2prc_api_request_duration_seconds',
      help: 'Time to answer control API requests, by method and route pattern (streams count until they end)',
      labelNames: ['method', 'route'],
      buckets: API_LATENCY_BUCKETS,
      registers
    })
  }

  /** `route`: the pattern the request matched (`/v1/containers/:peer`), undefined for none. */
  observe (method: string, route: string | undefined, status: number, seconds: number): void {
    const labels = { method, route: route ?? UNMATCHED_ROUTE }
    this.requests.inc({ ...labels, status_class: `${Math.floor(status / 100)}xx` })
    this.latency.observe(labels, seconds)
  }
}
