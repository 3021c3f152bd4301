import { useEffect, useMemo, useState } from 'preact/hooks'
import { api } from '../api.js'
import { debounced, useEvents } from '../events.js'
import { relative, shortId } from '../format.js'
import type { JobView } from '../../../src/contract/jobs.js'

const FINISHED = new Set(['done', 'failed', 'cancelled'])

function Counts ({ job }: { job: JobView }) {
  return <span class="counts">{Object.entries(job.counts).filter(([, n]) => n > 0).map(([state, n]) => <span key={state} class={`tag ${state}`}>{n} {state}</span>)}</span>
}

function JobDetail ({ job, onChange }: { job: JobView, onChange: () => void }) {
  const [error, setError] = useState<string | null>(null)
  const cancel = (): void => { api('POST', `/v1/jobs/${encodeURIComponent(job.jobId)}/cancel`).then(onChange, err => { setError(err.message) }) }
  return (
    <section class="panel" aria-label="job">
      <h2>{job.name} <span class={`state ${job.state}`}>{job.state}</span> <a class="quiet" href="#/jobs">close</a></h2>
      <p class="muted"><code>{job.jobId}</code> · {job.image} · created {relative(job.createdAt)}</p>
      {!FINISHED.has(job.state) && <button type="button" class="danger" onClick={cancel}>Cancel the job</button>}
      {error != null && <p class="error" role="alert">{error}</p>}
      <div class="scroll">
        <table>
          <thead><tr><th>task</th><th>peer</th><th>state</th><th>exit</th><th>attempts</th><th>reason</th></tr></thead>
          <tbody>
            {job.tasks.map(t => (
              <tr key={t.index}>
                <td>{t.index}</td>
                <td title={t.peerId ?? ''}>{t.peerId != null ? shortId(t.peerId) : '-'}</td>
                <td class={`state ${t.state}`}>{t.state}</td>
                <td>{t.exitCode ?? ''}</td>
                <td>{t.attempts}</td>
                <td>{t.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  )
}

/** The jobs this node drives, live from their events (`p2prc job run` starts them). */
export function JobsView ({ selected }: { selected?: string }) {
  const [jobs, setJobs] = useState<JobView[] | null>(null)
  const [detail, setDetail] = useState<JobView | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = useMemo(() => () => {
    api<JobView[]>('GET', '/v1/jobs').then(list => { setJobs(list); setError(null) }, err => { setError(err.message) })
    if (selected != null) api<JobView>('GET', `/v1/jobs/${encodeURIComponent(selected)}`).then(setDetail, err => { setError(err.message) })
  }, [selected])
  useEffect(() => {
    setDetail(null)
    load()
  }, [selected])
  const soon = useMemo(() => debounced(load, 300), [load])
  useEvents(['job:update', 'task:update'], soon)
  return (
    <div class="split">
      <section aria-labelledby="jobs-title">
        <h1 id="jobs-title">Jobs <span class="count">{jobs?.length ?? ''}</span></h1>
        {error != null && <p class="error" role="alert">{error}</p>}
        <div class="scroll">
          <table>
            <thead><tr><th>name</th><th>state</th><th>tasks</th><th>image</th><th>created</th></tr></thead>
            <tbody>
              {jobs?.map(j => (
                <tr key={j.jobId} class={selected === j.jobId ? 'selected' : undefined}>
                  <td><a href={`#/jobs/${encodeURIComponent(j.jobId)}`}>{j.name}</a></td>
                  <td class={`state ${j.state}`}>{j.state}</td>
                  <td><Counts job={j} /></td>
                  <td>{j.image}</td>
                  <td>{relative(j.createdAt)}</td>
                </tr>
              ))}
              {jobs?.length === 0 && <tr><td colSpan={5} class="muted">No jobs: <code>p2prc job run FILE</code> starts one.</td></tr>}
            </tbody>
          </table>
        </div>
      </section>
      {detail != null && <JobDetail job={detail} onChange={load} />}
    </div>
  )
}
