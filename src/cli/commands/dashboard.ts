import { spawn } from 'node:child_process'
import { Command } from 'commander'
import { CliContext } from '../context.js'

/** A desktop session the browser would open on; over SSH or on a server there is none. */
const hasDesktop = (): boolean => process.platform === 'darwin' || process.platform === 'win32' || (process.env.DISPLAY ?? process.env.WAYLAND_DISPLAY ?? '') !== ''

/** Hands the URL to the desktop's opener; a missing opener only means the user clicks the link. */
function openInBrowser (url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]]
  const child = spawn(command, args, { stdio: 'ignore', detached: true })
  child.on('error', () => {})
  child.unref()
}

export function dashboardCommand (): Command {
  return new Command('dashboard')
    .description('print a one-time login URL for the web dashboard (and open it where there is a desktop)')
    .option('--no-open', 'only print the URL')
    .action(async (options: { open: boolean }, command: Command) => {
      const ctx = new CliContext(command)
      const { url, expiresAt } = await (await ctx.client()).dashboardUrl()
      ctx.print({ url }, () => `${url}\n(good once, until ${new Date(expiresAt).toLocaleTimeString()})`)
      if (options.open && !ctx.json && hasDesktop()) openInBrowser(url)
    })
}
