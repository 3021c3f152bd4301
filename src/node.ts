#!/usr/bin/env node
// The daemon: `node dist/node.js [options]`. The polyfill must load before libp2p.
import './polyfill.js'
import { Command } from 'commander'
import { addDaemonOptions } from './daemon/daemon-options.js'
import { runDaemonCommand } from './daemon/daemon-command.js'

const program = addDaemonOptions(new Command('p2prc-node'))
  .description('Run a p2prc node: a libp2p host that offers this machine\'s compute to its peers')
  .allowExcessArguments(false)
  .exitOverride()

await runDaemonCommand(program, process.argv)
