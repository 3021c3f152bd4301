import { randomBytes } from 'node:crypto'
import { ContainerNotFoundError, DockerUnavailableError, InternalError, P2PRCError } from '../errors.js'
import type { Logger } from '@libp2p/interface'

/** Engine failures whose messages carry the engine's text: said to peers in our own words. */
const ENGINE_ERRORS: Record<string, true> = { DockerUnavailableError: true, ContainerConflictError: true, ContainerNotFoundError: true, ImagePullError: true }

/** Logs a failure in full under a fresh reference, and answers the reference for the peer's message. */
export function logFailure (log: Logger, what: string, err: unknown): string {
  const reference = randomBytes(4).toString('hex')
  log.error('%s failed (reference %s): %s', what, reference, (err as Error)?.message ?? String(err))
  return reference
}

/**
 * What a peer is told when the engine failed on its behalf: the kind of failure, never the
 * engine's text (host paths, what answers where); the detail goes to this host's log under a
 * reference. Aborts and our own typed errors pass as they are.
 */
export function engineFailure (log: Logger, err: unknown, what: string): unknown {
  if ((err as Error)?.name === 'AbortError') return err
  if (err instanceof P2PRCError && !(err.name in ENGINE_ERRORS)) return err
  const reference = logFailure(log, what, err)
  if (err instanceof DockerUnavailableError) return new DockerUnavailableError(`this node's container engine is not answering (reference ${reference} in its log)`)
  if (err instanceof ContainerNotFoundError) return new ContainerNotFoundError(`the container or path is gone (${what})`)
  return new InternalError(`${what} failed on this node (reference ${reference} in its log)`)
}
