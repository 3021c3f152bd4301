import '../polyfill.js'
import { logger } from '@libp2p/logger'
import { DashboardSessions } from '../api/dashboard/sessions.js'
import { startApi } from '../api/server.js'
import { loadOrCreateToken } from '../api/token.js'
import { createNode } from '../core/create-node.js'
import { Jobs } from '../jobs/index.js'
import { removeNodeInfo, writeNodeInfo } from './node-info-file.js'
import type { ApiServer } from '../api/server.js'
import type { NodeOptions } from '../core/create-node.js'
import type { P2PRCNode } from '../core/p2prc-node.js'

const log = logger('p2prc:daemon')

/** A stop that has not finished in this time is cut short: the process must not linger. */
const STOP_DEADLINE = 10_000

export interface Daemon {
  node: P2PRCNode
  /** The jobs this node drives as a client. */
  jobs: Jobs
  api: ApiServer
  stop(): Promise<void>
}

/** Starts a node and its control API, and announces them in DATA_DIR/node.json. */
export async function startDaemon (options: NodeOptions): Promise<Daemon> {
  // Outlives node restarts (a swarm join), so the dashboard stays logged in through them.
  const sessions = new DashboardSessions()
  let stopping: Promise<void> | undefined
  let restarting: Promise<void> | undefined
  const daemon: Daemon = {
    // Set below, before anything can use them.
    node: undefined as unknown as P2PRCNode,
    jobs: undefined as unknown as Jobs,
    api: undefined as unknown as ApiServer,
    stop: async () => {
      stopping ??= (async () => {
        await restarting?.catch(() => {})
        await removeNodeInfo(daemon.node.config.dataDir)
        await daemon.api.close()
        daemon.jobs.stop()
        await daemon.node.stop()
        log('daemon stopped')
      })()
      return stopping
    }
  }

  /** A node and its API on `listen`, announced in node.json. */
  const bringUp = async (listen?: string): Promise<void> => {
    // The node claims the data dir: a second daemon on it fails here, before it touches anything.
    const node = await createNode(options)
    await node.start()
    const jobs = new Jobs({ node, dataDir: node.config.dataDir })
    try {
      await jobs.start()
      const token = await loadOrCreateToken(node.config.dataDir)
      daemon.api = await startApi({ node, jobs, token, sessions, listen: listen ?? node.config.api, restartNode })
    } catch (err) {
      jobs.stop()
      await node.stop()
      throw err
    }
    daemon.node = node
    daemon.jobs = jobs
    await writeNodeInfo(node.config.dataDir, { peerId: node.peerId, multiaddrs: node.multiaddrs, api: daemon.api.url, pid: process.pid })
  }

  /**
   * Replaces the node with a new one on the same data dir and the API on the same address, for
   * what changes the node itself (joining a swarm). Containers are taken back as after any
   * restart. If the new node cannot start, the daemon stops rather than run half.
   */
  const restartNode = async (): Promise<void> => {
    if (stopping != null) return
    restarting ??= (async () => {
      const bound = daemon.api.bound
      log('restarting the node')
      await daemon.api.close()
      daemon.jobs.stop()
      await daemon.node.stop()
      try {
        await bringUp(bound)
      } catch (err: any) {
        log.error('the node did not come back: %s', err.message)
        process.kill(process.pid, 'SIGTERM')
      }
    })().finally(() => { restarting = undefined })
    return restarting
  }

  await bringUp()
  return daemon
}

/**
 * Runs the daemon until SIGINT or SIGTERM, then stops it cleanly. A second signal, or a stop that
 * hangs, ends the process at once.
 */
export async function runDaemon (options: NodeOptions, print: (line: string) => void): Promise<void> {
  // Listen for signals before node.json announces the daemon: a tool that stops it the moment it
  // is ready must get a clean stop, not Node's default of dying on the signal.
  let requested: NodeJS.Signals | undefined
  let onStopRequest: ((signal: NodeJS.Signals) => void) | undefined
  const onSignal = (signal: NodeJS.Signals): void => {
    if (onStopRequest != null) onStopRequest(signal)
    else requested ??= signal
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  let daemon: Daemon
  try {
    daemon = await startDaemon(options)
  } catch (err) {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    throw err
  }
  const { node, api } = daemon
  print(`p2prc node ${node.peerId} ready`)
  print(`  name:    ${node.config.name}`)
  for (const ma of node.multiaddrs) print(`  listen:  ${ma}`)
  print(`  api:     ${api.url} (token in ${node.config.dataDir}/api.token)`)
  print(node.compute.available
    ? `  docker:  engine ${node.engine.version ?? '?'}: this node offers compute`
    : `  docker:  not available (${node.compute.reason ?? 'unknown'}): running as a client-only node`)
  const swarm = node.swarm
  if (swarm != null) print(`  swarm:   ${swarm.swarmId} (${swarm.role}, ${swarm.status})`)

  await new Promise<void>(resolve => {
    onStopRequest = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      process.once('SIGINT', () => process.exit(130))
      process.once('SIGTERM', () => process.exit(143))
      print(`received ${signal}, stopping`)
      setTimeout(() => {
        print('stop took too long; exiting')
        process.exit(1)
      }, STOP_DEADLINE).unref()
      daemon.stop().then(resolve, err => {
        print(`error while stopping: ${err.message}`)
        process.exitCode = 1
        resolve()
      })
    }
    if (requested != null) onStopRequest(requested)
  })
}
