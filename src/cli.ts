#!/usr/bin/env node
// The `p2prc` command. The polyfill must load before libp2p (`p2prc start` runs a node).
import './polyfill.js'
import { main } from './cli/main.js'

await main(process.argv)
