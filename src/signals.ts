/**
 * The caller's signal, bounded by a default deadline: how every outbound call and every handler
 * gets its AbortSignal, so nothing waits forever and a caller can always stop it sooner.
 */
export function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  return signal == null ? AbortSignal.timeout(ms) : AbortSignal.any([signal, AbortSignal.timeout(ms)])
}
