import { DEFAULT_SYSFS_ROOT, TOOL_TIMEOUT } from './constants.js'
import { readDrmGpus } from './drm.js'
import { defaultExec } from './exec.js'
import { queryNvidiaSmi } from './nvidia-smi.js'
import { queryRocmSmi } from './rocm-smi.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Exec, GpuInfo, GpuVendor } from './types.js'

export interface GpuProbeInit {
  /** @default execFile with a timeout */
  exec?: Exec
  /** @default '/sys' */
  sysfsRoot?: string
  /** @default 5000 */
  toolTimeout?: number
}

/**
 * Lists this machine's GPUs: NVIDIA ones from nvidia-smi, AMD ones from
 * rocm-smi, and everything else the kernel's DRM subsystem knows. Never
 * rejects: a source that fails contributes nothing.
 */
export async function probeGpus (init: GpuProbeInit = {}, options: AbortOptions = {}): Promise<GpuInfo[]> {
  const exec = init.exec ?? defaultExec
  const execOptions = { timeout: init.toolTimeout ?? TOOL_TIMEOUT, signal: options.signal }

  const [nvidia, amd, drm] = await Promise.all([
    queryNvidiaSmi(exec, execOptions),
    queryRocmSmi(exec, execOptions),
    readDrmGpus(init.sysfsRoot ?? DEFAULT_SYSFS_ROOT)
  ])

  return mergeGpus([nvidia, amd], drm)
}

/**
 * A vendor tool knows more than sysfs (names, memory, load), so when it
 * answered, sysfs entries of the same vendor are the same cards seen twice
 * and are dropped. When it did not (no driver tools installed), sysfs is all
 * we have.
 */
export function mergeGpus (fromTools: GpuInfo[][], fromDrm: GpuInfo[]): GpuInfo[] {
  const tools = fromTools.flat()
  const answered = new Set<GpuVendor>(tools.map(gpu => gpu.vendor))
  return [...tools, ...fromDrm.filter(gpu => !answered.has(gpu.vendor))]
}
