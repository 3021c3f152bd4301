import type { PullProgress } from './types.js'

/** One line of the engine's pull stream (POST /images/create). */
export interface PullEvent {
  id?: string
  status?: string
  progressDetail?: { current?: number, total?: number }
  /** Set instead of status when the pull failed after the stream began. */
  error?: string
  errorDetail?: { message?: string }
}

export function toPullProgress (event: PullEvent): PullProgress {
  return {
    layer: event.id ?? null,
    status: event.status ?? '',
    currentBytes: event.progressDetail?.current ?? null,
    totalBytes: event.progressDetail?.total ?? null
  }
}
