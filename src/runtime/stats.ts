// The figures `docker stats` shows, computed from the engine's raw stats JSON the way the Docker
// CLI does (cli/command/container/stats_helpers.go), so a user comparing the two sees the same.
import type { StatsSample, UsageSample } from './types.js'

export interface DockerCpuStats {
  cpu_usage?: { total_usage?: number, percpu_usage?: number[] | null }
  system_cpu_usage?: number
  online_cpus?: number
}

/** The part of GET /containers/{id}/stats we read; every field may be missing. */
export interface DockerStats {
  id?: string
  read?: string
  cpu_stats?: DockerCpuStats
  precpu_stats?: DockerCpuStats
  memory_stats?: { usage?: number, max_usage?: number, limit?: number, stats?: Record<string, number> }
  networks?: Record<string, { rx_bytes?: number, tx_bytes?: number }> | null
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string, value?: number }> | null }
  pids_stats?: { current?: number }
}

/** The engine stamps a container that is not running with Go's zero time. */
export function isStoppedSample (raw: DockerStats): boolean {
  return raw.read == null || raw.read.startsWith('0001-01-01')
}

/**
 * Whether the sample carries the previous CPU reading. Docker 20.10 fills precpu_stats for
 * stream=false (it waits one collection cycle); with one-shot, and in the first sample of a
 * stream, it is empty and a CPU figure needs a second reading.
 */
export function hasPreviousCpu (raw: DockerStats): boolean {
  return (raw.precpu_stats?.system_cpu_usage ?? 0) > 0
}

/**
 * (cpu delta / system delta) * online CPUs * 100; 0 without a previous reading (the "delta" would
 * be the average since boot) or when either delta is not positive.
 */
export function cpuPercent (cpu: DockerCpuStats | undefined, previous: DockerCpuStats | undefined): number {
  if ((previous?.system_cpu_usage ?? 0) <= 0) return 0
  const cpuDelta = (cpu?.cpu_usage?.total_usage ?? 0) - (previous?.cpu_usage?.total_usage ?? 0)
  const systemDelta = (cpu?.system_cpu_usage ?? 0) - (previous?.system_cpu_usage ?? 0)
  if (cpuDelta <= 0 || systemDelta <= 0) return 0
  // Engines before API 1.27 do not report online_cpus; the CLI then counts the per-CPU list.
  const reported = cpu?.online_cpus ?? 0
  const onlineCpus = reported > 0 ? reported : cpu?.cpu_usage?.percpu_usage?.length ?? 1
  return (cpuDelta / systemDelta) * onlineCpus * 100
}

/**
 * Usage minus the inactive page cache, as the Docker CLI since 20.10 shows it: cgroup v1
 * reports it as `total_inactive_file`, cgroup v2 as `inactive_file`. (Older CLIs subtracted
 * `cache`, which also hid active file pages the kernel cannot reclaim at once.)
 */
export function memoryUsage (memory: DockerStats['memory_stats']): number {
  const usage = memory?.usage ?? 0
  const stats = memory?.stats ?? {}
  const inactive = 'total_inactive_file' in stats ? stats.total_inactive_file : stats.inactive_file
  return inactive != null && inactive < usage ? usage - inactive : usage
}

/**
 * One sample from the engine's raw JSON. `previousCpu` replaces an empty precpu_stats with the
 * CPU reading of the sample before it.
 */
export function toStatsSample (containerId: string, raw: DockerStats, previousCpu?: DockerCpuStats): StatsSample {
  const read = isStoppedSample(raw) ? NaN : Date.parse(raw.read ?? '')
  const { networkRxBytes, networkTxBytes, blockReadBytes, blockWriteBytes } = ioTotals(raw)
  return {
    containerId,
    at: Number.isFinite(read) ? read : Date.now(),
    cpuPercent: cpuPercent(raw.cpu_stats, hasPreviousCpu(raw) ? raw.precpu_stats : previousCpu),
    memoryBytes: memoryUsage(raw.memory_stats),
    memoryLimitBytes: raw.memory_stats?.limit ?? 0,
    networkRxBytes,
    networkTxBytes,
    blockReadBytes,
    blockWriteBytes,
    pids: raw.pids_stats?.current ?? 0
  }
}

/** The running totals of a (running) container's sample, for usage accounting. */
export function toUsageSample (raw: DockerStats): UsageSample {
  const read = Date.parse(raw.read ?? '')
  return {
    at: Number.isFinite(read) ? read : Date.now(),
    cpuNanos: raw.cpu_stats?.cpu_usage?.total_usage ?? 0,
    memoryBytes: memoryUsage(raw.memory_stats),
    memoryPeakBytes: raw.memory_stats?.max_usage ?? 0,
    ...ioTotals(raw)
  }
}

/** Bytes through every network interface, and read and written on block devices, since the start. */
function ioTotals (raw: DockerStats): Pick<UsageSample, 'networkRxBytes' | 'networkTxBytes' | 'blockReadBytes' | 'blockWriteBytes'> {
  let networkRxBytes = 0
  let networkTxBytes = 0
  for (const net of Object.values(raw.networks ?? {})) {
    networkRxBytes += net.rx_bytes ?? 0
    networkTxBytes += net.tx_bytes ?? 0
  }
  let blockReadBytes = 0
  let blockWriteBytes = 0
  // cgroup v1 spells the operations "Read"/"Write", cgroup v2 "read"/"write".
  for (const entry of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = entry.op?.toLowerCase()
    if (op === 'read') blockReadBytes += entry.value ?? 0
    else if (op === 'write') blockWriteBytes += entry.value ?? 0
  }
  return { networkRxBytes, networkTxBytes, blockReadBytes, blockWriteBytes }
}
