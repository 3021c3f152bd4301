import { P2PRCError } from '../errors.js'

/** Why a record was refused; the reason also labels the rejection counter. */
export type RecordRejection = 'oversized' | 'signature' | 'signer' | 'malformed' | 'schema' | 'expired' | 'stale'

export class InvalidRecordError extends P2PRCError {
  static readonly code = 'ERR_INVALID_RECORD'
  readonly code = InvalidRecordError.code
  override name = 'InvalidRecordError'
  constructor (readonly reason: RecordRejection, message: string) {
    super(message)
  }
}
