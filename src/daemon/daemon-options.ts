import { Option } from 'commander'
import { parseKeyValue } from '../units/index.js'
import type { NodeOptions } from '../core/create-node.js'
import type { Command } from 'commander'

const collect = (value: string, previous: string[] = []): string[] => [...previous, value]

/** The daemon's flags, shared by `node dist/node.js` and `p2prc start`. */
export function addDaemonOptions (command: Command): Command {
  return command
    .option('--data-dir <dir>', 'identity, config and state (env P2PRC_DATA_DIR; default ~/.p2prc)')
    .option('--config <file>', 'JSON config file (default DATA_DIR/config.json when present)')
    .option('--listen <multiaddr>', 'libp2p listen address; repeatable (default /ip4/0.0.0.0/tcp/4001 and /ip6/::/tcp/4001)', collect)
    .option('--bootstrap <multiaddr>', 'peer to join the network through, with /p2p/<id>; repeatable', collect)
    .option('--api <host:port>', 'control API address, loopback by default (port 0 picks a free one)')
    .option('--name <text>', 'human-readable name advertised to peers (default: hostname)')
    .option('--label <key=value>', 'label advertised to peers; repeatable', collect)
    .addOption(new Option('--mdns', 'discover peers on the LAN with mDNS'))
    .addOption(new Option('--no-mdns', 'no LAN discovery (the default)'))
    .addOption(new Option('--relay', 'relay connections for peers behind NAT (circuit relay v2, limits in config relay)'))
    .addOption(new Option('--upnp', 'ask the LAN router for a port mapping (UPnP; multicasts on the LAN)'))
    .option('--docker <url>', 'Docker engine (default: env DOCKER_HOST or unix:///var/run/docker.sock)')
    .option('--no-docker', 'offer no compute: a client-only node')
}

export interface DaemonFlags {
  dataDir?: string
  config?: string
  listen?: string[]
  bootstrap?: string[]
  api?: string
  name?: string
  label?: string[]
  mdns?: boolean
  relay?: boolean
  upnp?: boolean
  docker?: string | boolean
}

export class FlagError extends Error {
  override name = 'FlagError'
}

/** Commander's parsed flags -> node options; config validation then checks every value. */
export function flagsToNodeOptions (flags: DaemonFlags): NodeOptions {
  const labels = flags.label == null
    ? undefined
    : Object.fromEntries(flags.label.map(text => {
      const pair = parseKeyValue(text)
      if (pair == null) throw new FlagError(`--label '${text}': expected KEY=VALUE`)
      return pair
    }))
  return {
    dataDir: flags.dataDir,
    configFile: flags.config,
    listen: flags.listen,
    bootstrap: flags.bootstrap,
    api: flags.api,
    name: flags.name,
    labels,
    mdns: flags.mdns,
    relay: flags.relay === true ? { serve: true } : undefined,
    nat: flags.upnp === true ? { upnp: true } : undefined,
    // --no-docker leaves `false`; --docker URL a string; neither, `true` (commander's default).
    docker: flags.docker === false ? null : typeof flags.docker === 'string' ? flags.docker : undefined
  }
}
