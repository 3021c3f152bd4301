import { useEffect, useMemo, useState } from 'preact/hooks'
import { api } from '../api.js'
import { debounced, useEvents } from '../events.js'
import { bytes, cpus, relative, shortId } from '../format.js'
import type { NodeStatus } from '../../../src/contract/node.js'
import type { PeerRecordView, PeerSummary } from '../../../src/contract/peers.js'

interface Filters { gpu: boolean, minCpus: string, minMemory: string, label: string }

function query (f: Filters): string {
  const params = new URLSearchParams()
  if (f.gpu) params.set('gpu', 'true')
  if (f.minCpus.trim() !== '') params.set('minCpus', f.minCpus.trim())
  if (f.minMemory.trim() !== '') params.set('minMemory', f.minMemory.trim())
  for (const label of f.label.split(',').map(l => l.trim()).filter(l => l !== '')) params.append('label', label)
  const text = params.toString()
  return text === '' ? '' : `?${text}`
}

function Free ({ peer }: { peer: Pick<PeerSummary, 'resources'> }) {
  const r = peer.resources
  if (r == null) return <td colSpan={3} class="muted">no record yet</td>
  if (!r.docker) return <td colSpan={3} class="muted">offers no compute</td>
  return (
    <>
      <td>{cpus(Math.max(0, r.offer.cpus - r.used.cpus))} / {cpus(r.offer.cpus)}</td>
      <td>{bytes(Math.max(0, r.offer.memoryBytes - r.used.memoryBytes))} / {bytes(r.offer.memoryBytes)}</td>
      <td>{r.gpus.length === 0 ? '-' : `${Math.max(0, r.offer.gpus - r.used.gpus)} / ${r.offer.gpus} (${[...new Set(r.gpus.map(g => g.vendor))].join(', ')})`}</td>
    </>
  )
}

function Record ({ peerId }: { peerId: string }) {
  const [record, setRecord] = useState<PeerRecordView | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    const controller = new AbortController()
    setRecord(null)
    setError(null)
    api<PeerRecordView>('GET', `/v1/peers/${encodeURIComponent(peerId)}/resources`, undefined, controller.signal).then(setRecord, err => { if (!controller.signal.aborted) setError(err.message) })
    return () => { controller.abort() }
  }, [peerId])
  return (
    <section class="panel" aria-label="peer record">
      <h2>{record?.name ?? shortId(peerId)} <a class="quiet" href="#/network">close</a></h2>
      {error != null && <p class="error" role="alert">{error}</p>}
      {record == null && error == null && <p class="muted">Asking the peer…</p>}
      {record != null && (
        <>
          <dl class="facts">
            <dt>peer ID</dt><dd><code>{record.peerId}</code></dd>
            <dt>CPU</dt><dd>{record.resources.cpu.model}, {record.resources.cpu.cores} cores / {record.resources.cpu.threads} threads, {record.resources.cpu.loadPercent.toFixed(0)}% load</dd>
            <dt>memory</dt><dd>{bytes(record.resources.memory.freeBytes)} free of {bytes(record.resources.memory.totalBytes)}</dd>
            <dt>disk</dt><dd>{bytes(record.resources.disk.freeBytes)} free of {bytes(record.resources.disk.totalBytes)}</dd>
            <dt>GPUs</dt><dd>{record.resources.gpus.length === 0 ? 'none' : record.resources.gpus.map(g => `${g.vendor} ${g.model}`).join(', ')}</dd>
            <dt>Docker</dt><dd>{record.resources.docker ? `${record.resources.dockerVersion ?? 'yes'}, guests under ${record.resources.guestRuntime ?? '-'}` : 'no'}</dd>
            <dt>record</dt><dd>seq {record.seq}, issued {relative(record.issuedAt)}, valid until {relative(record.expiresAt)}</dd>
          </dl>
          <details><summary>the signed record as JSON</summary><pre>{JSON.stringify(record, null, 2)}</pre></details>
        </>
      )}
    </section>
  )
}

/** Every peer this node knows, live from its adverts, with the filters `p2prc peers` has. */
export function NetworkView ({ selected }: { selected?: string }) {
  const [filters, setFilters] = useState<Filters>({ gpu: false, minCpus: '', minMemory: '', label: '' })
  const [peers, setPeers] = useState<PeerSummary[] | null>(null)
  const [self, setSelf] = useState<NodeStatus | null>(null)
  const readSelf = (): void => { api<NodeStatus>('GET', '/v1/node').then(setSelf, () => {}) }
  const loadSelf = useMemo(() => debounced(readSelf, 300), [])
  useEffect(readSelf, [])
  useEvents(['guests:change'], loadSelf)
  const [error, setError] = useState<string | null>(null)
  const load = useMemo(() => {
    let controller: AbortController | undefined
    return (f: Filters): void => {
      controller?.abort()
      controller = new AbortController()
      const signal = controller.signal
      api<PeerSummary[]>('GET', `/v1/peers${query(f)}`, undefined, signal).then(list => { setPeers(list); setError(null) }, err => { if (!signal.aborted) setError(err.message) })
    }
  }, [])
  useEffect(() => { load(filters) }, [filters])
  const reload = useMemo(() => debounced(() => { load(filters) }, 300), [filters])
  useEvents(['peer:update', 'peer:connect', 'peer:disconnect'], reload)

  const filtered = filters.gpu || filters.minCpus !== '' || filters.minMemory !== '' || filters.label !== ''
  const set = (key: keyof Filters) => (event: Event) => {
    const input = event.currentTarget as HTMLInputElement
    setFilters({ ...filters, [key]: input.type === 'checkbox' ? input.checked : input.value })
  }
  return (
    <div class="split">
      <section aria-labelledby="network-title">
        <h1 id="network-title">Network <span class="count">{peers != null ? peers.length + 1 : ''}</span></h1>
        <form class="filters" onSubmit={e => { e.preventDefault() }}>
          <label><input type="checkbox" checked={filters.gpu} onChange={set('gpu')} /> free GPU</label>
          <label>min CPUs <input inputMode="decimal" size={4} value={filters.minCpus} onChange={set('minCpus')} /></label>
          <label>min memory <input size={6} placeholder="4g" value={filters.minMemory} onChange={set('minMemory')} /></label>
          <label>labels <input size={14} placeholder="zone=eu,gpu=a100" value={filters.label} onChange={set('label')} /></label>
        </form>
        {error != null && <p class="error" role="alert">{error}</p>}
        <div class="scroll">
          <table class="peers">
            <thead><tr><th>name</th><th>labels</th><th>CPUs free</th><th>memory free</th><th>GPUs free</th><th>Docker</th><th>latency</th><th>link</th><th>last seen</th></tr></thead>
            <tbody>
              {self != null && !filtered && (
                <tr class={selected === self.peerId ? 'selected' : 'self'}>
                  <td><a href={`#/network/${encodeURIComponent(self.peerId)}`} title={self.peerId}>{self.name}</a><span class="tag">this node</span></td>
                  <td>{Object.entries(self.labels).map(([k, v]) => <span key={k} class="tag">{k}={v}</span>)}</td>
                  <Free peer={self} />
                  <td>{self.resources.docker ? (self.resources.guestRuntime ?? 'yes') : 'no'}</td>
                  <td>-</td>
                  <td>-</td>
                  <td>now</td>
                </tr>
              )}
              {peers?.map(peer => (
                <tr key={peer.peerId} class={selected === peer.peerId ? 'selected' : undefined}>
                  <td><a href={`#/network/${encodeURIComponent(peer.peerId)}`} title={peer.peerId}>{peer.name ?? shortId(peer.peerId)}</a>{!peer.verified && <span class="tag warn" title="known only from others' relays">unverified</span>}</td>
                  <td>{Object.entries(peer.labels).map(([k, v]) => <span key={k} class="tag">{k}={v}</span>)}</td>
                  <Free peer={peer} />
                  <td>{peer.resources == null ? '-' : peer.resources.docker ? (peer.resources.guestRuntime ?? 'yes') : 'no'}</td>
                  <td>{peer.latencyMs != null ? `${peer.latencyMs} ms` : '-'}</td>
                  <td>{peer.connection ?? 'not connected'}</td>
                  <td>{relative(peer.lastSeen)}</td>
                </tr>
              ))}
              {peers?.length === 0 && <tr><td colSpan={9} class="muted">No {filtered ? 'peer matches these filters' : 'other peer known yet'}.</td></tr>}
            </tbody>
          </table>
        </div>
      </section>
      {selected != null && <Record peerId={selected} />}
    </div>
  )
}
