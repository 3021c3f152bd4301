import type { EndReason } from './containers.js'

/**
 * Which policy rule refused a run: a short fixed word, so that metrics can count refusals by it
 * (bounded label values) and the activity log can be filtered on it. The refusal's message says
 * the figures.
 */
export type RefusalRule =
  | 'peer' | 'image' | 'registry'
  | 'containers-per-peer' | 'containers' | 'queue' | 'pull-in-flight'
  | 'cpus' | 'memory' | 'peer-cpus' | 'peer-memory' | 'free-cpus' | 'free-memory' | 'gpus' | 'pids'
  | 'ttl' | 'network' | 'cpu-budget' | 'memory-budget' | 'exec' | 'copy' | 'user' | 'other'

/**
 * What happened on this node's host side, as it happens: what the activity log writes (one JSON
 * line each, with `at`) and what the metrics count. `peerId` is the peer that asked (the owner of
 * the container), or null for the host's operator.
 */
export type ActivityEvent =
  | { kind: 'run', peerId: string, containerId: string, name: string, image: string, cpus: number, memoryBytes: number, gpus: number, expiresAt: string | null }
  | { kind: 'refused', peerId: string, image: string, rule: RefusalRule, reason: string }
  | { kind: 'pull', peerId: string, image: string, bytes: number, ok: boolean }
  | { kind: 'end', peerId: string, containerId: string, name: string, image: string, endReason: EndReason, exitCode: number | null }
  | { kind: 'exec', peerId: string | null, containerId: string, name: string, phase: 'start' | 'end', tty: boolean, exitCode: number | null }
  | { kind: 'copy', peerId: string | null, containerId: string, name: string, direction: 'in' | 'out' | 'fetch', path: string, bytes: number }

/** One line of the activity log (`p2prc host log --json`, `GET /v1/host/log`). */
export type ActivityEntry = ActivityEvent & { at: string }
