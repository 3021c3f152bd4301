/**
 * The caller's signal, bounded by a default deadline: how every outbound call and every handler
 * gets its AbortSignal, so nothing waits forever and a caller can always stop it sooner.
 */
export function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  return signal == null ? AbortSignal.timeout(ms) : AbortSignal.any([signal, AbortSignal.timeout(ms)])
}

/**
 * The promise's outcome, or the signal's reason as soon as it aborts: for a call whose answer must
 * not be waited for past a deadline even if something beneath it does not heed its signal.
 */
export async function untilAborted<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted()
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort as () => void)
  }
}
