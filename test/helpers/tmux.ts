import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { sweeper } from './sweeper.js'
import { waitFor } from './wait-for.js'
import type { TestContext } from 'node:test'

const run = promisify(execFile)

/** Whether tmux is installed (CI installs it); without it terminal tests skip outside CI and fail in CI. */
export async function requireTmux (t: TestContext): Promise<boolean> {
  try {
    await run('tmux', ['-V'])
    return true
  } catch {
    if (process.env.CI != null && process.env.CI !== '') throw new Error('CI is set but tmux is not installed')
    t.skip('tmux is not installed (apt-get install tmux to run this test)')
    return false
  }
}

/**
 * A real terminal: a tmux server of its own (its own socket), one window running a shell, driven
 * with send-keys and read with capture-pane, as a user at a keyboard would. The server is swept
 * if the test process dies first.
 */
export class Tmux {
  private static count = 0
  readonly socket = `p2prc-test-${process.pid}-${++Tmux.count}`
  private pid = 0

  async start (size: { cols: number, rows: number }, env: Record<string, string> = {}): Promise<void> {
    const exports = Object.entries(env).map(([k, v]) => ['-e', `${k}=${v}`]).flat()
    await this.tmux(['new-session', '-d', '-s', 'main', '-x', String(size.cols), '-y', String(size.rows), ...exports, 'bash --norc --noprofile'])
    await this.tmux(['set-option', '-g', 'window-size', 'manual'])
    this.pid = Number((await this.tmux(['display-message', '-p', '#{pid}'])).trim())
    sweeper.add({ kind: 'process', pid: this.pid, marker: this.socket })
    await this.type('PS1="$ "; clear')
  }

  /** Types a line (and Enter). */
  async type (line: string): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', '-l', line])
    await this.tmux(['send-keys', '-t', 'main', 'Enter'])
  }

  /** Presses keys by tmux's names (C-c, C-d). */
  async keys (...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', ...keys])
  }

  async resize (size: { cols: number, rows: number }): Promise<void> {
    await this.tmux(['resize-window', '-t', 'main', '-x', String(size.cols), '-y', String(size.rows)])
  }

  /** What the window shows, with its scrollback. */
  async screen (): Promise<string> {
    return this.tmux(['capture-pane', '-t', 'main', '-p', '-S', '-200'])
  }

  /** Waits until the screen matches. */
  async waitFor (pattern: RegExp, timeout = 20_000): Promise<string> {
    let last = ''
    try {
      return await waitFor(async () => {
        last = await this.screen()
        return pattern.test(last) ? last : null
      }, { timeout, message: `the terminal to show ${String(pattern)}` })
    } catch (err) {
      throw new Error(`${(err as Error).message}; it shows:\n${last}`)
    }
  }

  async stop (): Promise<void> {
    await this.tmux(['kill-server']).catch(() => {})
    if (this.pid > 0) sweeper.forget({ kind: 'process', pid: this.pid, marker: this.socket })
  }

  private async tmux (args: string[]): Promise<string> {
    return (await run('tmux', ['-L', this.socket, '-f', '/dev/null', ...args])).stdout
  }
}
