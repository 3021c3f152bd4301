// One EventSource for the whole page (`GET /v1/events`), shared by every view that wants to know.
import { useEffect, useRef } from 'preact/hooks'

type Listener = (detail: any) => void

const listeners = new Map<string, Set<Listener>>()
let source: EventSource | null = null
const status = new Set<(live: boolean) => void>()

function ensure (name: string): void {
  if (source == null) {
    source = new EventSource('/v1/events')
    source.onopen = () => { for (const s of status) s(true) }
    source.onerror = () => { for (const s of status) s(false) }
  }
  if (!listeners.has(name)) {
    listeners.set(name, new Set())
    source.addEventListener(name, event => {
      const { detail } = JSON.parse((event as MessageEvent<string>).data) as { detail: unknown }
      for (const listener of listeners.get(name) ?? []) listener(detail)
    })
  }
}

/** Calls `handler` with each event's detail while the component is mounted. */
export function useEvents (names: string[], handler: Listener): void {
  const latest = useRef(handler)
  latest.current = handler
  useEffect(() => {
    const listener: Listener = detail => { latest.current(detail) }
    for (const name of names) {
      ensure(name)
      listeners.get(name)?.add(listener)
    }
    return () => { for (const name of names) listeners.get(name)?.delete(listener) }
  }, [names.join(',')])
}

/** Whether the event stream is connected (the header shows it). */
export function onLiveChange (fn: (live: boolean) => void): () => void {
  status.add(fn)
  return () => status.delete(fn)
}

/** Calls `fn` at most once per `ms` however many events ask for it: a burst of adverts is one re-read. */
export function debounced (fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  return () => {
    clearTimeout(timer)
    timer = setTimeout(fn, ms)
  }
}
