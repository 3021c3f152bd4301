import { useEffect, useState } from 'preact/hooks'
import { ndjson } from '../api.js'
import { bytes } from '../format.js'
import { Chart } from './chart.js'
import type { StatsView } from '../../../src/contract/containers.js'

/** Samples kept per chart: a few minutes at the engine's one a second. */
const WINDOW = 180

interface Series { times: number[], cpu: number[], memory: number[], limit: number }

/** Live CPU and memory of a running container, from its stats stream. */
export function Stats ({ path, onEnd }: { path: string, onEnd: () => void }) {
  const [series, setSeries] = useState<Series>({ times: [], cpu: [], memory: [], limit: 0 })
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    const controller = new AbortController()
    setSeries({ times: [], cpu: [], memory: [], limit: 0 })
    void (async () => {
      try {
        for await (const s of ndjson<StatsView & { error?: { message: string } }>('GET', `${path}/stats?stream=true`, { signal: controller.signal })) {
          if (s.error != null) throw new Error(s.error.message)
          setSeries(old => ({
            times: [...old.times, Date.parse(s.at) / 1000].slice(-WINDOW),
            cpu: [...old.cpu, s.cpuPercent].slice(-WINDOW),
            memory: [...old.memory, s.memoryBytes].slice(-WINDOW),
            limit: s.memoryLimitBytes
          }))
        }
        onEnd()
      } catch (err) {
        if (!controller.signal.aborted) setError((err as Error).message)
      }
    })()
    return () => { controller.abort() }
  }, [path])
  return (
    <div class="charts">
      {error != null && <p class="error" role="alert">{error}</p>}
      <Chart label="CPU" times={series.times} values={series.cpu} format={v => `${v.toFixed(0)}%`} floor={100} />
      <Chart label={`memory (limit ${bytes(series.limit)})`} times={series.times} values={series.memory} format={bytes} floor={series.limit / 4} />
    </div>
  )
}
