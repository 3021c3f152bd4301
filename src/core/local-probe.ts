import { cachedCpuFacts, probeResources, rememberMissingTools } from '../resources/index.js'
import { probeEngine } from '../runtime/docker-engine.js'
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
  let engine: EngineInfo = docker == null
    ? { available: false, version: null, gpuRuntimes: [], reason: 'disabled (--no-docker)' }
    : { available: false, version: null, gpuRuntimes: [], reason: 'not probed yet' }
  const cpuFacts = cachedCpuFacts()
  const exec = rememberMissingTools()
  return {
    engine: () => engine,
    machine: async options => probeResources({
      sysfsRoot,
      cpuFacts,
      exec,
      docker: async opts => {
        if (docker != null) engine = await probeEngine(docker, opts)
        return { available: engine.available, version: engine.version, gpuRuntimes: engine.gpuRuntimes }
      }
    }, options)
  }
}
