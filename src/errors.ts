// Errors shared across layers. Each has a stable `name` (tests and callers check `.name`) and a
// stable `code` that crosses the control API and the wire; `errorFromCode` turns a code back into
// the same typed error on the caller's side.
import type { RefusalRule } from './contract/activity.js'

export abstract class P2PRCError extends Error {
  abstract readonly code: string
}

export class ConfigError extends P2PRCError {
  static readonly code = 'ERR_CONFIG'
  readonly code = ConfigError.code
  override name = 'ConfigError'
}

export class InvalidArgumentError extends P2PRCError {
  static readonly code = 'ERR_INVALID_ARGUMENT'
  readonly code = InvalidArgumentError.code
  override name = 'InvalidArgumentError'
}

export class PeerNotFoundError extends P2PRCError {
  static readonly code = 'ERR_PEER_NOT_FOUND'
  readonly code = PeerNotFoundError.code
  override name = 'PeerNotFoundError'
}

export class AmbiguousPeerError extends P2PRCError {
  static readonly code = 'ERR_AMBIGUOUS_PEER'
  readonly code = AmbiguousPeerError.code
  override name = 'AmbiguousPeerError'
}

export class DialError extends P2PRCError {
  static readonly code = 'ERR_DIAL'
  readonly code = DialError.code
  override name = 'DialError'
}

export class NotStartedError extends P2PRCError {
  static readonly code = 'ERR_NOT_STARTED'
  readonly code = NotStartedError.code
  override name = 'NotStartedError'
}

export class UnauthorizedError extends P2PRCError {
  static readonly code = 'ERR_UNAUTHORIZED'
  readonly code = UnauthorizedError.code
  override name = 'UnauthorizedError'
}

/** A browser request the API will not take: a foreign Host or Origin, or a missing CSRF token. */
export class ForbiddenError extends P2PRCError {
  static readonly code = 'ERR_FORBIDDEN'
  readonly code = ForbiddenError.code
  override name = 'ForbiddenError'
}

export class NotFoundError extends P2PRCError {
  static readonly code = 'ERR_NOT_FOUND'
  readonly code = NotFoundError.code
  override name = 'NotFoundError'
}

export class DaemonNotRunningError extends P2PRCError {
  static readonly code = 'ERR_DAEMON_NOT_RUNNING'
  readonly code = DaemonNotRunningError.code
  override name = 'DaemonNotRunningError'
}

/** The host's policy says no; the message says exactly why. */
export class PolicyRefusedError extends P2PRCError {
  static readonly code = 'ERR_REFUSED'
  readonly code = PolicyRefusedError.code
  override name = 'PolicyRefusedError'

  /** `rule`: which rule said no, for the host's metrics and log (a peer hears only the message). */
  constructor (message: string, readonly rule: RefusalRule = 'other') {
    super(message)
  }
}

/** This node runs no Docker engine, so it runs no containers. */
export class NoComputeError extends P2PRCError {
  static readonly code = 'ERR_NO_COMPUTE'
  readonly code = NoComputeError.code
  override name = 'NoComputeError'
}

/** No peer fits a `run auto` request; the message lists each candidate and why. */
export class NoPeerFitsError extends P2PRCError {
  static readonly code = 'ERR_NO_PEER_FITS'
  readonly code = NoPeerFitsError.code
  override name = 'NoPeerFitsError'
}

export class ContainerNotFoundError extends P2PRCError {
  static readonly code = 'ERR_CONTAINER_NOT_FOUND'
  readonly code = ContainerNotFoundError.code
  override name = 'ContainerNotFoundError'
}

export class ImageNotFoundError extends P2PRCError {
  static readonly code = 'ERR_IMAGE_NOT_FOUND'
  readonly code = ImageNotFoundError.code
  override name = 'ImageNotFoundError'
}

export class ImagePullError extends P2PRCError {
  static readonly code = 'ERR_IMAGE_PULL'
  readonly code = ImagePullError.code
  override name = 'ImagePullError'
}

export class ContainerConflictError extends P2PRCError {
  static readonly code = 'ERR_CONTAINER_CONFLICT'
  readonly code = ContainerConflictError.code
  override name = 'ContainerConflictError'
}

export class DockerUnavailableError extends P2PRCError {
  static readonly code = 'ERR_DOCKER_UNAVAILABLE'
  readonly code = DockerUnavailableError.code
  override name = 'DockerUnavailableError'
}

/** A peer answered something our protocol does not allow (no answer, the wrong message). */
export class ProtocolError extends P2PRCError {
  static readonly code = 'ERR_PROTOCOL'
  readonly code = ProtocolError.code
  override name = 'ProtocolError'
}

/** A tunnel reached the host but nothing answers on the container's port. */
export class TunnelError extends P2PRCError {
  static readonly code = 'ERR_TUNNEL'
  readonly code = TunnelError.code
  override name = 'TunnelError'
}

/** The other side failed for a reason that is not the caller's; the message carries a reference to its log. */
export class InternalError extends P2PRCError {
  static readonly code = 'ERR_INTERNAL'
  readonly code = InternalError.code
  override name = 'InternalError'
}

/** Why a resource record was refused; the reason also labels the rejection counter. */
export type RecordRejection = 'oversized' | 'signature' | 'signer' | 'malformed' | 'schema' | 'expired' | 'stale' | 'flood' | 'full'

export class InvalidRecordError extends P2PRCError {
  static readonly code = 'ERR_INVALID_RECORD'
  readonly code = InvalidRecordError.code
  override name = 'InvalidRecordError'
  constructor (readonly reason: RecordRejection, message: string) {
    super(message)
  }
}

/** The peer asked too often; the message says how often it may. */
export class RateLimitedError extends P2PRCError {
  static readonly code = 'ERR_RATE_LIMITED'
  readonly code = RateLimitedError.code
  override name = 'RateLimitedError'
}

/**
 * A private swarm said no: a peer without a valid membership, an invite that expired or is used
 * up, a revoked member; or a swarm operation that does not fit this node's state (not in a swarm,
 * not the swarm's creator).
 */
export class SwarmError extends P2PRCError {
  static readonly code = 'ERR_SWARM'
  readonly code = SwarmError.code
  override name = 'SwarmError'
}

/** An error whose code this version does not know (a newer daemon, say). */
export class RemoteError extends P2PRCError {
  override name = 'RemoteError'
  constructor (readonly code: string, message: string) {
    super(message)
  }
}

const BY_CODE: Record<string, new (message: string) => P2PRCError> = {
  [ConfigError.code]: ConfigError,
  [InvalidArgumentError.code]: InvalidArgumentError,
  [PeerNotFoundError.code]: PeerNotFoundError,
  [AmbiguousPeerError.code]: AmbiguousPeerError,
  [DialError.code]: DialError,
  [NotStartedError.code]: NotStartedError,
  [UnauthorizedError.code]: UnauthorizedError,
  [ForbiddenError.code]: ForbiddenError,
  [NotFoundError.code]: NotFoundError,
  [DaemonNotRunningError.code]: DaemonNotRunningError,
  [PolicyRefusedError.code]: PolicyRefusedError,
  [NoComputeError.code]: NoComputeError,
  [NoPeerFitsError.code]: NoPeerFitsError,
  [ContainerNotFoundError.code]: ContainerNotFoundError,
  [ImageNotFoundError.code]: ImageNotFoundError,
  [ImagePullError.code]: ImagePullError,
  [ContainerConflictError.code]: ContainerConflictError,
  [DockerUnavailableError.code]: DockerUnavailableError,
  [ProtocolError.code]: ProtocolError,
  [TunnelError.code]: TunnelError,
  [InternalError.code]: InternalError,
  [RateLimitedError.code]: RateLimitedError,
  [SwarmError.code]: SwarmError,
  [InvalidRecordError.code]: class extends InvalidRecordError {
    constructor (message: string) {
      super('malformed', message)
    }
  }
}

/** Every code this version knows, for documentation and tests. */
export const ERROR_CODES: readonly string[] = Object.keys(BY_CODE)

export function errorFromCode (code: string, message: string): P2PRCError {
  const ErrorClass = BY_CODE[code]
  return ErrorClass != null ? new ErrorClass(message) : new RemoteError(code, message)
}
