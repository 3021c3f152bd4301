// The one place where Docker's failures become typed errors. The classes live in src/errors.ts so
// that the API client turns their codes back into the same classes on the caller's side.
import { ContainerConflictError, ContainerNotFoundError, DockerUnavailableError, ImageNotFoundError, ImagePullError, NotFoundError } from '../errors.js'

export { ContainerConflictError, ContainerNotFoundError, DockerUnavailableError, ImageNotFoundError, ImagePullError }

/**
 * What a Docker call was about, since the same HTTP status means different things: a 404 from
 * create or an image call is a missing image, from a container call a missing container.
 */
export type DockerSubject =
  | { kind: 'container' }
  | { kind: 'image' }
  | { kind: 'network' }
  | { kind: 'pull', image: string }

/** The socket is missing or refuses us: no engine to talk to, whatever the call was. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES'])

/** How registries and the engine word "there is no such image" inside a pull's progress stream. */
const IMAGE_MISSING = /not found|manifest unknown|repository does not exist|no such image/i

/** Docker's own sentence, without dockerode's "(HTTP code 404) no such container - " prefix. */
export function dockerMessage (err: any): string {
  if (typeof err?.json?.message === 'string') return err.json.message
  const message = String(err?.message ?? err)
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim()
}

/** Maps an error from dockerode to a typed error; aborts and anything unrecognised pass through. */
export function toRuntimeError (err: unknown, subject: DockerSubject): unknown {
  const e = err as any
  if (e == null || typeof e !== 'object') return err
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') return err
  if (UNAVAILABLE_CODES.has(e.code) && e.syscall === 'connect') {
    const where = typeof e.address === 'string' ? ` on ${e.address}` : ''
    const fix = e.code === 'EACCES' ? 'give this user access to the Docker socket' : 'start dockerd or point the node at a running engine'
    return new DockerUnavailableError(`no Docker engine answers${where} (${e.code}): ${fix}`, { cause: err })
  }
  const message = dockerMessage(e)
  if (subject.kind === 'pull') {
    return e.statusCode === 404 || IMAGE_MISSING.test(message)
      ? new ImageNotFoundError(`image ${subject.image} not found: ${message}`, { cause: err })
      : new ImagePullError(`pulling ${subject.image} failed: ${message}`, { cause: err })
  }
  if (e.statusCode === 404) {
    if (subject.kind === 'image') return new ImageNotFoundError(`${message} (pull the image first)`, { cause: err })
    if (subject.kind === 'network') return new NotFoundError(message, { cause: err })
    return new ContainerNotFoundError(message, { cause: err })
  }
  if (e.statusCode === 409) return new ContainerConflictError(message, { cause: err })
  return err
}
