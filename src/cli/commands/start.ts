import { Command } from 'commander'

/**
 * `p2prc start [options]`: the daemon in the foreground, with the daemon's own flags and help
 * (`p2prc start --help`). The daemon is loaded only for this command, so every other command
 * starts in milliseconds.
 */
export function startCommand (): Command {
  return new Command('start')
    .description('run the node daemon in the foreground (the same as `node dist/node.js`; `p2prc start --help` for its options)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[options...]', 'the daemon\'s options')
    .action(async (args: string[], _options, command: Command) => {
      const { dataDir } = command.optsWithGlobals<{ dataDir?: string }>()
      const { runDaemonCli } = await import('../../daemon/daemon-cli.js')
      await runDaemonCli('p2prc start', [...(dataDir != null ? ['--data-dir', dataDir] : []), ...args])
    })
}
