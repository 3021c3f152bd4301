import { HOURS_KEPT, MAX_TAIL } from './constants.js'
import type { EndReason } from '../contract/index.js'
import type { UsageSample } from '../runtime/index.js'

/**
 * One container's use so far, as the host adds it up from the engine's samples: what the store
 * keeps and the receipts state. CPU, network and block I/O are the engine's running totals
 * (cgroup counters, kept by the container itself while the daemon is down); memory is integrated
 * between samples.
 */
export interface MeterState {
  containerId: string
  owner: string
  name: string
  image: string
  imageId: string
  startedAt: number | null
  endedAt: number | null
  gpus: number
  limits: { cpus: number, memoryBytes: number }
  cpuSeconds: number
  memoryByteSeconds: number
  memoryPeakBytes: number
  networkRxBytes: number
  networkTxBytes: number
  blockReadBytes: number
  blockWriteBytes: number
  exitCode: number | null
  endReason: EndReason | null
  /** The last sample's time and memory, and the CPU rate (CPUs busy) over the interval before it. */
  sampledAt: number | null
  lastMemoryBytes: number
  cpuRate: number
  /** CPU-seconds and memory byte-seconds added in each of the last hours: [hour start (ms), cpu, memory]. */
  hours: Array<[number, number, number]>
}

/** What a sample (or the end) added: for the metrics' counters and the hourly figures. */
export interface UsageDelta {
  cpuSeconds: number
  memoryByteSeconds: number
  networkRxBytes: number
  networkTxBytes: number
}

const NOTHING: UsageDelta = { cpuSeconds: 0, memoryByteSeconds: 0, networkRxBytes: 0, networkTxBytes: 0 }
const HOUR = 3_600_000

export function newMeterState (init: Pick<MeterState, 'containerId' | 'owner' | 'name' | 'image' | 'imageId' | 'startedAt' | 'gpus' | 'limits'>): MeterState {
  return {
    ...init,
    endedAt: null,
    cpuSeconds: 0,
    memoryByteSeconds: 0,
    memoryPeakBytes: 0,
    networkRxBytes: 0,
    networkTxBytes: 0,
    blockReadBytes: 0,
    blockWriteBytes: 0,
    exitCode: null,
    endReason: null,
    sampledAt: null,
    lastMemoryBytes: 0,
    cpuRate: 0,
    hours: []
  }
}

/**
 * Adds a sample. Memory is integrated by the trapezoid rule since the last sample (from nothing
 * at the start, for the first), also across a gap while the host was not watching: the container
 * ran and held memory all through it. Running totals only grow: a sample that reads less (an
 * engine that restarted its counting) changes nothing.
 */
export function addSample (state: MeterState, s: UsageSample): UsageDelta {
  if (state.endedAt != null) return NOTHING
  const from = state.sampledAt ?? state.startedAt
  const elapsed = from != null && s.at > from ? s.at - from : 0
  const seconds = elapsed / 1000
  const memoryByteSeconds = state.sampledAt != null ? (state.lastMemoryBytes + s.memoryBytes) / 2 * seconds : s.memoryBytes / 2 * seconds
  const cpuSeconds = Math.max(0, s.cpuNanos / 1e9 - state.cpuSeconds)
  const delta = {
    cpuSeconds,
    memoryByteSeconds,
    networkRxBytes: Math.max(0, s.networkRxBytes - state.networkRxBytes),
    networkTxBytes: Math.max(0, s.networkTxBytes - state.networkTxBytes)
  }
  if (state.sampledAt != null && seconds > 0) state.cpuRate = cpuSeconds / seconds
  state.cpuSeconds += cpuSeconds
  state.memoryByteSeconds += memoryByteSeconds
  state.memoryPeakBytes = Math.max(state.memoryPeakBytes, s.memoryPeakBytes, s.memoryBytes)
  state.networkRxBytes += delta.networkRxBytes
  state.networkTxBytes += delta.networkTxBytes
  state.blockReadBytes = Math.max(state.blockReadBytes, s.blockReadBytes)
  state.blockWriteBytes = Math.max(state.blockWriteBytes, s.blockWriteBytes)
  state.sampledAt = Math.max(state.sampledAt ?? 0, s.at)
  state.lastMemoryBytes = s.memoryBytes
  addToHour(state, s.at, delta)
  return delta
}

/**
 * Closes the account when the container has ended. The engine's counters go with the container,
 * so the part-second after the last sample is counted at the rate measured just before it (CPU
 * no higher than its limit), for at most MAX_TAIL. Ending twice changes nothing.
 */
export function finishMeter (state: MeterState, end: { at: number, reason: EndReason, exitCode: number | null }): UsageDelta {
  if (state.endedAt != null) return NOTHING
  state.endedAt = Math.max(end.at, state.startedAt ?? end.at)
  state.endReason = end.reason
  state.exitCode = end.exitCode
  if (state.sampledAt == null || state.endedAt <= state.sampledAt) return NOTHING
  const tail = Math.min(state.endedAt - state.sampledAt, MAX_TAIL) / 1000
  const rate = state.limits.cpus > 0 ? Math.min(state.cpuRate, state.limits.cpus) : state.cpuRate
  const delta = { ...NOTHING, cpuSeconds: rate * tail, memoryByteSeconds: state.lastMemoryBytes * tail }
  state.cpuSeconds += delta.cpuSeconds
  state.memoryByteSeconds += delta.memoryByteSeconds
  addToHour(state, state.endedAt, delta)
  return delta
}

/** Adds to the hour it happened in; only the last HOURS_KEPT hours are kept. */
function addToHour (state: MeterState, at: number, delta: UsageDelta): void {
  if (delta.cpuSeconds === 0 && delta.memoryByteSeconds === 0) return
  const hour = Math.floor(at / HOUR) * HOUR
  const last = state.hours[state.hours.length - 1]
  if (last?.[0] === hour) {
    last[1] += delta.cpuSeconds
    last[2] += delta.memoryByteSeconds
  } else {
    state.hours.push([hour, delta.cpuSeconds, delta.memoryByteSeconds])
    if (state.hours.length > HOURS_KEPT) state.hours.splice(0, state.hours.length - HOURS_KEPT)
  }
}

/**
 * CPU-seconds and memory byte-seconds used since `from` (ms), by whole hours: the hour `from`
 * falls in counts whole, so a budget never counts less than was used.
 */
export function usedSince (state: MeterState, from: number): { cpuSeconds: number, memoryByteSeconds: number } {
  let cpuSeconds = 0
  let memoryByteSeconds = 0
  for (const [hour, cpu, memory] of state.hours) {
    if (hour + HOUR <= from) continue
    cpuSeconds += cpu
    memoryByteSeconds += memory
  }
  return { cpuSeconds, memoryByteSeconds }
}

/** Seconds it has run (or ran), by `now` while it runs. */
export function wallSeconds (state: MeterState, now: number): number {
  if (state.startedAt == null) return 0
  return Math.max(0, ((state.endedAt ?? now) - state.startedAt) / 1000)
}
