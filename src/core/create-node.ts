import { mkdir } from 'node:fs/promises'
import { defaultLogger } from '@libp2p/logger'
import { loadConfig } from '../config/load-config.js'
import { createHost } from '../host/create-host.js'
import { loadIdentity } from '../identity/load-identity.js'
import { createMetricsRegistry } from '../metrics/index.js'
import { dhtSelectors, dhtValidators } from '../records/index.js'
import { dockerClient } from '../runtime/docker-engine.js'
import { DockerRuntime } from '../runtime/index.js'
import { loadSwarm, Swarm } from '../swarm/index.js'
import { DataDirLock } from './data-dir-lock.js'
import { localProbe } from './local-probe.js'
import { P2PRCNode } from './p2prc-node.js'
import type { ConfigInput } from '../config/schema.js'

export interface NodeOptions extends ConfigInput {
  /** Identity, config and state. @default env P2PRC_DATA_DIR or ~/.p2prc */
  dataDir?: string
  /** A JSON config file; without it DATA_DIR/config.json is read when present. */
  configFile?: string
  /** Environment to read P2PRC_DATA_DIR and DOCKER_HOST from. @default process.env */
  env?: Record<string, string | undefined>
}

/**
 * Creates a node from options (the same fields as the config file, plus dataDir/configFile):
 * loads config and identity, claims the data dir (a daemon or another program already running on
 * it is an error) and builds the libp2p host. Call `start()` to join the network.
 */
export async function createNode (options: NodeOptions = {}): Promise<P2PRCNode> {
  const { dataDir, configFile, env, ...flags } = options
  const config = await loadConfig({ dataDir, configFile, env, flags })
  // The data dir is claimed first: a second node on it stops here, before it touches the identity.
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  const lock = new DataDirLock(config.dataDir)
  await lock.acquire()
  try {
    const privateKey = await loadIdentity(config.dataDir)
    const metrics = createMetricsRegistry()
    const logger = defaultLogger()
    const stored = await loadSwarm(config.dataDir)
    const swarm = stored != null ? await Swarm.open({ dataDir: config.dataDir, stored, nodeKey: privateKey, log: logger.forComponent('p2prc:swarm') }) : null
    const host = await createHost({
      privateKey,
      logger,
      // A swarm member joins through the members its invite named, and holds a reservation on
      // the swarm's relays so that members can reach it behind NAT.
      listen: [...config.listen, ...(swarm?.relays ?? []).map(relay => `${relay}/p2p-circuit`)],
      bootstrap: [...new Set([...config.bootstrap, ...(swarm?.bootstrap ?? [])])],
      swarm: swarm != null ? { id: swarm.swarmId, handshake: swarm } : undefined,
      mdns: config.mdns,
      relay: config.relay,
      nat: config.nat,
      connections: config.connections,
      // libp2p's own metrics go to the node's registry only when asked for (config libp2pMetrics).
      metricsRegistry: config.libp2pMetrics ? metrics : undefined,
      dhtValidators: { ...dhtValidators, ...swarm?.dhtRules().validators },
      dhtSelectors: { ...dhtSelectors, ...swarm?.dhtRules().selectors },
      colocationWhitelist: config.colocationWhitelist
    })
    // A swarm's client members host nothing.
    const docker = config.docker != null && swarm?.role !== 'client' ? dockerClient(config.docker) : null
    return new P2PRCNode({
      config,
      host,
      privateKey,
      metrics,
      probe: localProbe(docker, config.sysfs),
      runtime: docker != null ? new DockerRuntime(docker) : null,
      swarm,
      lock
    })
  } catch (err) {
    await lock.release()
    throw err
  }
}
