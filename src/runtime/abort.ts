// Abort handling shared by the runtime's calls, so every one of them fails the same way: with
// an error named AbortError (as dockerode's own aborted requests do), the signal's reason as cause.

export function abortError (signal?: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal?.reason })
  err.name = 'AbortError'
  Object.assign(err, { code: 'ABORT_ERR' })
  return err
}

/** A function rather than `signal?.aborted`, which TypeScript narrows and then misreads later. */
export function isAborted (signal?: AbortSignal): boolean {
  return signal?.aborted === true
}

export function throwIfAborted (signal?: AbortSignal): void {
  if (isAborted(signal)) throw abortError(signal)
}

/**
 * Settles with the promise or rejects with an AbortError as soon as the signal aborts, for calls
 * that must not be cut mid-way themselves (the work goes on; the caller is released).
 */
export async function raceAbort<T> (promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal == null) return promise
  throwIfAborted(signal)
  let onAbort!: () => void
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/**
 * Destroys a long-lived response stream when the signal aborts: an aborted request does not
 * reliably end a response that has already begun. Returns the function that stops listening.
 */
export function destroyOnAbort (stream: { destroy: () => void }, signal?: AbortSignal): () => void {
  if (signal == null) return () => {}
  const onAbort = (): void => { stream.destroy() }
  if (signal.aborted) onAbort()
  else signal.addEventListener('abort', onAbort, { once: true })
  return () => { signal.removeEventListener('abort', onAbort) }
}
