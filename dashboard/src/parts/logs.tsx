import { useEffect, useRef, useState } from 'preact/hooks'
import { ndjson } from '../api.js'

interface Line { stream: 'stdout' | 'stderr', text: string }

/** Lines kept on the page; older ones scroll away. */
const MAX_LINES = 2000

/** A container's output, following it (`logs -f`) for as long as the pane is open. */
export function Logs ({ path }: { path: string }) {
  const [lines, setLines] = useState<Line[]>([])
  const [state, setState] = useState<string>('connecting…')
  const pre = useRef<HTMLPreElement>(null)
  useEffect(() => {
    const controller = new AbortController()
    setLines([])
    setState('following')
    void (async () => {
      try {
        for await (const entry of ndjson<Line & { error?: { message: string } }>('GET', `${path}/logs?follow=true&tail=500`, { signal: controller.signal })) {
          if (entry.error != null) throw new Error(entry.error.message)
          setLines(old => [...old, ...entry.text.split(/(?<=\n)/).map(text => ({ stream: entry.stream, text }))].slice(-MAX_LINES))
        }
        setState('ended')
      } catch (err) {
        if (!controller.signal.aborted) setState(`stopped: ${(err as Error).message}`)
      }
    })()
    return () => { controller.abort() }
  }, [path])
  useEffect(() => {
    const el = pre.current
    if (el != null) el.scrollTop = el.scrollHeight
  }, [lines])
  return (
    <section class="logs" aria-label="logs">
      <h3>Logs <span class="muted">{state}</span></h3>
      <pre ref={pre} tabIndex={0} aria-live="polite">{lines.map((l, i) => <span key={i} class={l.stream}>{l.text}</span>)}</pre>
    </section>
  )
}
