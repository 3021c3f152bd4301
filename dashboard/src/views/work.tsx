import { useEffect, useMemo, useState } from 'preact/hooks'
import { api, ndjson } from '../api.js'
import { debounced, useEvents } from '../events.js'
import { bytes, cpus, relative, shortId, splitCommand } from '../format.js'
import { CommandPane } from '../parts/command-pane.js'
import { Logs } from '../parts/logs.js'
import { Stats } from '../parts/stats.js'
import type { ContainerList, ContainerView, PullProgressEvent, RunSpec } from '../../../src/contract/containers.js'
import type { NodeStatus } from '../../../src/contract/node.js'
import type { PeerSummary } from '../../../src/contract/peers.js'

const containerPath = (c: { peerId: string, containerId: string }): string => `/v1/peers/${encodeURIComponent(c.peerId)}/containers/${encodeURIComponent(c.containerId)}`

function useMyContainers (): { list: ContainerView[] | null, unreachable: string[], error: string | null, reload: () => void } {
  const [state, setState] = useState<{ list: ContainerView[] | null, unreachable: string[], error: string | null }>({ list: null, unreachable: [], error: null })
  const reload = useMemo(() => {
    let controller: AbortController | undefined
    return () => {
      controller?.abort()
      controller = new AbortController()
      const signal = controller.signal
      api<ContainerView[] | ContainerList>('GET', '/v1/containers', undefined, signal).then(answer => {
        const list = Array.isArray(answer) ? answer : answer.containers
        setState({ list, unreachable: Array.isArray(answer) ? [] : answer.unreachable, error: null })
      }, err => { if (!signal.aborted) setState(s => ({ ...s, error: err.message })) })
    }
  }, [])
  useEffect(reload, [])
  // What a host's advert changes with (a container started or ended there) and what this node did.
  const soon = useMemo(() => debounced(reload, 400), [])
  useEvents(['container:update', 'task:update'], soon)
  useEvents(['peer:update'], (peer: PeerSummary) => {
    if (state.list?.some(c => c.peerId === peer.peerId) === true) soon()
  })
  return { ...state, reload }
}

interface Pull { layers: Map<string, PullProgressEvent>, status: string }

function RunForm ({ node, onStarted }: { node: NodeStatus, onStarted: (c: ContainerView) => void }) {
  const [peers, setPeers] = useState<PeerSummary[]>([])
  const [busy, setBusy] = useState(false)
  const [pull, setPull] = useState<Pull | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => { api<PeerSummary[]>('GET', '/v1/peers').then(setPeers, () => {}) }, [])
  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    const form = new FormData(event.currentTarget as HTMLFormElement)
    const text = (name: string): string => String(form.get(name) ?? '').trim()
    const spec: RunSpec = { image: text('image') }
    if (text('cmd') !== '') spec.cmd = splitCommand(text('cmd'))
    if (text('cpus') !== '') spec.cpus = Number(text('cpus'))
    if (text('memory') !== '') spec.memory = text('memory')
    if (text('ttl') !== '') spec.ttl = text('ttl')
    if (text('name') !== '') spec.name = text('name')
    setBusy(true)
    setError(null)
    setPull(null)
    try {
      const layers = new Map<string, PullProgressEvent>()
      for await (const line of ndjson<{ progress?: PullProgressEvent, container?: ContainerView, error?: { message: string } }>('POST', `/v1/peers/${encodeURIComponent(text('peer'))}/containers`, { body: spec })) {
        if (line.error != null) throw new Error(line.error.message)
        if (line.progress != null) {
          if (line.progress.layer != null) layers.set(line.progress.layer, line.progress)
          setPull({ layers: new Map(layers), status: line.progress.status })
        }
        if (line.container != null) onStarted(line.container)
      }
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const pulled = pull == null ? null : [...pull.layers.values()].reduce((sum, l) => ({ current: sum.current + (l.currentBytes ?? 0), total: sum.total + (l.totalBytes ?? 0) }), { current: 0, total: 0 })
  return (
    <form class="run panel" onSubmit={e => { void submit(e) }} aria-label="run a container">
      <h2>Run a container</h2>
      <label>image <input name="image" required placeholder="busybox:latest" autoComplete="off" /></label>
      <label>command <input name="cmd" placeholder={'sh -c "echo hi; sleep 60"'} autoComplete="off" /></label>
      <div class="row">
        <label>CPUs <input name="cpus" inputMode="decimal" size={4} placeholder="1" /></label>
        <label>memory <input name="memory" size={6} placeholder="512m" /></label>
        <label>time limit <input name="ttl" size={6} placeholder="30m" /></label>
      </div>
      <div class="row">
        <label>peer <select name="peer">
          <option value="auto">auto (the best that fits)</option>
          {node.resources.docker && <option value={node.peerId}>this node ({node.name})</option>}
          {peers.filter(p => p.resources?.docker === true && p.peerId !== node.peerId).map(p => <option key={p.peerId} value={p.peerId}>{p.name ?? shortId(p.peerId)}</option>)}
        </select></label>
        <label>name <input name="name" size={10} placeholder="optional" /></label>
      </div>
      <button type="submit" disabled={busy}>{busy ? 'Starting…' : 'Run'}</button>
      {pull != null && busy && <p class="muted" role="status">pulling: {pull.status}{pulled != null && pulled.total > 0 ? ` (${bytes(pulled.current)} of ${bytes(pulled.total)})` : ''}</p>}
      {error != null && <p class="error" role="alert">{error}</p>}
    </form>
  )
}

function Detail ({ container, onChange }: { container: ContainerView, onChange: () => void }) {
  const path = containerPath(container)
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const act = async (what: () => Promise<unknown>): Promise<void> => {
    setBusy(true)
    setError(null)
    try {
      await what()
      onChange()
    } catch (err) {
      setError((err as Error).message)
    } finally {
      setBusy(false)
    }
  }
  const running = container.state === 'running'
  return (
    <section class="panel detail" aria-label="container">
      <h2>{container.name} <a class="quiet" href="#/work">close</a></h2>
      <dl class="facts">
        <dt>state</dt><dd class={`state ${container.state}`}>{container.state}{container.endReason != null ? ` (${container.endReason}${container.exitCode != null ? `, exit ${container.exitCode}` : ''})` : ''}</dd>
        <dt>image</dt><dd>{container.image}</dd>
        <dt>limits</dt><dd>{cpus(container.limits.cpus)} CPUs, {bytes(container.limits.memoryBytes)}{container.limits.gpus > 0 ? `, ${container.limits.gpus} GPUs` : ''}</dd>
        <dt>expires</dt><dd>{relative(container.expiresAt)}</dd>
        <dt>ports</dt><dd>{container.ports.length === 0 ? '-' : container.ports.map(p => `${p.containerPort} (p2prc forward)`).join(', ')}</dd>
      </dl>
      <div class="actions">
        {running && <button type="button" class="danger" disabled={busy} onClick={() => { void act(async () => api('DELETE', path)) }}>Kill</button>}
        {!running && <button type="button" disabled={busy} onClick={() => { void act(async () => api('POST', `${path}/remove`)) }}>Remove</button>}
      </div>
      {error != null && <p class="error" role="alert">{error}</p>}
      {running && <Stats path={path} onEnd={onChange} />}
      <Logs path={path} />
      {running && <CommandPane path={path} />}
    </section>
  )
}

/** My containers on every peer, a run form, and one container's charts, logs and shell. */
export function WorkView ({ node, selected }: { node: NodeStatus, selected?: { peerId: string, containerId: string } }) {
  const { list, unreachable, error, reload } = useMyContainers()
  const [names, setNames] = useState<Map<string, string>>(new Map())
  useEffect(() => { api<PeerSummary[]>('GET', '/v1/peers').then(peers => { setNames(new Map(peers.flatMap(p => p.name != null ? [[p.peerId, p.name]] : []))) }, () => {}) }, [list?.length])
  const chosen = selected == null ? undefined : list?.find(c => c.peerId === selected.peerId && c.containerId === selected.containerId)
  const started = (c: ContainerView): void => {
    reload()
    location.hash = `#/work/${encodeURIComponent(c.peerId)}/${encodeURIComponent(c.containerId)}`
  }
  return (
    <div class="split">
      <section aria-labelledby="work-title">
        <h1 id="work-title">My containers <span class="count">{list?.length ?? ''}</span></h1>
        {unreachable.length > 0 && <p class="warn" role="status">No answer from {unreachable.map(shortId).join(', ')}: their containers are not listed.</p>}
        {error != null && <p class="error" role="alert">{error}</p>}
        <div class="scroll">
          <table class="containers">
            <thead><tr><th>name</th><th>peer</th><th>image</th><th>state</th><th>exit</th><th>created</th><th>expires</th></tr></thead>
            <tbody>
              {list?.map(c => (
                <tr key={`${c.peerId}/${c.containerId}`} class={chosen === c ? 'selected' : undefined} data-container={c.containerId}>
                  <td><a href={`#/work/${encodeURIComponent(c.peerId)}/${encodeURIComponent(c.containerId)}`}>{c.name}</a></td>
                  <td title={c.peerId}>{c.peerId === node.peerId ? 'this node' : names.get(c.peerId) ?? shortId(c.peerId)}</td>
                  <td>{c.image}</td>
                  <td class={`state ${c.state}`}>{c.state}</td>
                  <td>{c.exitCode ?? ''}{c.endReason != null && c.endReason !== 'exited' ? ` ${c.endReason}` : ''}</td>
                  <td>{relative(c.createdAt)}</td>
                  <td>{c.endReason == null ? relative(c.expiresAt) : '-'}</td>
                </tr>
              ))}
              {list?.length === 0 && <tr><td colSpan={7} class="muted">Nothing runs for you yet: start something with the form.</td></tr>}
            </tbody>
          </table>
        </div>
        <RunForm node={node} onStarted={started} />
      </section>
      {chosen != null && <Detail key={`${chosen.peerId}/${chosen.containerId}`} container={chosen} onChange={reload} />}
      {selected != null && chosen == null && list != null && <section class="panel"><p class="muted">That container is no longer listed. <a href="#/work">Back</a></p></section>}
    </div>
  )
}
