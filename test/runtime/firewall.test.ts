import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, it } from 'node:test'
import { applyGuestFirewall } from '../../dist/runtime/index.js'
import { OUTBOUND_PREFIX, NO_OUTBOUND_PREFIX } from '../../dist/containers/guest-networks.js'
import { requireNetAdmin } from '../helpers/nat-topology.js'

const run = promisify(execFile)
const FIREWALL = { outbound: `${OUTBOUND_PREFIX}+`, isolated: `${NO_OUTBOUND_PREFIX}+` }

/** Every node on a host applies the guest firewall when it starts taking guests; several may at once. */
describe('the guest firewall', () => {
  it('is never without its rules while nodes apply it at the same time', async t => {
    if (!await requireNetAdmin(t)) return
    assert.equal((await applyGuestFirewall(FIREWALL)).active, true)
    let applying = true
    const appliers = Promise.all(Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 5; i++) assert.equal((await applyGuestFirewall(FIREWALL)).active, true)
    })).finally(() => { applying = false })
    // What a guest's packet would meet at any moment: the chain's rules, never an empty chain.
    const seen: number[] = []
    while (applying) {
      const { stdout } = await run('iptables', ['-w', '5', '-S', 'P2PRC-GUEST-INPUT'])
      seen.push(stdout.split('\n').filter(line => line.includes('-j REJECT')).length)
    }
    await appliers
    assert.ok(seen.length > 10, `looked ${seen.length} times`)
    assert.deepEqual([...new Set(seen)], [2], 'both REJECT rules at every look')
  })
})
