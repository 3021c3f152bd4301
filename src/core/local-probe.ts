import { cachedCpuFacts, probeResources, rememberMissingTools } from '../resources/index.js'
import { NO_ENGINE, probeEngine } from '../runtime/docker-engine.js'
import type { MachineResources } from '../resources/index.js'
import type { DockerClient, EngineInfo } from '../runtime/docker-engine.js'
import type { AbortOptions } from '@libp2p/interface'

export interface LocalProbe {
  /** Measures the machine, and asks the engine (if any) what it offers. */
  machine: (options: AbortOptions) => Promise<MachineResources>
  /** The engine's answer at the last measurement. */
  engine: () => EngineInfo
}

/** The engine is asked at most this often; measurements in between reuse its last answer. */
const ENGINE_PROBE_EVERY = 5_000

/**
 * An engine that does not answer in time (a busy machine) is given up only after this many
 * probes in a row; one whose socket is missing or refuses at once.
 */
const ENGINE_FAILURES_TO_GIVE_UP = 3

/** Ties the hardware probe to this node's Docker engine (none for a client-only node). */
export function localProbe (docker: DockerClient | null, sysfsRoot: string): LocalProbe {
  let engine: EngineInfo = NO_ENGINE(docker == null ? 'disabled (--no-docker)' : 'not probed yet')
  let askedAt = 0
  let failures = 0
  let asking: Promise<void> | undefined
  const cpuFacts = cachedCpuFacts()
  const exec = rememberMissingTools()
  const ask = async (client: DockerClient, signal?: AbortSignal): Promise<void> => {
    if (Date.now() - askedAt < ENGINE_PROBE_EVERY) return
    // Measurements at the same moment (an advert, an API call) share one question.
    asking ??= probe(client, signal).finally(() => { asking = undefined })
    await asking
  }
  const probe = async (client: DockerClient, signal?: AbortSignal): Promise<void> => {
    const next = await probeEngine(client, { signal })
    // A measurement cut short (its caller went away) says nothing about the engine.
    if (signal?.aborted === true) return
    askedAt = Date.now()
    failures = next.available ? 0 : failures + 1
    if (next.available || next.gone || !engine.available || failures >= ENGINE_FAILURES_TO_GIVE_UP) engine = next
  }
  return {
    engine: () => engine,
    machine: async options => probeResources({
      sysfsRoot,
      cpuFacts,
      exec,
      docker: async opts => {
        if (docker != null) await ask(docker, opts.signal)
        return { available: engine.available, version: engine.version, gpuRuntimes: engine.gpuRuntimes }
      }
    }, options)
  }
}
