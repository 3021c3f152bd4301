import type { ArchiveRead, ContainerView, ExecSession, ExecSpec, LogChunk, LogsQuery, PathStat, StatsView } from '../contract/index.js'
import { execCommandFromSpec } from '../containers/exec-request.js'
import type { RunRequest } from '../containers/types.js'
import type { GuestAccess, GuestHost } from '../protocols/common/index.js'
import type { ContainerProtocols } from '../protocols/containers/index.js'
import type { ExecProtocol } from '../protocols/exec/index.js'
import type { FilesProtocol } from '../protocols/files/index.js'
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
  /** Removes one that has exited. */
  remove: (ref: string, options?: AbortOptions) => Promise<ContainerView>
  /** Starts one run with `hold`. */
  startHeld: (ref: string, options?: AbortOptions) => Promise<ContainerView>
  /** Runs a command in a running one; resolves once it runs. */
  exec: (ref: string, spec: ExecSpec, options?: AbortOptions) => Promise<ExecSession>
  /** What a path in one is. */
  stat: (ref: string, path: string, options?: AbortOptions) => Promise<PathStat>
  /** A path out of one, as a tar stream. */
  read: (ref: string, path: string, options?: AbortOptions) => Promise<ArchiveRead>
  /** Has the host download a URL to a file in one (a job's input from the web). */
  fetch: (ref: string, url: string, path: string, options?: AbortOptions) => Promise<void>
  /** A tar stream of `size` bytes into a directory of one. */
  write: (ref: string, directory: string, size: number, tar: AsyncIterable<Uint8Array>, options?: AbortOptions) => Promise<void>
}

/** This node's own containers, run on its own engine with itself as the owner. */
export function localContainers (self: string, guests: GuestHost, sessions: GuestAccess): ContainerService {
  return {
    peerId: self,
    run: async (request, options) => guests().run(self, request, options),
    list: async () => guests().list(self),
    stats: async (ref, options) => guests().stats(self, ref, options),
    statsStream: (ref, options) => guests().statsStream(self, ref, options),
    logs: (ref, query, options) => guests().logs(self, ref, query, options),
    kill: async (ref, options) => guests().kill(self, ref, options),
    remove: async (ref, options) => guests().remove(self, ref, options),
    startHeld: async (ref, options) => guests().startHeld(self, ref, options),
    exec: async (ref, spec, options) => sessions().exec(self, ref, execCommandFromSpec(spec), options),
    stat: async (ref, path, options) => sessions().stat(self, ref, path, options),
    read: async (ref, path, options) => sessions().read(self, ref, path, options),
    write: async (ref, directory, size, tar, options) => sessions().write(self, ref, directory, size, tar, options),
    fetch: async (ref, url, path, options) => { await sessions().fetchInto(self, ref, url, path, options) }
  }
}

export interface RemoteProtocols {
  run: Pick<RunProtocol, 'run'>
  containers: Pick<ContainerProtocols, 'list' | 'stats' | 'statsStream' | 'logs' | 'kill' | 'remove' | 'startHeld'>
  exec: Pick<ExecProtocol, 'exec'>
  files: Pick<FilesProtocol, 'stat' | 'read' | 'write' | 'fetch'>
}

/** My containers on a peer, over the run, container, exec and files protocols. */
export function remoteContainers (peerId: string, protocols: RemoteProtocols): ContainerService {
  const { run, containers, exec, files } = protocols
  return {
    peerId,
    run: async (request, options) => run.run(peerId, request, options),
    list: async options => containers.list(peerId, options),
    stats: async (ref, options) => containers.stats(peerId, ref, options),
    statsStream: (ref, options) => containers.statsStream(peerId, ref, options),
    logs: (ref, query, options) => containers.logs(peerId, ref, query, options),
    kill: async (ref, options) => containers.kill(peerId, ref, options),
    remove: async (ref, options) => containers.remove(peerId, ref, options),
    startHeld: async (ref, options) => containers.startHeld(peerId, ref, options),
    exec: async (ref, spec, options) => exec.exec(peerId, ref, spec, options),
    stat: async (ref, path, options) => files.stat(peerId, ref, path, options),
    read: async (ref, path, options) => files.read(peerId, ref, path, options),
    write: async (ref, directory, size, tar, options) => files.write(peerId, ref, directory, size, tar, options),
    fetch: async (ref, url, path, options) => files.fetch(peerId, ref, url, path, options)
  }
}
