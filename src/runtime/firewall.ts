// The host's firewall for guest networks (iptables, as Docker itself uses): Docker keeps guest
// networks apart from each other, but not from the host. These rules keep guests from this host's
// own addresses (its services on 0.0.0.0, the daemon's libp2p port) and its private networks, and
// keep the guests of a network without outbound access inside it. They match guest bridges by
// name prefix, so one set of rules covers every guest network, present and future, and outlives
// the daemon as the guests do.
import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { isIPv4 } from 'node:net'
import { promisify } from 'node:util'
import type { AbortOptions } from './types.js'

const exec = promisify(execFile)

export interface FirewallInit {
  /** iptables interface patterns of the guest bridges that may reach the internet, and of those that may not (`p2prco+`, `p2prcn+`). */
  outbound: string
  isolated: string
}

export interface FirewallStatus {
  active: boolean
  /** What is in place, or why it is not and how to fix that. */
  detail: string
}

const INPUT_CHAIN = 'P2PRC-GUEST-INPUT'
const FORWARD_CHAIN = 'P2PRC-GUEST-FORWARD'

/** Destinations guests may not reach: this host's loopback and the private, shared and link-local ranges (the LAN, cloud metadata). */
export const PRIVATE_RANGES = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/4', '240.0.0.0/4']

async function iptables (args: string[], options: AbortOptions = {}): Promise<void> {
  await exec('iptables', ['-w', '5', ...args], { timeout: 15_000, signal: options.signal })
}

async function succeeds (args: string[]): Promise<boolean> {
  return iptables(args).then(() => true, () => false)
}

/** The host's DNS servers (guests' lookups go through Docker's resolver to them, maybe on a private address). */
async function resolvers (): Promise<string[]> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '')
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map(m => m[1]).filter(ip => isIPv4(ip) && !ip.startsWith('127.'))
}

function chainRules (init: FirewallInit, dns: string[]): { input: string[][], forward: string[][] } {
  return {
    input: [
      // Answers to connections the host opened (its own calls to a published port) pass.
      ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'],
      ['-p', 'tcp', '-j', 'REJECT', '--reject-with', 'tcp-reset'],
      ['-j', 'REJECT', '--reject-with', 'icmp-port-unreachable']
    ],
    forward: [
      // Into a guest network: Docker decides (an owner's own bridge passes, another's is dropped).
      ['-o', init.outbound, '-j', 'RETURN'],
      ['-o', init.isolated, '-j', 'RETURN'],
      ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'RETURN'],
      ['-i', init.isolated, '-j', 'REJECT', '--reject-with', 'icmp-port-unreachable'],
      ...dns.flatMap(ip => [['-d', ip, '-p', 'udp', '--dport', '53', '-j', 'RETURN'], ['-d', ip, '-p', 'tcp', '--dport', '53', '-j', 'RETURN']]),
      ...PRIVATE_RANGES.map(range => ['-d', range, '-j', 'REJECT', '--reject-with', 'icmp-net-unreachable']),
      ['-j', 'RETURN']
    ]
  }
}

/**
 * Fills both chains in one commit (`iptables-restore --noflush`: a declared chain is created or
 * emptied, refilled, and the table swapped at once). Flushing and appending rule by rule left a
 * moment with no rules at all, and with several nodes on one host taking guests at once, guests
 * reached the host in it.
 */
async function fillChains (chains: Array<[string, string[][]]>, options: AbortOptions): Promise<void> {
  const script = ['*filter', ...chains.flatMap(([chain, rules]) => [`:${chain} - [0:0]`, ...rules.map(rule => `-A ${chain} ${rule.join(' ')}`)]), 'COMMIT', ''].join('\n')
  await new Promise<void>((resolve, reject) => {
    const child = execFile('iptables-restore', ['-w', '5', '--noflush'], { timeout: 15_000, signal: options.signal }, err => { if (err != null) reject(err); else resolve() })
    child.stdin?.end(script)
  })
}

/**
 * Puts the rules in place (idempotent: chains are refilled at once, jumps added once). Needs root;
 * answers what it did, or why it could not, rather than throwing: a node without them still runs
 * guests, and `p2prc host check` says what is missing.
 */
export async function applyGuestFirewall (init: FirewallInit, options: AbortOptions = {}): Promise<FirewallStatus> {
  try {
    const { input, forward } = chainRules(init, await resolvers())
    // Docker's DOCKER-USER chain is where its users' rules go, ahead of its own; without it (Docker
    // not managing iptables) FORWARD itself.
    const forwardFrom = await succeeds(['-n', '-L', 'DOCKER-USER']) ? 'DOCKER-USER' : 'FORWARD'
    await fillChains([[INPUT_CHAIN, input], [FORWARD_CHAIN, forward]], options)
    for (const [chain, from] of [[INPUT_CHAIN, 'INPUT'], [FORWARD_CHAIN, forwardFrom]] as const) {
      for (const guests of [init.outbound, init.isolated]) {
        const jump = ['-i', guests, '-j', chain]
        if (!await succeeds(['-C', from, ...jump])) await iptables(['-I', from, '1', ...jump], options)
      }
    }
    return { active: true, detail: `guests cannot reach this host or private networks (iptables chains ${INPUT_CHAIN}, ${FORWARD_CHAIN})` }
  } catch (err: any) {
    return { active: false, detail: whyNot(err) }
  }
}

/** Whether the rules are in place now (someone may have flushed them). */
export async function guestFirewallStatus (init: FirewallInit): Promise<FirewallStatus> {
  try {
    await iptables(['-n', '-L', INPUT_CHAIN])
    const forwardFrom = await succeeds(['-n', '-L', 'DOCKER-USER']) ? 'DOCKER-USER' : 'FORWARD'
    const jumps = await Promise.all([init.outbound, init.isolated].flatMap(guests => [
      succeeds(['-C', 'INPUT', '-i', guests, '-j', INPUT_CHAIN]),
      succeeds(['-C', forwardFrom, '-i', guests, '-j', FORWARD_CHAIN])
    ]))
    if (jumps.every(Boolean)) return { active: true, detail: `iptables chains ${INPUT_CHAIN} and ${FORWARD_CHAIN} are in place` }
    return { active: false, detail: 'the guest firewall chains exist but are not reached (restart the daemon as root to put them back)' }
  } catch (err: any) {
    return { active: false, detail: whyNot(err) }
  }
}

function whyNot (err: any): string {
  if (err.code === 'ENOENT') return 'iptables is not installed (apt-get install iptables), so guests can reach this host and its LAN'
  const text = String(err.stderr ?? err.message)
  if (/permission denied|you must be root|Operation not permitted/i.test(text)) return 'the daemon is not root, so it cannot install the firewall rules that keep guests from this host and its LAN (run it as root)'
  return `the firewall rules could not be installed: ${text.trim().split('\n')[0]}`
}
