/**
 * A socket error that only a host with nothing listening sends: the connection was refused, or
 * reset by the kernel of a process that just died (its accepted but unserved sockets are reset).
 * A busy process does neither: its kernel still accepts, and the dial times out instead.
 */
const NOBODY_THERE = new Set(['ECONNREFUSED', 'ECONNRESET'])

/**
 * Whether a dial failed because nothing listens at any of the peer's addresses: the peer is not
 * there. Anything else (a timeout, a handshake cut short) may be a peer too busy to answer in
 * time, and is worth asking again.
 */
export function refused (err: any, depth = 0): boolean {
  if (err == null || depth > 4) return false
  if (NOBODY_THERE.has(err.code)) return true
  const inner: unknown[] = Array.isArray(err.errors) ? err.errors : []
  if (inner.length > 0) return inner.every(e => refused(e, depth + 1))
  return refused(err.cause, depth + 1)
}
