import { Command } from 'commander'
import { SwarmError } from '../../errors.js'
import { formatAge, parseDuration } from '../../units/index.js'
import { CliContext } from '../context.js'
import { formatTable } from '../output.js'
import type { ApiClient } from '../../api-client/api-client.js'
import type { SwarmInfo, SwarmRole } from '../../contract/index.js'

const ROLES: SwarmRole[] = ['member', 'compute', 'client']

/** How long `join` and `swarm create` wait for the daemon's node to come back (and be admitted). */
const SETTLE_TIMEOUT = 60_000

/**
 * Waits, through the daemon's restart, until its swarm state is settled: not joining any more.
 * The API is away for a moment while the node restarts; requests then fail and are repeated.
 */
async function settled (client: ApiClient, timeout: number): Promise<SwarmInfo | null> {
  const deadline = Date.now() + timeout
  // The restart begins once the answer is sent: wait for the old node to go first.
  await new Promise(resolve => setTimeout(resolve, 300))
  while (true) {
    const swarm = await client.swarm({ signal: AbortSignal.timeout(5000) }).catch(() => undefined)
    if (swarm !== undefined && swarm?.status !== 'joining') return swarm
    if (Date.now() > deadline) {
      throw new SwarmError(swarm === undefined ? 'the daemon did not come back after restarting its node (see its log)' : 'no member admitted this node in time: are the invite\'s members reachable? (p2prc swarm status shows what happened)')
    }
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

function renderSwarm (swarm: SwarmInfo | null): string {
  if (swarm == null) return 'not in a swarm: this node is in the open network (p2prc swarm create, or p2prc join TOKEN)'
  const lines = [
    `swarm:   ${swarm.swarmId}`,
    `status:  ${swarm.status}${swarm.reason != null ? ` (${swarm.reason})` : ''}`,
    `role:    ${swarm.role}${swarm.creator ? ', creator (holds the swarm key)' : ''}`,
    `key:     epoch ${swarm.epoch}`,
    `revoked: ${swarm.revoked.peers.length} members, ${swarm.revoked.invites.length} invites`
  ]
  if (swarm.members.length > 0) {
    lines.push('', formatTable(['MEMBER', 'ROLE', 'ADMITTED', 'BY'], swarm.members.map(m => [
      m.peerId, m.role, `${formatAge(Date.now() - m.admittedAt)} ago`, m.admittedBy ?? '(creator)'
    ])))
  }
  return lines.join('\n')
}

export function swarmCommand (): Command {
  const swarm = new Command('swarm').description('private swarms: networks that only invited nodes can join')
  swarm.command('create')
    .description('make a private swarm with this node as its creator; the node leaves the open network')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      const created = await client.createSwarm()
      const info = await settled(client, SETTLE_TIMEOUT)
      ctx.print(info, () => `created swarm ${created.swarmId}; invite nodes with: p2prc invite`)
    })
  swarm.command('status')
    .description('this node\'s swarm: its status, role, and the members it knows')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const info = await (await ctx.client()).swarm()
      ctx.print(info, () => renderSwarm(info))
    })
  swarm.command('revoke')
    .description('revoke a member (or, with --invite, every member of an invite); every member drops it (creator only)')
    .argument('[peer]', 'the member\'s peer ID, unique prefix or name')
    .option('--invite <id>', 'an invite ID (hex) instead of a member')
    .action(async (peer: string | undefined, options: { invite?: string }, command: Command) => {
      const ctx = new CliContext(command)
      if ((peer == null) === (options.invite == null)) command.error('give a member or --invite ID', { exitCode: 2 })
      const info = await (await ctx.client()).revoke({ peer, invite: options.invite })
      ctx.print(info, () => `revoked ${peer ?? `invite ${options.invite ?? ''}`}; members drop it as the revocation spreads`)
    })
  swarm.command('rotate')
    .description('replace the swarm key (creator only): members stay members, older invites admit nobody new')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const info = await (await ctx.client()).rotateSwarmKey()
      ctx.print(info, () => `the swarm key is now epoch ${info.epoch}; earlier invites admit nobody new`)
    })
  swarm.command('leave')
    .description('leave the swarm: the node returns to the open network (its membership is deleted)')
    .action(async (_options, command: Command) => {
      const ctx = new CliContext(command)
      const client = await ctx.client()
      await client.leaveSwarm()
      await settled(client, SETTLE_TIMEOUT)
      ctx.print({ left: true }, () => 'left the swarm: this node is in the open network')
    })
  return swarm
}

export function inviteCommand (): Command {
  return new Command('invite')
    .description('print a token that lets one node (or --uses N) join this node\'s swarm (creator only)')
    .option('--ttl <duration>', 'how long the token admits nodes', '24h')
    .option('--uses <n>', 'how many nodes it admits', '1')
    .option('--role <role>', `what the nodes may do: ${ROLES.join(', ')}`, 'member')
    .action(async (options: { ttl: string, uses: string, role: string }, command: Command) => {
      const ctx = new CliContext(command)
      if (parseDuration(options.ttl) == null) command.error(`--ttl: a duration such as 24h or 30m, not ${options.ttl}`, { exitCode: 2 })
      const uses = Number(options.uses)
      if (!Number.isInteger(uses) || uses < 1 || uses > 10_000) command.error('--uses: a whole number from 1 to 10000', { exitCode: 2 })
      if (!ROLES.includes(options.role as SwarmRole)) command.error(`--role: one of ${ROLES.join(', ')}`, { exitCode: 2 })
      const invite = await (await ctx.client()).invite({ ttl: options.ttl, uses, role: options.role as SwarmRole })
      ctx.print({ token: invite.token, expiresAt: invite.expiresAt }, () => invite.token)
    })
}

export function joinCommand (): Command {
  return new Command('join')
    .description('join a private swarm with a token from `p2prc invite`; waits until a member admits this node')
    .argument('<token>', 'the invite token')
    .option('--timeout <duration>', 'how long to wait to be admitted', '60s')
    .action(async (token: string, options: { timeout: string }, command: Command) => {
      const ctx = new CliContext(command)
      const timeout = parseDuration(options.timeout)
      if (timeout == null) command.error(`--timeout: a duration such as 60s, not ${options.timeout}`, { exitCode: 2 })
      const client = await ctx.client()
      const joined = await client.joinSwarm(token)
      const info = await settled(client, timeout)
      if (info?.status !== 'member') throw new SwarmError(`not admitted to swarm ${joined.swarmId}: ${info?.reason ?? info?.status ?? 'the node left the swarm'}`)
      ctx.print(info, () => `joined swarm ${info.swarmId} as ${info.role}`)
    })
}
