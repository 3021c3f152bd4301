import { EXEC_CHANNELS } from '../contract/index.js'
import { isExecSignal, terminalSize } from '../containers/exec-request.js'
import { toHttpError } from './http-errors.js'
import type { ExecClientControl, ExecServerControl, ExecSession } from '../contract/index.js'
import type { WebSocket } from 'ws'

/** Output bytes queued on the socket past which the next send waits until they are out. */
const HIGH_WATER = 1024 * 1024

/**
 * Carries an exec session on a WebSocket (the API's `exec`): the command's output as binary
 * messages behind their channel byte, then one `exit` or `error` control; the client's input,
 * resizes and signals the other way. Backpressure both ways: output waits for the socket, and the
 * socket is paused while the command has not taken the last input. The session ends with the socket.
 */
export async function serveExec (socket: WebSocket, start: () => Promise<ExecSession>): Promise<void> {
  const control = (message: ExecServerControl): void => { socket.send(JSON.stringify(message)) }
  // Input waits (in the socket) until the command runs, then is taken one message at a time, in
  // order, the socket paused while one is being taken.
  socket.pause()
  let session: ExecSession | undefined
  let input = Promise.resolve()
  socket.on('message', (data: Buffer, binary: boolean) => {
    socket.pause()
    input = input.then(async () => { if (session != null) await takeInput(session, data, binary) }).catch(() => { socket.terminate() }).finally(() => {
      if (socket.readyState === socket.OPEN) socket.resume()
    })
  })
  socket.once('close', () => { session?.close() })
  try {
    session = await start()
  } catch (err: any) {
    control({ type: 'error', error: toHttpError(err).body.error })
    socket.close(1000)
    return
  }
  if (socket.readyState !== socket.OPEN) {
    session.close()
    return
  }
  control({ type: 'started' })
  socket.resume()
  try {
    for await (const chunk of session.output) {
      const message = Buffer.allocUnsafe(chunk.data.byteLength + 1)
      message[0] = chunk.stream === 'stderr' ? EXEC_CHANNELS.stderr : EXEC_CHANNELS.stdout
      message.set(chunk.data, 1)
      await send(socket, message)
    }
    control({ type: 'exit', exitCode: await session.wait() })
  } catch (err: any) {
    if (socket.readyState === socket.OPEN) control({ type: 'error', error: toHttpError(err).body.error })
  } finally {
    session.close()
    if (socket.readyState === socket.OPEN) socket.close(1000)
  }
}

async function send (socket: WebSocket, message: Buffer): Promise<void> {
  if (socket.bufferedAmount < HIGH_WATER) {
    socket.send(message)
    return
  }
  await new Promise<void>((resolve, reject) => { socket.send(message, err => { if (err != null) reject(err); else resolve() }) })
}

/** One message from the client: stdin bytes behind channel 0, or a control. Anything else ends the session. */
async function takeInput (session: ExecSession, data: Buffer, binary: boolean): Promise<void> {
  if (binary) {
    if (data[0] !== EXEC_CHANNELS.stdin) throw new Error('binary messages from the client are stdin (channel 0)')
    if (data.byteLength > 1) await session.write(data.subarray(1))
    return
  }
  const message = JSON.parse(data.toString('utf8')) as ExecClientControl
  if (message.type === 'end') await session.endInput()
  else if (message.type === 'resize') await session.resize(terminalSize.parse({ rows: message.rows, cols: message.cols }))
  else if (message.type === 'signal' && isExecSignal(message.signal)) await session.signal(message.signal).catch(() => {})
  else throw new Error('unknown control')
}
