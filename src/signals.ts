// Node 20 holds a composite signal's sources weakly: a timeout signal that nothing else holds is
// collected before it fires, and the composite never aborts (nodejs/node#57736). Under load a
// `ps` with a frozen peer then waited a minute, not its 5 s. Each composite made here holds its
// sources, so they live as long as it does; it is still held weakly by them, as Node intends.
const sources = Symbol('p2prc.sources')

/** Aborts when any of the signals does (those missing are left out): Node's AbortSignal.any, with its sources kept alive. */
export function anySignal (...signals: Array<AbortSignal | undefined>): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => s != null)
  if (present.length === 1) return present[0]
  const combined = AbortSignal.any(present)
  Object.defineProperty(combined, sources, { value: present })
  return combined
}

/**
 * The caller's signal, bounded by a default deadline: how every outbound call and every handler
 * gets its AbortSignal, so nothing waits forever and a caller can always stop it sooner.
 */
export function withTimeout (signal: AbortSignal | undefined, ms: number): AbortSignal {
  return anySignal(signal, AbortSignal.timeout(ms))
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
