import { readFile } from 'node:fs/promises'
import { Command } from 'commander'
import { InvalidArgumentError } from '../../errors.js'
import { formatBytes } from '../../units/index.js'
import { CliContext } from '../context.js'
import { since } from '../options.js'
import { formatSeconds, renderContainerUsage, renderTotals } from '../render-usage.js'
import type { ReceiptVerdict } from '../../contract/index.js'

interface UsageOptions { peer?: string, since?: string, containers?: boolean }

/** The most a receipt file may be: two envelopes in base64 and a little JSON. */
const MAX_RECEIPT_FILE = 64 * 1024

/** `p2prc usage`: what my containers used on each host, from the receipts the hosts signed and I countersigned. */
export function usageCommand (): Command {
  const usage = new Command('usage')
    .description('what my containers used on each host, from the hosts\' signed receipts (fetched and countersigned first); --containers: per container')
    .option('--peer <host>', 'only one host (ID, unique prefix or name)')
    .option('--since <when>', 'only what ran since a time ago (7d, 2h) or an ISO time', since)
    .option('--containers', 'one row per container instead of totals per host')
    .action(async (options: UsageOptions, command: Command) => {
      const ctx = new CliContext(command)
      const report = await (await ctx.client()).usage({ peer: options.peer, since: options.since })
      for (const host of report.unreachable ?? []) process.stderr.write(`warning: host ${host} did not answer; its newest receipts may be missing\n`)
      if (options.containers === true) {
        ctx.print(report.containers, () => report.containers.length === 0 ? 'no receipts yet' : renderContainerUsage(report.containers, 'HOST'))
        return
      }
      ctx.print(report.peers, () => report.peers.length === 0 ? 'no receipts yet' : renderTotals(report.peers, 'HOST'))
    })
  usage.command('receipt')
    .description('one of my containers\' receipt pair (the host\'s signature and mine), as a file for `p2prc usage verify`')
    .argument('<container>', 'container ID, unique prefix or name')
    .option('--peer <host>', 'the host it ran on, when the reference is not unique')
    .action(async (container: string, options: { peer?: string }, command: Command) => {
      const ctx = new CliContext(command)
      const file = await (await ctx.client()).receipt(container, options.peer)
      process.stdout.write(JSON.stringify(file, null, 2) + '\n')
    })
  usage.command('verify')
    .description('check a receipt file offline: the host\'s signature, the owner\'s countersignature, and (with --host/--owner) who they are; exit 1 if anything is wrong')
    .argument('<file>', 'a receipt file (`p2prc usage receipt` or `p2prc host usage receipt`)')
    .option('--host <peerId>', 'the host the receipt must be signed by')
    .option('--owner <peerId>', 'the owner it must be countersigned by')
    .action(async (path: string, options: { host?: string, owner?: string }, command: Command) => {
      const ctx = new CliContext(command)
      const file = await readReceiptFile(path)
      // Loaded for this command only: the rest of the CLI needs no cryptography.
      const { verifyReceiptFile } = await import('../../usage/receipt-file.js')
      const verdict = await verifyReceiptFile(file, options)
      ctx.print(verdict, () => renderVerdict(verdict))
      if (!verdict.valid) process.exitCode = 1
    })
  return usage
}

async function readReceiptFile (path: string): Promise<unknown> {
  let text: string
  try {
    const bytes = await readFile(path)
    if (bytes.byteLength > MAX_RECEIPT_FILE) throw new InvalidArgumentError(`${path} is ${bytes.byteLength} bytes; a receipt file is at most ${MAX_RECEIPT_FILE}`)
    text = bytes.toString('utf8')
  } catch (err: any) {
    if (err instanceof InvalidArgumentError) throw err
    throw new InvalidArgumentError(`cannot read ${path}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new InvalidArgumentError(`${path} is not JSON: not a receipt file`)
  }
}

function renderVerdict (v: ReceiptVerdict): string {
  const lines = [v.valid ? (v.countersigned ? 'valid: signed by the host and countersigned by the owner' : 'valid: signed by the host, not countersigned by the owner') : 'INVALID']
  for (const problem of v.problems) lines.push(`  ${problem}`)
  const u = v.usage
  if (u != null) {
    lines.push(
      `host       ${u.hostId}`,
      `owner      ${u.peerId}`,
      `container  ${u.containerId} (${u.name}, ${u.image} ${u.imageId})`,
      `ran        ${u.startedAt ?? '-'} to ${u.endedAt ?? 'still running'} (${formatSeconds(u.wallSeconds)})${u.endReason != null ? `, ${u.endReason}` : ''}${u.exitCode != null ? `, exit ${u.exitCode}` : ''}`,
      `cpu        ${formatSeconds(u.cpuSeconds)}`,
      `memory     ${u.memoryGiBSeconds.toFixed(3)} GiB-s, peak ${formatBytes(u.memoryPeakBytes)}`,
      `gpus       ${u.gpus} (${formatSeconds(u.gpuSeconds)})`,
      `network    ${formatBytes(u.networkRxBytes)} in, ${formatBytes(u.networkTxBytes)} out`,
      `disk       ${formatBytes(u.blockReadBytes)} read, ${formatBytes(u.blockWriteBytes)} written`,
      `receipt    #${u.receipt?.sequence ?? '?'}${u.receipt?.final === true ? ' (final)' : ' (interim)'}, issued ${u.receipt?.issuedAt ?? '?'}`
    )
  }
  return lines.join('\n')
}
