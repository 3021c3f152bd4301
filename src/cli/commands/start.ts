import { Command } from 'commander'
import { addDaemonOptions } from '../../daemon/daemon-options.js'
import { runWithFlags } from '../../daemon/daemon-command.js'
import type { DaemonFlags } from '../../daemon/daemon-options.js'

export function startCommand (): Command {
  return addDaemonOptions(new Command('start'))
    .description('run the node daemon in the foreground (the same as `node dist/node.js`)')
    .action(async (_options, command: Command) => {
      await runWithFlags(command.optsWithGlobals<DaemonFlags>())
    })
}
