import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { useEffect, useRef } from 'preact/hooks'

export interface ChartProps {
  label: string
  /** Unix seconds and values, oldest first. */
  times: number[]
  values: number[]
  format: (value: number) => string
  /** The y axis goes at least this high (e.g. 100 for one CPU). */
  floor?: number
}

/** A small live line chart (uPlot: canvas, ~20 KB). It redraws in place as samples arrive. */
export function Chart ({ label, times, values, format, floor = 0 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  useEffect(() => {
    if (box.current == null) return
    const width = Math.max(240, box.current.clientWidth)
    plot.current = new uPlot({
      width,
      height: 140,
      legend: { show: false },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(floor, max * 1.1)] } },
      axes: [
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' } },
        { stroke: 'currentColor', grid: { stroke: 'rgba(128,128,128,0.2)' }, values: (_u, ticks) => ticks.map(format), size: 70 }
      ],
      series: [{}, { label, stroke: '#2f80ed', fill: 'rgba(47,128,237,0.15)', width: 2 }]
    }, [times, values], box.current)
    const resize = new ResizeObserver(() => {
      if (box.current != null) plot.current?.setSize({ width: Math.max(240, box.current.clientWidth), height: 140 })
    })
    resize.observe(box.current)
    return () => {
      resize.disconnect()
      plot.current?.destroy()
      plot.current = null
    }
  }, [])
  useEffect(() => { plot.current?.setData([times, values]) }, [times, values])
  const last = values.at(-1)
  return (
    <figure class="chart" data-samples={values.length}>
      <figcaption>{label} <strong>{last != null ? format(last) : '-'}</strong></figcaption>
      <div ref={box} role="img" aria-label={`${label} over time`} />
    </figure>
  )
}
