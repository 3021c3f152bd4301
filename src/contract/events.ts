import type { ContainerView } from './containers.js'
import type { PeerSummary } from './peers.js'
import type { JobView, TaskView } from './jobs.js'

/** What a node emits (library) and streams on `GET /v1/events` (as `event: NAME`, `data: { at, detail }`). */
export interface NodeEvents {
  'peer:connect': CustomEvent<string>
  'peer:disconnect': CustomEvent<string>
  /** A p2prc peer entered the peer table or sent a newer record. */
  'peer:update': CustomEvent<PeerSummary>
  /** A peer left the peer table (its record lapsed and it is not connected, or it was a fake): its ID. */
  'peer:remove': CustomEvent<string>
  /** One of my containers changed by this node's doing (run, kill, remove): what `ps` now shows of it. */
  'container:update': CustomEvent<ContainerView>
  /** What runs on this node for others changed (started, ended, removed): `GET /v1/host/containers` has it. */
  'guests:change': CustomEvent<null>
}

export type NodeEventName = keyof NodeEvents

/** What the jobs a node runs emit (library) and stream on `GET /v1/events` beside the node's. */
export interface JobEvents {
  /** A job's state or its task counts changed. */
  'job:update': CustomEvent<Omit<JobView, 'tasks'>>
  /** One task changed state (with the job's ID). */
  'task:update': CustomEvent<TaskView & { jobId: string }>
}

export type JobEventName = keyof JobEvents
