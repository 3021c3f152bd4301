import { logger } from '@libp2p/logger'
import { DEFAULT_DISK_PATH } from './constants.js'
import { probeDisk } from './disk.js'
import { describeError } from './exec.js'
import { probeGpus } from './gpu-probe.js'
import { probeCpu, probeMemory } from './host.js'
import type { AbortOptions } from '@libp2p/interface'
import type { DockerInfo, DockerProbe, MachineResources, ProbeInit } from './types.js'

const log = logger('p2prc:resources')

/**
 * Measures this machine: CPU, memory, the disk Docker writes to, GPUs and
 * the container engine. Every part is measured at once; a part that cannot
 * be measured degrades (no GPUs, Docker unavailable) instead of rejecting.
 */
export async function probeResources (init: ProbeInit = {}, options: AbortOptions = {}): Promise<MachineResources> {
  const [cpu, memory, disk, gpus, docker] = await Promise.all([
    probeCpu(init.cpuFacts),
    probeMemory(),
    probeDisk(init.diskPath ?? DEFAULT_DISK_PATH),
    probeGpus(init, options),
    probeDocker(init.docker, options)
  ])

  return { cpu, memory, disk, gpus, docker }
}

async function probeDocker (docker: DockerProbe | undefined, options: AbortOptions): Promise<DockerInfo> {
  if (docker == null) {
    return unavailableDocker()
  }
  try {
    return await docker(options)
  } catch (err) {
    log('the container engine did not answer: %s', describeError(err))
    return unavailableDocker()
  }
}

function unavailableDocker (): DockerInfo {
  return { available: false, version: null, gpuRuntimes: [] }
}
