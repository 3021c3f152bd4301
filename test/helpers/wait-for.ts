/** Polls `check` until it returns a truthy value or the deadline passes; never a fixed sleep. */
export async function waitFor<T> (check: () => T | Promise<T>, options: { timeout?: number, interval?: number, message?: string } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeout ?? 15_000)
  let lastError: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value != null && value !== false) return value as NonNullable<T>
    } catch (err) {
      lastError = err
    }
    await new Promise(resolve => setTimeout(resolve, options.interval ?? 100))
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : ''
  throw new Error(`timed out waiting for ${options.message ?? 'condition'}${why}`)
}
