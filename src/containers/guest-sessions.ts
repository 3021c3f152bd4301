import { dirname, posix } from 'node:path'
import { Readable } from 'node:stream'
import { InvalidArgumentError, NotFoundError, PolicyRefusedError } from '../errors.js'
import { withTimeout } from '../signals.js'
import { formatBytes } from '../units/index.js'
import { DOCKER_CALL_TIMEOUT } from './constants.js'
import { engineFailure } from './engine-failure.js'
import { checkFetchUrl, fetchToFile } from './fetch-input.js'
import { admitAccess, admitExecUser } from './policy.js'
import type { HostContainers } from './host-containers.js'
import type { Policy } from '../config/schema.js'
import type { ActivityEvent, ArchiveRead, ExecSession, LogChunk, PathStat } from '../contract/index.js'
import type { DockerRuntime, ExecCommand } from '../runtime/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/** Commands one peer may have running in its containers here at once, and all peers together. */
export const MAX_EXECS_PER_PEER = 16
export const MAX_EXECS = 128
/** Copies one peer may have under way here at once, and all peers together. */
export const MAX_COPIES_PER_PEER = 4
export const MAX_COPIES = 32
/** Paths in a container: absolute, printable, bounded. */
const MAX_PATH = 4096

export interface GuestSessionsInit {
  runtime: DockerRuntime
  policy: Policy
  containers: Pick<HostContainers, 'target'>
  log: Logger
  /** Told of each command (as it starts and ends) and each copy (once it ends), for the activity log. */
  onActivity: (event: ActivityEvent) => void
}

type CopyDirection = Extract<ActivityEvent, { kind: 'copy' }>['direction']

/**
 * Working inside guests' containers: commands (exec) and copies in and out, for their owners
 * (or the operator, owner null), under the policy and this node's limits. What a peer is told of a
 * failure is ours, never the engine's text.
 */
export class GuestSessions {
  private readonly execs = new SessionCounts('commands', MAX_EXECS_PER_PEER, MAX_EXECS)
  private readonly copies = new SessionCounts('copies', MAX_COPIES_PER_PEER, MAX_COPIES)

  constructor (private readonly init: GuestSessionsInit) {}

  async exec (owner: string | null, ref: string, command: ExecCommand, options: AbortOptions = {}): Promise<ExecSession> {
    const { policy, runtime, containers } = this.init
    if (owner != null) {
      admitAccess(owner, 'exec', policy)
      admitExecUser(command.user, policy)
    }
    const { id, name, runtime: sandbox } = containers.target(owner, ref, true)
    const release = this.execs.take(owner)
    try {
      const process = await runtime.exec(id, command, { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) })
      const event = { kind: 'exec' as const, peerId: owner, containerId: id, name, tty: command.tty }
      this.init.onActivity({ ...event, phase: 'start', exitCode: null })
      const ended = (exitCode: number | null): void => {
        release()
        this.init.onActivity({ ...event, phase: 'end', exitCode })
      }
      return new GuardedExec(process, { command: command.cmd[0], signals: sandbox !== 'runsc' }, once(ended), error => this.failure(error, 'running the command'))
    } catch (err) {
      release()
      throw this.failure(err, 'starting the command')
    }
  }

  /** What a path in the container is; a missing path is a NotFound naming it. */
  async stat (owner: string | null, ref: string, path: string, options: AbortOptions = {}): Promise<PathStat> {
    if (owner != null) admitAccess(owner, 'copy', this.init.policy)
    const { id, name } = this.init.containers.target(owner, ref, false)
    const stat = await this.engine(async () => this.init.runtime.statPath(id, checkedPath(path), { signal: withTimeout(options.signal, DOCKER_CALL_TIMEOUT) }), 'reading the path')
    if (stat == null) throw new NotFoundError(`no such file or directory in ${name}: ${path}`)
    return stat
  }

  /**
   * A path out of the container as a tar stream, opened when it is first read (nothing is held
   * for a reader that never reads); past the host's limit the stream fails.
   */
  async read (owner: string | null, ref: string, path: string, options: AbortOptions = {}): Promise<ArchiveRead> {
    const stat = await this.stat(owner, ref, path, options)
    const max = this.init.policy.maxCopyBytes
    if (!stat.dir && stat.size > max) throw overLimit(stat.size, max)
    const target = this.init.containers.target(owner, ref, false)
    return { stat, tar: this.archive(owner, target, path, max, options) }
  }

  private async * archive (owner: string | null, target: { id: string, name: string }, path: string, max: number, options: AbortOptions): AsyncGenerator<Uint8Array> {
    const release = this.copies.take(owner)
    try {
      const tar = await this.engine(async () => this.init.runtime.getArchive(target.id, checkedPath(path), options), 'reading the path')
      yield * this.counted(tar, max, bytes => {
        tar.destroy()
        this.copied(owner, target, 'out', path, bytes)
      })
    } finally {
      release()
    }
  }

  /**
   * Whether a tar stream of `size` bytes may be extracted into a directory of the container:
   * throws why not. A copy is checked before anything is written.
   */
  async checkWrite (owner: string | null, ref: string, directory: string, size: number, options: AbortOptions = {}): Promise<string> {
    const max = this.init.policy.maxCopyBytes
    if (owner != null) admitAccess(owner, 'copy', this.init.policy)
    if (size > max) throw overLimit(size, max)
    const stat = await this.stat(owner, ref, directory, options)
    if (!stat.dir) throw new InvalidArgumentError(`${directory} is not a directory in the container`)
    return this.init.containers.target(owner, ref, false).id
  }

  /** A copy ended (either way) having moved `bytes`: the activity log hears of it. */
  private copied (owner: string | null, target: { id: string, name: string }, direction: CopyDirection, path: string, bytes: number): void {
    this.init.onActivity({ kind: 'copy', peerId: owner, containerId: target.id, name: target.name, direction, path, bytes })
  }

  /** Extracts a tar stream into a directory of the container; one that grows past the host's limit is cut off. */
  async write (owner: string | null, ref: string, directory: string, size: number, tar: AsyncIterable<Uint8Array>, options: AbortOptions = {}): Promise<void> {
    const id = await this.checkWrite(owner, ref, directory, size, options)
    const target = { id, name: this.init.containers.target(owner, ref, false).name }
    const release = this.copies.take(owner)
    try {
      const source = Readable.from(this.counted(tar, this.init.policy.maxCopyBytes, bytes => { this.copied(owner, target, 'in', directory, bytes) }), { objectMode: false })
      await this.engine(async () => this.init.runtime.putArchive(id, checkedPath(directory), source, options), 'writing the files')
    } finally {
      release()
    }
  }

  /**
   * Downloads a URL (a job's input from the web) to a file in the container, under
   * policy.allowFetchHosts and the copy limit; parent directories are made. Returns the bytes.
   */
  async fetchInto (owner: string | null, ref: string, url: string, path: string, options: AbortOptions = {}): Promise<number> {
    const { policy, runtime, containers } = this.init
    if (owner != null) admitAccess(owner, 'copy', policy)
    checkFetchUrl(url, policy)
    const target = checkedPath(path)
    if (target === '/') throw new InvalidArgumentError('a download goes to a file path, not /')
    const found = containers.target(owner, ref, false)
    const { id } = found
    const release = this.copies.take(owner)
    try {
      const fetched = await fetchToFile(url, policy, options)
      try {
        const tar = await import('tar')
        const packed = tar.c({ cwd: dirname(fetched.file), portable: true, onWriteEntry: (entry: { path: string }) => { entry.path = target.slice(1) } }, ['input']) as unknown as AsyncIterable<Uint8Array>
        await this.engine(async () => runtime.putArchive(id, '/', Readable.from(packed), options), 'writing the files')
      } finally {
        await fetched.cleanup()
      }
      this.copied(owner, found, 'fetch', target, fetched.bytes)
      return fetched.bytes
    } finally {
      release()
    }
  }

  /** Counts a copy's bytes as they pass, failing past the limit; `done` gets them once it ends either way. */
  private async * counted (source: AsyncIterable<Uint8Array>, max: number, done: (bytes: number) => void): AsyncGenerator<Uint8Array> {
    let bytes = 0
    try {
      for await (const chunk of source) {
        bytes += chunk.byteLength
        if (bytes > max) throw overLimit(bytes, max)
        yield chunk
      }
    } catch (err) {
      throw this.failure(err, 'copying')
    } finally {
      done(bytes)
    }
  }

  private async engine<T> (fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw this.failure(err, what)
    }
  }

  private failure (err: unknown, what: string): unknown {
    return engineFailure(this.init.log, err, what)
  }
}

/** `fn`, called once at most: later calls do nothing. */
function once<T> (fn: (value: T) => void): (value: T) => void {
  let called = false
  return value => {
    if (called) return
    called = true
    fn(value)
  }
}

function overLimit (bytes: number, max: number): PolicyRefusedError {
  return new PolicyRefusedError(`the copy is ${formatBytes(bytes)}, more than this node allows in one copy (${formatBytes(max)}, policy.maxCopyBytes)`)
}

function checkedPath (path: string): string {
  if (path.length === 0 || path.length > MAX_PATH || !path.startsWith('/') || path.includes('\0')) throw new InvalidArgumentError('a path in the container is absolute (starts with /)')
  return posix.normalize(path)
}

/** Sessions held per requester and in all; the operator (null) is never held back by guests. */
class SessionCounts {
  private readonly held = new Map<string, number>()
  private total = 0

  constructor (private readonly what: string, private readonly perPeer: number, private readonly max: number) {}

  take (owner: string | null): () => void {
    if (owner == null) return () => {}
    const mine = this.held.get(owner) ?? 0
    if (mine >= this.perPeer) throw new PolicyRefusedError(`you already have ${mine} ${this.what} under way on this node, its limit`)
    if (this.total >= this.max) throw new PolicyRefusedError(`this node has ${this.total} ${this.what} under way, its limit; try again later`)
    this.held.set(owner, mine + 1)
    this.total++
    let released = false
    return () => {
      if (released) return
      released = true
      this.total--
      const left = (this.held.get(owner) ?? 1) - 1
      if (left > 0) this.held.set(owner, left)
      else this.held.delete(owner)
    }
  }
}

/** The engine's own words when it cannot start a command, as the command's first output. */
const ENGINE_EXEC_FAILURE = /^OCI runtime exec failed/

/**
 * An engine command as a guest sees it: the engine's refusal to start it (a missing or
 * non-executable file, said in the engine's words on the command's output) becomes our one line
 * on stderr; failures become typed errors; `ended` (the slot given back, the end logged) runs when it ends.
 */
class GuardedExec implements ExecSession {
  readonly output: AsyncIterable<LogChunk>

  private closed = false

  /**
   * `signals`: whether signals reach the command. gVisor's exec does not pass on the signals its
   * host process gets (it dies of them, and the command runs on in the sandbox), so under runsc a
   * signal is refused rather than sent; with a terminal, Ctrl-C is a byte and works everywhere.
   */
  constructor (private readonly process: ExecSession, private readonly how: { command: string, signals: boolean }, private readonly ended: (exitCode: number | null) => void, private readonly failure: (err: unknown) => unknown) {
    this.output = this.read()
  }

  private async * read (): AsyncGenerator<LogChunk> {
    let first = true
    try {
      for await (const chunk of this.process.output) {
        if (first && ENGINE_EXEC_FAILURE.test(Buffer.from(chunk.data.subarray(0, 64)).toString('latin1'))) {
          const why = /permission denied/i.test(Buffer.from(chunk.data).toString('utf8')) ? 'is not executable' : 'was not found'
          yield { stream: 'stderr', data: Buffer.from(`p2prc: ${this.how.command.slice(0, 200)} ${why} in the container\n`) }
          // The rest of the engine's words go nowhere.
          for await (const _ of this.process.output) continue
          return
        }
        first = false
        yield chunk
      }
    } catch (err) {
      // Closed by its session: the broken connection is the close, not a failure to report.
      if (this.closed) return
      throw this.failure(err)
    }
  }

  async write (data: Uint8Array): Promise<void> { await this.process.write(data) }
  async endInput (): Promise<void> { await this.process.endInput() }

  async resize (size: { rows: number, cols: number }): Promise<void> {
    await this.process.resize(size).catch(err => { throw this.failure(err) })
  }

  async signal (signal: Parameters<ExecSession['signal']>[0]): Promise<void> {
    if (!this.how.signals) throw new PolicyRefusedError('signals do not reach commands without a terminal under gVisor (runsc) on this node; with -t, Ctrl-C does')
    await this.process.signal(signal).catch(err => {
      // A daemon that may not signal the engine's processes (not root): said plainly.
      if (err?.code === 'EPERM') throw new PolicyRefusedError('this node cannot signal commands in containers (its daemon may not signal the engine\'s processes)')
      throw this.failure(err)
    })
  }

  async wait (): Promise<number> {
    let exitCode: number | null = null
    try {
      exitCode = await this.process.wait()
      return exitCode
    } catch (err) {
      throw this.failure(err)
    } finally {
      this.ended(exitCode)
    }
  }

  /** Ends the session; a command closed before its exit code was read ends with none. */
  close (): void {
    this.closed = true
    this.process.close()
    this.ended(null)
  }
}
