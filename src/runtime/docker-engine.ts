import Docker from 'dockerode'
import { withTimeout } from '../signals.js'

/** A local engine answers in milliseconds; one that takes longer than this has not answered (this time). */
const ENGINE_PROBE_TIMEOUT = 10_000

export interface EngineInfo {
  available: boolean
  version: string | null
  /** GPU-capable runtimes the engine knows, e.g. 'nvidia'. */
  gpuRuntimes: string[]
  /** Every OCI runtime the engine knows, e.g. ['runc', 'runsc']. */
  runtimes: string[]
  /** Why the engine is unavailable, for the operator. */
  reason: string | null
  /** Unavailable for sure: its socket is missing or refuses us (not just slow to answer). */
  gone: boolean
}

export const NO_ENGINE = (reason: string, gone = true): EngineInfo => ({ available: false, version: null, gpuRuntimes: [], runtimes: [], reason, gone })

/** The engine client, named here so that modules outside runtime/ never import dockerode. */
export type DockerClient = Docker

/** Builds a dockerode client from a Docker URL (unix:///path, tcp://host:port, http(s)://). */
export function dockerClient (url: string): Docker {
  const parsed = new URL(url)
  if (parsed.protocol === 'unix:' || parsed.protocol === 'npipe:') return new Docker({ socketPath: parsed.pathname })
  const protocol = parsed.protocol === 'https:' ? 'https' : 'http'
  return new Docker({ host: parsed.hostname, port: Number(parsed.port !== '' ? parsed.port : 2375), protocol })
}

/** Asks the engine who it is; never throws, since a node without Docker still runs as a client. */
export async function probeEngine (docker: Docker, options: { signal?: AbortSignal } = {}): Promise<EngineInfo> {
  try {
    const abortSignal = withTimeout(options.signal, ENGINE_PROBE_TIMEOUT)
    // dockerode honours abortSignal on these calls; its type definitions just do not list it.
    const version = await (docker.version as (opts: object) => Promise<Docker.DockerVersion>).call(docker, { abortSignal })
    const info = await (docker.info as (opts: object) => Promise<{ Runtimes?: Record<string, unknown> }>).call(docker, { abortSignal })
    const runtimes = Object.keys(info.Runtimes ?? {})
    const gpuRuntimes = runtimes.filter(name => /nvidia|rocm|amd|gpu/i.test(name))
    return { available: true, version: version.Version, gpuRuntimes, runtimes, reason: null, gone: false }
  } catch (err: any) {
    return NO_ENGINE(err.message ?? String(err), ['ENOENT', 'ECONNREFUSED', 'EACCES'].includes(err.code))
  }
}
