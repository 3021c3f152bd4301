import { access } from 'node:fs/promises'
import { chromium } from 'playwright-core'
import { sweeper } from './sweeper.js'
import type { Browser } from 'playwright-core'
import type { TestContext } from 'node:test'

/** Debian's Chromium (`.ci/run` installs it); Playwright drives it, it never downloads its own. */
export const CHROMIUM = process.env.P2PRC_CHROMIUM ?? '/usr/bin/chromium'

/**
 * What this machine needs (ENVIRONMENT.md): no sandbox (we run as root), no GPU, and nothing
 * that reaches out on its own (updates, sync, field trials), since only loopback is ours to talk to.
 */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']

/** Browser tests run in CI (which installs Chromium); elsewhere, without one, they skip and say why. */
export async function requireBrowser (t: TestContext): Promise<boolean> {
  try {
    await access(CHROMIUM)
    return true
  } catch {
    if (process.env.CI != null && process.env.CI !== '') throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}`)
    t.skip(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set P2PRC_CHROMIUM)`)
    return false
  }
}

export interface TestBrowser {
  browser: Browser
  close: () => Promise<void>
}

/**
 * A headless Chromium with a fresh profile. Started as a server so its process is known: it is
 * swept with the test process if the file is cut short.
 */
export async function launchBrowser (): Promise<TestBrowser> {
  const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 60_000 })
  const pid = server.process().pid
  const entry = pid != null ? { kind: 'process' as const, pid, marker: 'chromium' } : null
  if (entry != null) sweeper.add(entry)
  const browser = await chromium.connect(server.wsEndpoint(), { timeout: 60_000 })
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {})
      await server.close()
      if (entry != null) sweeper.forget(entry)
    }
  }
}
