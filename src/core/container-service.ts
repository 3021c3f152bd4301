import type { ContainerView, LogChunk, LogsQuery, StatsView } from '../contract/index.js'
import type { RunRequest } from '../containers/types.js'
import type { GuestHost } from '../protocols/common/index.js'
import type { ContainerProtocols } from '../protocols/containers/index.js'
import type { RunOptions, RunProtocol } from '../protocols/run/index.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * My containers on one peer, this node included: the one interface the node dispatches to, so
 * "here or on a peer" is decided once. Containers are named by ID, unique ID prefix or name.
 */
export interface ContainerService {
  /** The peer they run on. */
  readonly peerId: string
  run: (request: RunRequest, options?: RunOptions) => Promise<ContainerView>
  list: (options?: AbortOptions) => Promise<ContainerView[]>
  stats: (ref: string, options?: AbortOptions) => Promise<StatsView>
  /** A sample a second until the container stops or the caller aborts. */
  statsStream: (ref: string, options?: AbortOptions) => AsyncGenerator<StatsView>
  logs: (ref: string, query: LogsQuery, options?: AbortOptions) => AsyncGenerator<LogChunk>
  kill: (ref: string, options?: AbortOptions) => Promise<ContainerView>
}

/** This node's own containers, run on its own engine with itself as the owner. */
export function localContainers (self: string, guests: GuestHost): ContainerService {
  return {
    peerId: self,
    run: async (request, options) => guests().run(self, request, options),
    list: async () => guests().list(self),
    stats: async (ref, options) => guests().stats(self, ref, options),
    statsStream: (ref, options) => guests().statsStream(self, ref, options),
    logs: (ref, query, options) => guests().logs(self, ref, query, options),
    kill: async (ref, options) => guests().kill(self, ref, options)
  }
}

export interface RemoteProtocols {
  run: Pick<RunProtocol, 'run'>
  containers: Pick<ContainerProtocols, 'list' | 'stats' | 'statsStream' | 'logs' | 'kill'>
}

/** My containers on a peer, over the run and container protocols. */
export function remoteContainers (peerId: string, protocols: RemoteProtocols): ContainerService {
  const { run, containers } = protocols
  return {
    peerId,
    run: async (request, options) => run.run(peerId, request, options),
    list: async options => containers.list(peerId, options),
    stats: async (ref, options) => containers.stats(peerId, ref, options),
    statsStream: (ref, options) => containers.statsStream(peerId, ref, options),
    logs: (ref, query, options) => containers.logs(peerId, ref, query, options),
    kill: async (ref, options) => containers.kill(peerId, ref, options)
  }
}
