/** The first byte of each binary message on the exec WebSocket: which stream its bytes belong to. */
export const EXEC_CHANNELS = { stdin: 0, stdout: 1, stderr: 2 } as const
