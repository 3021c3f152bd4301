import { InvalidArgumentError, NotFoundError } from '../errors.js'
import { abortError, destroyOnAbort, isAborted, raceAbort, throwIfAborted } from './abort.js'
import { CLEANUP_TIMEOUT, CREATE_TIMEOUT } from './constants.js'
import { toContainerInfo } from './container-info.js'
import { ContainerConflictError, ContainerNotFoundError, toRuntimeError } from './errors.js'
import { jsonLines } from './json-lines.js'
import { ExecProcess } from './exec-process.js'
import { demuxLogFrames } from './logs.js'
import { PATH_STAT_HEADER, parsePathStat } from './path-stat.js'
import { toPullProgress } from './pull-progress.js'
import { buildCreateOptions } from './security.js'
import { hasPreviousCpu, isStoppedSample, toStatsSample, toUsageSample } from './stats.js'
import { assertContainerReference, assertImageReference, assertNetworkSpec } from './validate.js'
import type { DockerSubject } from './errors.js'
import type { PullEvent } from './pull-progress.js'
import type { DockerCpuStats, DockerStats } from './stats.js'
import type { AbortOptions, ContainerEvent, ContainerInfo, ContainerSpec, ExecCommand, LogChunk, LogOptions, NetworkSpec, PathStat, PullProgress, StatsSample, UsageSample } from './types.js'
import type { IncomingMessage } from 'node:http'
import type { Duplex, Readable } from 'node:stream'
import type Docker from 'dockerode'
import type DockerModem from 'docker-modem'

const CONTAINER: DockerSubject = { kind: 'container' }
const IMAGE: DockerSubject = { kind: 'image' }
const NETWORK: DockerSubject = { kind: 'network' }

/**
 * The only module that talks to Docker. Every call honours `options.signal`; the streaming ones
 * (statsStream, logs) end quietly when it aborts, the others reject with an AbortError. Docker's
 * failures arrive as the typed errors of errors.ts.
 */
export class DockerRuntime {
  constructor (private readonly docker: Docker) {}

  async imageExists (image: string, options: AbortOptions = {}): Promise<boolean> {
    assertImageReference(image)
    try {
      // Image.inspect in dockerode drops abortSignal, so the request is dialled directly.
      await this.dial({ path: `/images/${image}/json`, method: 'GET', statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } }, options.signal)
      return true
    } catch (err) {
      const mapped = toRuntimeError(err, IMAGE)
      if (mapped instanceof Error && mapped.name === 'ImageNotFoundError') return false
      throw mapped
    }
  }

  /** Pulls an image, reporting the engine's progress lines; resolves once the image is present. */
  async pull (image: string, onProgress: (p: PullProgress) => void, options: AbortOptions = {}): Promise<void> {
    assertImageReference(image)
    const { signal } = options
    const subject: DockerSubject = { kind: 'pull', image }
    const stream = await this.call(subject, signal, async () => this.docker.pull(image, { abortSignal: signal }) as Promise<Readable>)
    const stopListening = destroyOnAbort(stream, signal)
    try {
      // A failure after the stream began (unknown tag, registry refused) is a line with `error`,
      // not an HTTP status; the stream then ends normally.
      for await (const event of jsonLines<PullEvent>(stream)) {
        if (event.error != null) throw new Error(event.errorDetail?.message ?? event.error)
        onProgress(toPullProgress(event))
      }
    } catch (err) {
      if (isAborted(signal)) throw abortError(signal)
      throw toRuntimeError(err, subject)
    } finally {
      stopListening()
      stream.destroy()
    }
  }

  /**
   * Creates and starts a container (only creates it with `hold`) with the hardening of
   * security.ts. On any failure, abort included, the created container is removed before this
   * rejects: nothing is left behind.
   */
  async run (spec: ContainerSpec, options: AbortOptions = {}): Promise<ContainerInfo> {
    const createOptions = buildCreateOptions(spec)
    const { signal } = options
    throwIfAborted(signal)
    const creating = this.docker.createContainer({ ...createOptions, abortSignal: AbortSignal.timeout(CREATE_TIMEOUT) })
    let id: string
    try {
      id = (await raceAbort(creating, signal)).id
    } catch (err) {
      if (isAborted(signal)) {
        // The create goes on without us; whatever it makes is removed as soon as it exists.
        creating.then(async container => this.discard(container.id)).catch(() => {})
        throw abortError(signal)
      }
      throw toRuntimeError(err, IMAGE)
    }
    try {
      if (spec.hold !== true) await this.call(CONTAINER, signal, async () => this.docker.getContainer(id).start({ abortSignal: signal }))
      return await this.inspect(id, options)
    } catch (err) {
      const cleanupError = await this.discard(id)
      if (cleanupError != null && err instanceof Error) err.message += ` (and the created container ${id} could not be removed: ${cleanupError.message})`
      throw err
    }
  }

  async inspect (id: string, options: AbortOptions = {}): Promise<ContainerInfo> {
    assertContainerReference(id)
    const raw = await this.call(CONTAINER, options.signal, async () => this.docker.getContainer(id).inspect({ abortSignal: options.signal }))
    return toContainerInfo(raw)
  }

  /** Containers in any state carrying every one of the labels (at least one is required). */
  async list (labels: Record<string, string>, options: AbortOptions = {}): Promise<ContainerInfo[]> {
    const filter = Object.entries(labels).map(([key, value]) => `${key}=${value}`)
    // Without a label this would list, and let callers act on, containers that are not ours.
    if (filter.length === 0) throw new InvalidArgumentError('list needs at least one label to filter by')
    const found = await this.call(CONTAINER, options.signal, async () =>
      this.docker.listContainers({ all: true, filters: { label: filter }, abortSignal: options.signal } as Docker.ContainerListOptions))
    // The list lacks the limits, so each one is inspected; one removed in between is skipped.
    const infos = await Promise.all(found.map(async c => this.inspect(c.Id, options).catch(err => {
      if (err instanceof ContainerNotFoundError) return null
      throw err
    })))
    return infos.filter((info): info is ContainerInfo => info != null).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id))
  }

  /**
   * The ID and state of every container with these labels, in one engine call (no inspect):
   * enough to tell what changed since the last look.
   */
  async summaries (labels: Record<string, string>, options: AbortOptions = {}): Promise<Array<{ id: string, state: string }>> {
    const filter = Object.entries(labels).map(([key, value]) => `${key}=${value}`)
    if (filter.length === 0) throw new InvalidArgumentError('summaries needs at least one label to filter by')
    const found = await this.call(CONTAINER, options.signal, async () =>
      this.docker.listContainers({ all: true, filters: { label: filter }, abortSignal: options.signal } as Docker.ContainerListOptions))
    return found.map(c => ({ id: c.Id, state: c.State }))
  }

  /** One sample; it takes about a second, the engine's interval between two CPU readings. */
  async stats (id: string, options: AbortOptions = {}): Promise<StatsSample> {
    assertContainerReference(id)
    const { signal } = options
    const raw = await this.call(CONTAINER, signal, async () =>
      this.docker.getContainer(id).stats({ stream: false, abortSignal: signal } as { stream: false })) as DockerStats
    if (isStoppedSample(raw) || hasPreviousCpu(raw)) return toStatsSample(raw.id ?? id, raw)
    // An engine that leaves precpu_stats empty here: the stream's second reading has the delta.
    for await (const sample of this.statsStream(id, options)) return sample
    throwIfAborted(signal)
    return toStatsSample(raw.id ?? id, raw)
  }

  /** One sample a second from the engine's stream; ends when the container stops or on abort. */
  async * statsStream (id: string, options: AbortOptions = {}): AsyncGenerator<StatsSample> {
    let previous: DockerCpuStats | undefined
    for await (const raw of this.rawStats(id, options)) {
      // The first sample of a stream has no previous CPU reading: it would read 0 %.
      if (hasPreviousCpu(raw) || previous != null) yield toStatsSample(raw.id ?? id, raw, previous)
      previous = raw.cpu_stats
    }
  }

  /**
   * The engine's running totals for a container, about once a second (the engine's collection
   * interval) while it runs; ends when it stops or on abort.
   */
  async * usageStream (id: string, options: AbortOptions = {}): AsyncGenerator<UsageSample> {
    for await (const raw of this.rawStats(id, options)) yield toUsageSample(raw)
  }

  /** The engine's stats stream of a running container, as it sends it; ends when it stops or on abort. */
  private async * rawStats (id: string, options: AbortOptions): AsyncGenerator<DockerStats> {
    assertContainerReference(id)
    const { signal } = options
    if (isAborted(signal)) return
    let stream: Readable
    try {
      stream = await this.call(CONTAINER, signal, async () =>
        this.docker.getContainer(id).stats({ stream: true, abortSignal: signal } as { stream: true }) as Promise<Readable>)
    } catch (err) {
      if (isAborted(signal)) return
      throw err
    }
    yield * this.readStream(stream, signal, async function * (source) {
      for await (const raw of jsonLines<DockerStats>(source)) {
        // A stopped container's stream goes on with zeroed samples; that is its end for us.
        if (isStoppedSample(raw)) return
        yield raw
      }
    })
  }

  /**
   * The container's output, demultiplexed, in order. With follow it ends when the container
   * exits; without, once the stored log is read; either way quietly on abort.
   */
  async * logs (id: string, opts: LogOptions, options: AbortOptions = {}): AsyncGenerator<LogChunk> {
    assertContainerReference(id)
    if (opts.tail !== 'all' && (!Number.isSafeInteger(opts.tail) || opts.tail < 0)) {
      throw new InvalidArgumentError(`invalid tail ${opts.tail}: expected 'all' or a number of lines`)
    }
    const { signal } = options
    if (isAborted(signal)) return
    const query = { stdout: true, stderr: true, follow: opts.follow, tail: String(opts.tail), timestamps: opts.timestamps === true }
    let stream: Readable
    try {
      // Dialled as a stream even without follow: dockerode would buffer the whole log, and parse
      // it as JSON when it happens to be valid JSON.
      stream = await this.call(CONTAINER, signal, async () => this.dial({
        path: `/containers/${id}/logs?`,
        method: 'GET',
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query
      }, signal) as Promise<Readable>)
    } catch (err) {
      if (isAborted(signal)) return
      throw err
    }
    yield * this.readStream(stream, signal, demuxLogFrames)
  }

  /**
   * The writable layer of each container with these labels, in bytes (what `docker ps --size`
   * shows as size). The engine measures it on request, which costs it a walk of each layer: call
   * it seldom.
   */
  async writableSizes (labels: Record<string, string>, options: AbortOptions = {}): Promise<Map<string, number>> {
    const filter = Object.entries(labels).map(([key, value]) => `${key}=${value}`)
    if (filter.length === 0) throw new InvalidArgumentError('writableSizes needs at least one label to filter by')
    const found = await this.call(CONTAINER, options.signal, async () =>
      this.docker.listContainers({ all: true, size: true, filters: { label: filter }, abortSignal: options.signal } as Docker.ContainerListOptions))
    return new Map(found.map(c => [c.Id, (c as { SizeRw?: number }).SizeRw ?? 0]))
  }

  /**
   * The engine's events about containers with these labels, as they happen, until the signal
   * aborts (then it ends quietly) or the engine goes away (then it throws).
   */
  async * events (labels: Record<string, string>, options: AbortOptions = {}): AsyncGenerator<ContainerEvent> {
    const { signal } = options
    if (isAborted(signal)) return
    const filters = { type: ['container'], label: Object.entries(labels).map(([key, value]) => `${key}=${value}`) }
    let stream: Readable
    try {
      stream = await this.call(CONTAINER, signal, async () => this.docker.getEvents({ filters, abortSignal: signal } as object) as Promise<Readable>)
    } catch (err) {
      if (isAborted(signal)) return
      throw err
    }
    yield * this.readStream(stream, signal, async function * (source) {
      for await (const event of jsonLines<{ id?: string, Action?: string, status?: string }>(source)) {
        if (event.id != null) yield { id: event.id, action: event.Action ?? event.status ?? '' }
      }
    })
  }

  /** Creates a network unless one of that name exists; its bridge gets the name the firewall matches. */
  async ensureNetwork (spec: NetworkSpec, options: AbortOptions = {}): Promise<void> {
    assertNetworkSpec(spec)
    const existing = await this.call(NETWORK, options.signal, async () =>
      this.docker.listNetworks({ filters: { name: [spec.name] }, abortSignal: options.signal } as object))
    if (existing.some(n => n.Name === spec.name)) return
    try {
      await this.call(NETWORK, options.signal, async () => this.docker.createNetwork({
        Name: spec.name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Labels: { ...spec.labels },
        // The bridge is named, so that firewall rules can match every guest network by prefix.
        Options: { 'com.docker.network.bridge.name': spec.bridge, 'com.docker.network.bridge.enable_icc': 'true' },
        abortSignal: options.signal
      } as Docker.NetworkCreateOptions))
    } catch (err) {
      // Made by a concurrent run for the same owner meanwhile: just as good.
      if (!(err instanceof ContainerConflictError)) throw err
    }
  }

  /** Removes a network; one still in use or already gone is left as it is (answers false). */
  async removeNetwork (name: string, options: AbortOptions = {}): Promise<boolean> {
    try {
      await this.call(NETWORK, options.signal, async () => this.docker.getNetwork(name).remove({ abortSignal: options.signal }))
      return true
    } catch (err) {
      if (err instanceof NotFoundError || err instanceof ContainerConflictError || (err as { statusCode?: number }).statusCode === 403) return false
      throw err
    }
  }

  /** The names of the networks with every one of these labels. */
  async listNetworks (labels: Record<string, string>, options: AbortOptions = {}): Promise<string[]> {
    const label = Object.entries(labels).map(([key, value]) => `${key}=${value}`)
    if (label.length === 0) throw new InvalidArgumentError('listNetworks needs at least one label to filter by')
    const found = await this.call(NETWORK, options.signal, async () => this.docker.listNetworks({ filters: { label }, abortSignal: options.signal } as object))
    return found.map(n => n.Name)
  }

  /**
   * Starts a command in a running container on a connection of its own (`docker exec`). The
   * caller reads its output to the end, then waits for its exit code; closing the session ends a
   * command that still runs.
   */
  async exec (id: string, spec: ExecCommand, options: AbortOptions = {}): Promise<ExecProcess> {
    assertContainerReference(id)
    const { signal } = options
    const exec = await this.call(CONTAINER, signal, async () => this.docker.getContainer(id).exec({
      Cmd: spec.cmd,
      Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
      WorkingDir: spec.workdir ?? undefined,
      User: spec.user ?? undefined,
      Tty: spec.tty,
      AttachStdin: spec.stdin,
      AttachStdout: true,
      AttachStderr: true,
      abortSignal: signal
    } as Docker.ExecCreateOptions))
    const socket = await this.call(CONTAINER, signal, async () => exec.start({ hijack: true, stdin: spec.stdin, Tty: spec.tty, abortSignal: signal } as Docker.ExecStartOptions) as Promise<Duplex>)
    const session = new ExecProcess(exec, socket, spec.tty)
    // Without input the command must read end of file, not wait on a connection that stays open.
    if (!spec.stdin) await session.endInput()
    if (spec.tty && spec.size != null) await session.resize(spec.size).catch(() => {})
    return session
  }

  /** What a path in a container is (`docker cp`'s stat); a ContainerNotFoundError names a missing path too. */
  async statPath (id: string, path: string, options: AbortOptions = {}): Promise<PathStat | null> {
    assertContainerReference(id)
    try {
      const response = await this.call(CONTAINER, options.signal, async () => this.docker.getContainer(id).infoArchive({ path, abortSignal: options.signal }) as Promise<IncomingMessage>)
      response.resume()
      return parsePathStat(response.headers[PATH_STAT_HEADER])
    } catch (err) {
      // 404 is both "no such container" and "no such path"; the caller knows the container exists.
      if (err instanceof ContainerNotFoundError) return null
      throw err
    }
  }

  /** A path in a container as a tar stream (the engine's archive API), read at the reader's pace. */
  async getArchive (id: string, path: string, options: AbortOptions = {}): Promise<Readable> {
    assertContainerReference(id)
    return this.call(CONTAINER, options.signal, async () => this.docker.getContainer(id).getArchive({ path, abortSignal: options.signal }) as Promise<Readable>)
  }

  /**
   * Extracts a tar stream into a directory of a container. A directory is never replaced by a
   * file or the other way round (`noOverwriteDirNonDir`, as `docker cp` does).
   */
  async putArchive (id: string, directory: string, tar: Readable, options: AbortOptions = {}): Promise<void> {
    assertContainerReference(id)
    await this.call(CONTAINER, options.signal, async () => this.docker.getContainer(id).putArchive(tar, { path: directory, noOverwriteDirNonDir: true, abortSignal: options.signal } as any))
  }

  /** Starts a container created with `hold`. */
  async start (id: string, options: AbortOptions = {}): Promise<ContainerInfo> {
    assertContainerReference(id)
    await this.call(CONTAINER, options.signal, async () => this.docker.getContainer(id).start({ abortSignal: options.signal }))
    return this.inspect(id, options)
  }

  /** Force-removes the container (a running one is killed) and its anonymous volumes. */
  async remove (id: string, options: AbortOptions = {}): Promise<void> {
    assertContainerReference(id)
    await this.call(CONTAINER, options.signal, async () =>
      this.docker.getContainer(id).remove({ force: true, v: true, abortSignal: options.signal }))
  }

  /** Runs one engine call, turning its failure into the typed error for what it was about. */
  private async call<T> (subject: DockerSubject, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    throwIfAborted(signal)
    try {
      return await fn()
    } catch (err) {
      if (isAborted(signal)) throw abortError(signal)
      throw toRuntimeError(err, subject)
    }
  }

  /**
   * Reads a container's response stream through a parser, destroying it on abort or when the
   * reader stops early. An abort ends the iteration quietly; other failures are typed.
   */
  private async * readStream<T> (stream: Readable, signal: AbortSignal | undefined, parse: (source: AsyncIterable<Uint8Array>) => AsyncGenerator<T>): AsyncGenerator<T> {
    const stopListening = destroyOnAbort(stream, signal)
    try {
      yield * parse(stream)
    } catch (err) {
      if (isAborted(signal)) return
      throw toRuntimeError(err, CONTAINER)
    } finally {
      stopListening()
      stream.destroy()
    }
  }

  private async dial (options: DockerModem.DialOptions, signal: AbortSignal | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.docker.modem.dial({ ...options, abortSignal: signal }, (err, result) => {
        if (err != null) reject(err)
        else resolve(result)
      })
    })
  }

  /**
   * Removes a container this runtime must not leave behind, under its own deadline. Returns why
   * it could not, or null; one already gone counts as removed.
   */
  private async discard (id: string): Promise<Error | null> {
    try {
      await this.remove(id, { signal: AbortSignal.timeout(CLEANUP_TIMEOUT) })
      return null
    } catch (err) {
      if (err instanceof ContainerNotFoundError) return null
      return err instanceof Error ? err : new Error(String(err))
    }
  }
}
