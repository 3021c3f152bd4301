import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * Gauges of prom-client's defaults that end in `_total`, which Prometheus keeps for counters
 * (`promtool check metrics` fails on them). Each is the sum of a gauge that stays:
 * `sum(nodejs_active_handles)` and so on.
 */
const MISNAMED_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

/**
 * A node's registry (its own, not prom-client's global one, so several nodes fit in one process)
 * with Node's default metrics under their usual names (`process_*`, `nodejs_*`), which the
 * common Node.js dashboards expect. They are registered here only: libp2p's metrics are told
 * not to register them again (src/host/create-host.ts).
 */
export function createMetricsRegistry (): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 })
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name)
  return registry
}
