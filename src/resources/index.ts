/**
 * @packageDocumentation
 *
 * What this machine offers to the network: CPU, memory, disk, GPUs and the
 * container engine, measured with systeminformation, statfs, the vendor GPU
 * tools and sysfs. Nothing here throws because a tool is missing.
 */

export { probeResources } from './probe.js'
export { probeGpus, mergeGpus } from './gpu-probe.js'
export type { GpuProbeInit } from './gpu-probe.js'
export { probeDisk } from './disk.js'
export { cachedCpuFacts, probeCpu, probeMemory } from './host.js'
export { readDrmGpus } from './drm.js'
export { parseNvidiaSmiCsv, queryNvidiaSmi, NVIDIA_SMI_ARGS, NVIDIA_SMI_FIELDS } from './nvidia-smi.js'
export type { ParseNvidiaSmiOptions } from './nvidia-smi.js'
export { parseRocmSmiJson, parseRocmSmiCsv, queryRocmSmi, ROCM_SMI_ARGS } from './rocm-smi.js'
export { defaultExec, rememberMissingTools } from './exec.js'
export type {
  CpuInfo,
  DiskInfo,
  DockerInfo,
  DockerProbe,
  Exec,
  ExecOptions,
  ExecResult,
  GpuInfo,
  GpuVendor,
  MachineResources,
  MemoryInfo,
  ProbeInit
} from './types.js'
