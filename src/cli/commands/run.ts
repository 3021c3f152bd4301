import { CommandWordsCommand } from '../command-words.js'
import type { Command } from 'commander'
import { CliContext } from '../context.js'
import { collect, duration, gpus, keyValue, keyValues, port, positiveNumber, size } from '../options.js'
import { PullProgressBar } from '../progress-bar.js'
import type { RunSpec } from '../../contract/index.js'

interface RunFlags {
  cpus?: number
  memory?: string
  gpus?: number | 'all'
  env?: string[]
  publish?: number[]
  ttl?: string
  name?: string
  label?: string[]
  runtime?: string
}

export function runCommand (): Command {
  return new CommandWordsCommand('run', 2)
    .description('start a container on a peer (PEER: ID, prefix, name, or `auto` for the best that fits) and wait until it runs')
    .argument('<peer>', 'where to run it, or auto')
    .argument('<image>', 'the image, e.g. busybox or registry:5000/team/app:1.2')
    .argument('[cmd...]', 'command and arguments: everything after the image\'s first word is the command\'s (as docker run); our options go before it, or before --')
    .option('--cpus <n>', 'CPU limit, e.g. 0.5 or 2 (default: the host\'s, usually 1)', positiveNumber)
    .option('--memory <size>', 'memory limit, e.g. 512m, 2g (default: the host\'s, usually 512m)', size)
    .option('--gpus <n|all>', 'GPUs to give the container', gpus)
    .option('-e, --env <key=value>', 'environment variable; repeatable', (v: string, p: string[]) => collect(keyValue(v), p))
    .option('-p, --publish <port>', 'container TCP port to publish; repeatable', port)
    .option('--ttl <duration>', 'time limit, e.g. 90s, 30m, 2h (default: the host\'s, usually 1h)', duration)
    .option('--name <name>', 'a name for the container')
    .option('--label <key=value>', 'with auto: only peers with this label; repeatable', (v: string, p: string[]) => collect(keyValue(v), p))
    .option('--runtime <name>', 'with auto: only peers whose guests run under this runtime (e.g. runsc, gVisor)')
    .action(async (peer: string, image: string, cmd: string[], flags: RunFlags, command: Command) => {
      const ctx = new CliContext(command)
      const body: RunSpec & { labels?: string[], runtime?: string } = {
        image,
        cmd,
        env: keyValues(flags.env),
        ports: flags.publish ?? [],
        ...(flags.cpus != null ? { cpus: flags.cpus } : {}),
        ...(flags.memory != null ? { memory: flags.memory } : {}),
        ...(flags.gpus != null ? { gpus: flags.gpus } : {}),
        ...(flags.ttl != null ? { ttl: flags.ttl } : {}),
        ...(flags.name != null ? { name: flags.name } : {}),
        ...(flags.label != null ? { labels: flags.label } : {}),
        ...(flags.runtime != null ? { runtime: flags.runtime } : {})
      }
      const progress = ctx.json ? undefined : new PullProgressBar(image)
      const container = await (await ctx.client()).run(peer, body, { onProgress: p => progress?.update(p) })
      progress?.done()
      const { peerId, containerId, name, ports, expiresAt } = container
      ctx.print({ peerId, containerId, name, image: container.image, ports, expiresAt }, () => [
        `started ${containerId.slice(0, 12)} (${name}) on ${peerId}`,
        ...ports.map(p => `  port ${p.containerPort}: p2prc forward ${peerId.slice(0, 16)} ${containerId.slice(0, 12)} ${p.containerPort}`),
        `  expires ${expiresAt ?? 'never'}`,
        `  logs: p2prc logs ${peerId.slice(0, 16)} ${containerId.slice(0, 12)} -f   kill: p2prc kill ${peerId.slice(0, 16)} ${containerId.slice(0, 12)}`
      ].join('\n'))
    })
}

