import { Command } from 'commander'
import { formatAge, formatBytes } from '../../units/index.js'
import { collect, keyValue, positiveInt, size } from '../options.js'
import { CliContext } from '../context.js'
import { formatTable, shortPeerId } from '../output.js'
import type { PeerSummary } from '../../contract/index.js'

export function peersCommand (): Command {
  return new Command('peers')
    .description('list known compute peers with their resources, latency and last-seen time')
    .option('--gpu', 'only peers with a GPU')
    .option('--min-cpus <n>', 'only peers with at least N CPU cores', positiveInt)
    .option('--min-memory <size>', 'only peers with at least SIZE of free memory', size)
    .option('--label <key=value>', 'only peers with this label; repeatable', (v: string, p: string[]) => collect(keyValue(v), p))
    .option('--runtime <name>', 'only peers whose guests run under this runtime (e.g. runsc, gVisor)')
    .option('--discover', 'also search the DHT for peers offering Docker (or GPUs, with --gpu) not yet in the table')
    .action(async (options: { gpu?: boolean, minCpus?: number, minMemory?: string, label?: string[], runtime?: string, discover?: boolean }, command: Command) => {
      const ctx = new CliContext(command)
      const peers = await (await ctx.client()).peers(options)
      ctx.print(peers, () => peers.length === 0 ? 'no peers known yet (connect with `p2prc connect MULTIADDR` or start with --bootstrap)' : renderPeers(peers))
    })
}

function renderPeers (peers: PeerSummary[]): string {
  const now = Date.now()
  return formatTable(
    ['NAME', 'PEER', 'CPUS (OFFERED/ALL)', 'MEMORY (FREE/TOTAL)', 'GPUS', 'DOCKER', 'LATENCY', 'SEEN'],
    peers.map(peer => {
      const r = peer.resources
      return [
        // A peer known only from others' records is marked until this node has met it.
        (peer.name ?? '-') + (peer.verified ? '' : ' (unverified)'),
        shortPeerId(peer.peerId),
        r == null ? '-' : `${r.offer.cpus}/${r.cpu.threads} × ${r.cpu.model}`,
        r == null ? '-' : `${formatBytes(r.memory.freeBytes)} / ${formatBytes(r.memory.totalBytes)}`,
        r == null ? '-' : r.gpus.length === 0 ? 'none' : r.gpus.map(g => g.model).join(', '),
        r == null ? '-' : r.docker ? 'yes' : 'no',
        (peer.latencyMs == null ? '-' : `${peer.latencyMs.toFixed(1)} ms`) + (peer.connection === 'relayed' ? ' (relayed)' : ''),
        `${formatAge(now - Date.parse(peer.lastSeen))} ago`
      ]
    })
  )
}
