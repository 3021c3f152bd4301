#!/usr/bin/env node
// The daemon: `node dist/node.js [options]`. The polyfill must load before libp2p.
import './polyfill.js'
import { runDaemonCli } from './daemon/daemon-cli.js'

await runDaemonCli('p2prc-node', process.argv.slice(2))
