import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, ndjson } from '../api.js'
import { debounced, useEvents } from '../events.js'
import { bytes, cpus, relative, shortId } from '../format.js'
import type { ContainerView, StatsView } from '../../../src/contract/containers.js'
import type { NodeStatus } from '../../../src/contract/node.js'
import type { PeerSummary } from '../../../src/contract/peers.js'
import type { UsageReport } from '../../../src/contract/usage.js'

function Meter ({ label, used, offered, format }: { label: string, used: number, offered: number, format: (n: number) => string }) {
  return (
    <div class="meter">
      <span>{label}</span>
      <meter min={0} max={Math.max(offered, 1e-9)} value={used} aria-label={`${label} in use`} />
      <span>{format(used)} of {format(offered)}</span>
    </div>
  )
}

/** Guests whose use is followed live; past this many, the rest show their limits only. */
const MAX_FOLLOWED = 16

/** What a running guest uses now, from its stats stream while the row is shown. */
function Usage ({ id }: { id: string }) {
  const [sample, setSample] = useState<StatsView | null>(null)
  useEffect(() => {
    const controller = new AbortController()
    void (async () => {
      for await (const s of ndjson<StatsView & { error?: unknown }>('GET', `/v1/host/containers/${encodeURIComponent(id)}/stats?stream=true`, { signal: controller.signal })) {
        if (s.error == null) setSample(s)
      }
    })().catch(() => {})
    return () => { controller.abort() }
  }, [id])
  return <>{sample == null ? '…' : `${sample.cpuPercent.toFixed(0)}% CPU, ${bytes(sample.memoryBytes)}`}</>
}

/** The operator's view: what this node runs for others, who asked for it, and a kill for each. */
export function HostView ({ node: initial }: { node: NodeStatus }) {
  const [guests, setGuests] = useState<ContainerView[] | null>(null)
  const [node, setNode] = useState(initial)
  const [names, setNames] = useState<Map<string, string>>(new Map())
  const [error, setError] = useState<string | null>(null)
  const [killing, setKilling] = useState<string | null>(null)
  const [usage, setUsage] = useState<UsageReport | null>(null)
  const load = useMemo(() => () => {
    api<UsageReport>('GET', '/v1/host/usage?since=1d').then(setUsage, () => {})
    // A node without an engine runs nothing for others: there is no list to ask for.
    if (initial.docker.available) api<ContainerView[]>('GET', '/v1/host/containers').then(list => { setGuests(list); setError(null) }, err => { setError(err.message) })
    api<NodeStatus>('GET', '/v1/node').then(setNode, () => {})
    api<PeerSummary[]>('GET', '/v1/peers').then(peers => { setNames(new Map(peers.filter(p => p.name != null).map(p => [p.peerId, p.name as string]))) }, () => {})
  }, [])
  useEffect(load, [])
  useEvents(['guests:change'], useMemo(() => debounced(load, 200), []))
  const kill = async (c: ContainerView): Promise<void> => {
    if (!confirm(`Kill ${c.name}, run for ${names.get(c.owner) ?? c.owner}?`)) return
    setKilling(c.containerId)
    try {
      await api('DELETE', `/v1/host/containers/${encodeURIComponent(c.containerId)}`)
      load()
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setKilling(null)
    }
  }
  const { offer, used } = node.resources
  return (
    <section aria-labelledby="host-title">
      <h1 id="host-title">This host <span class="count">{guests?.length ?? ''}</span></h1>
      {!node.docker.available && <p class="warn">This node takes no guests: {node.docker.reason ?? 'no Docker engine'}.</p>}
      <div class="meters panel" aria-label="offer and use">
        <Meter label="CPUs" used={used.cpus} offered={offer.cpus} format={cpus} />
        <Meter label="memory" used={used.memoryBytes} offered={offer.memoryBytes} format={bytes} />
        <Meter label="GPUs" used={used.gpus} offered={offer.gpus} format={String} />
        <Meter label="containers" used={used.containers} offered={Math.max(used.containers, node.resources.offer.containers)} format={String} />
      </div>
      {error != null && <p class="error" role="alert">{error}</p>}
      <div class="scroll">
        <table class="guests">
          <thead><tr><th>name</th><th>owner</th><th>image</th><th>state</th><th>limits</th><th>using</th><th>created</th><th>expires</th><th /></tr></thead>
          <tbody>
            {guests?.map((c, i) => (
              <tr key={c.containerId} data-container={c.containerId}>
                <td>{c.name}</td>
                <td title={c.owner}>{names.get(c.owner) ?? ''} <code>{shortId(c.owner)}</code></td>
                <td>{c.image}</td>
                <td class={`state ${c.state}`}>{c.state}{c.endReason != null ? ` (${c.endReason})` : ''}</td>
                <td>{cpus(c.limits.cpus)} CPUs, {bytes(c.limits.memoryBytes)}{c.limits.gpus > 0 ? `, ${c.limits.gpus} GPUs` : ''}</td>
                <td>{c.state === 'running' && i < MAX_FOLLOWED ? <Usage id={c.containerId} /> : '-'}</td>
                <td>{relative(c.createdAt)}</td>
                <td>{c.endReason == null ? relative(c.expiresAt) : '-'}</td>
                <td>{c.endReason == null && <button type="button" class="danger" disabled={killing === c.containerId} onClick={() => { void kill(c) }} aria-label={`kill ${c.name}`}>Kill</button>}</td>
              </tr>
            ))}
            {guests?.length === 0 && <tr><td colSpan={9} class="muted">No guest containers run here.</td></tr>}
          </tbody>
        </table>
      </div>
      <h2 id="usage-title">Use by owner, last 24 hours</h2>
      <div class="scroll">
        <table class="usage" aria-labelledby="usage-title">
          <thead><tr><th>owner</th><th>containers</th><th>CPU</th><th>memory</th><th>GPU</th><th>network in / out</th></tr></thead>
          <tbody>
            {usage?.peers.map(u => (
              <tr key={u.peerId} data-owner={u.peerId}>
                <td title={u.peerId}>{names.get(u.peerId) ?? ''} <code>{shortId(u.peerId)}</code></td>
                <td>{u.containers}</td>
                <td>{seconds(u.cpuSeconds)}</td>
                <td>{u.memoryGiBSeconds.toFixed(2)} GiB-s</td>
                <td>{seconds(u.gpuSeconds)}</td>
                <td>{bytes(u.networkRxBytes)} / {bytes(u.networkTxBytes)}</td>
              </tr>
            ))}
            {usage?.peers.length === 0 && <tr><td colSpan={6} class="muted">No guest has used anything here in the last 24 hours.</td></tr>}
          </tbody>
        </table>
      </div>
    </section>
  )
}

/** CPU or GPU time: seconds, or hours past one. */
function seconds (n: number): string {
  return n >= 3600 ? `${(n / 3600).toFixed(2)} h` : `${n.toFixed(1)} s`
}
