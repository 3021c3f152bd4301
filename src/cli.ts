#!/usr/bin/env node
// The `p2prc` command. It loads only the CLI and the API client; `p2prc start` loads the daemon.
import { main } from './cli/main.js'

await main(process.argv)
