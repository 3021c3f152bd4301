/** The first byte of each binary message on the exec WebSocket: which stream its bytes belong to. */
export const EXEC_CHANNELS = { stdin: 0, stdout: 1, stderr: 2 } as const

/** How the API's archive endpoints carry what is not tar bytes: the path's stat, and a failure after the body began. */
export const ARCHIVE_HTTP = {
  contentType: 'application/x-tar',
  /** Header: base64 of the PathStat JSON. */
  statHeader: 'p2prc-path-stat',
  /** Trailer: base64 of the error JSON. */
  errorTrailer: 'p2prc-error'
} as const
