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

/** Ties the hardware probe to this node's Docker engine (none for a client-only node). */
export function localProbe (docker: DockerClient | null, sysfsRoot: string): LocalProbe {
  let engine: EngineInfo = NO_ENGINE(docker == null ? 'disabled (--no-docker)' : 'not probed yet')
  const cpuFacts = cachedCpuFacts()
  const exec = rememberMissingTools()
  return {
    engine: () => engine,
    machine: async options => probeResources({
      sysfsRoot,
      cpuFacts,
      exec,
      docker: async opts => {
        if (docker != null) {
          const next = await probeEngine(docker, opts)
          // A measurement cut short (its caller went away) says nothing about the engine.
          if (opts.signal?.aborted !== true) engine = next
        }
        return { available: engine.available, version: engine.version, gpuRuntimes: engine.gpuRuntimes }
      }
    }, options)
  }
}
