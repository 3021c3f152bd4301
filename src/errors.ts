// Errors shared across layers. Each has a stable `name` (tests and callers check `.name`) and a
// stable `code` that crosses the control API and the wire; `errorFromCode` turns a code back into
// the same typed error on the caller's side.

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
  [NotFoundError.code]: NotFoundError,
  [DaemonNotRunningError.code]: DaemonNotRunningError
}

export function errorFromCode (code: string, message: string): P2PRCError {
  const ErrorClass = BY_CODE[code]
  return ErrorClass != null ? new ErrorClass(message) : new RemoteError(code, message)
}
