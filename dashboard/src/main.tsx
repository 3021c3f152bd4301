import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, login, logout } from './api.js'
import { onLiveChange } from './events.js'
import { HostView } from './views/host.js'
import { JobsView } from './views/jobs.js'
import { NetworkView } from './views/network.js'
import { WorkView } from './views/work.js'
import type { NodeStatus } from '../../src/contract/node.js'
import './styles.css'

const VIEWS = [
  { path: 'network', title: 'Network' },
  { path: 'work', title: 'My work' },
  { path: 'jobs', title: 'Jobs' },
  { path: 'host', title: 'This host' }
] as const

/** The view and its argument from `#/view/arg...`. */
function route (): { view: string, rest: string[] } {
  const [view = 'network', ...rest] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent)
  return { view: VIEWS.some(v => v.path === view) ? view : 'network', rest }
}

function useRoute (): { view: string, rest: string[] } {
  const [current, setCurrent] = useState(route)
  useEffect(() => {
    const update = (): void => { setCurrent(route()) }
    addEventListener('hashchange', update)
    return () => { removeEventListener('hashchange', update) }
  }, [])
  return current
}

function LoggedOut ({ reason }: { reason?: string }) {
  return (
    <main class="login">
      <h1>p2prc</h1>
      {reason != null && <p class="error" role="alert">{reason}</p>}
      <p>Run <code>p2prc dashboard</code> on this node and open the URL it prints. Each URL logs in once.</p>
    </main>
  )
}

function Shell ({ node }: { node: NodeStatus }) {
  const { view, rest } = useRoute()
  const [live, setLive] = useState(true)
  useEffect(() => onLiveChange(setLive), [])
  useEffect(() => { document.title = `p2prc · ${node.name}` }, [node.name])
  return (
    <>
      <header class="top">
        <span class="brand" title={node.peerId}>p2prc · <strong>{node.name}</strong></span>
        <nav aria-label="views">
          {VIEWS.map(v => <a key={v.path} href={`#/${v.path}`} aria-current={view === v.path ? 'page' : undefined}>{v.title}</a>)}
        </nav>
        <span class={live ? 'live' : 'live off'} role="status">{live ? 'live' : 'reconnecting…'}</span>
        <button type="button" class="quiet" onClick={() => { void logout().then(() => location.reload()) }}>Log out</button>
      </header>
      <main id="view">
        {view === 'network' && <NetworkView selected={rest[0]} />}
        {view === 'work' && <WorkView node={node} selected={rest.length >= 2 ? { peerId: rest[0], containerId: rest[1] } : undefined} />}
        {view === 'jobs' && <JobsView selected={rest[0]} />}
        {view === 'host' && <HostView node={node} />}
      </main>
    </>
  )
}

function App () {
  const [state, setState] = useState<{ node?: NodeStatus, out?: boolean, reason?: string }>({})
  useEffect(() => {
    void (async () => {
      try {
        const result = await login()
        if (result !== 'in') {
          setState({ out: true, reason: typeof result === 'object' ? result.refused : undefined })
          return
        }
        setState({ node: await api<NodeStatus>('GET', '/v1/node') })
      } catch (err) {
        setState({ out: true, reason: (err as Error).message })
      }
    })()
  }, [])
  if (state.out === true) return <LoggedOut reason={state.reason} />
  if (state.node == null) return <p class="loading">Loading…</p>
  return <Shell node={state.node} />
}

render(<App />, document.getElementById('app') as HTMLElement)
