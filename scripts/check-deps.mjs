#!/usr/bin/env node
// The dependency rules of src/ (README, "Architecture"), checked on every import, type imports
// included. `npm test` runs it (test/unit/dependency-rules.test.ts).
//   node scripts/check-deps.mjs [SRC_DIR]     prints each broken rule; exit 1 if any
//
// 1. Layers: a folder imports only folders of lower layers (or itself). Folders of one layer do
//    not import each other.
// 2. The CLI and the API client load nothing of the node: only the contract, the API client,
//    errors, units and signals (and the version). The one exception is `p2prc start`, which loads the
//    daemon lazily, for that command only.
// 3. Only runtime/ talks to Docker (dockerode), and only host/ builds the libp2p host (libp2p and
//    its transports, encrypters, muxers and services).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

const LAYERS = [
  // The contract is types only, beneath everything: errors name its refusal rules.
  ['contract'],
  ['errors', 'polyfill', 'signals', 'version', 'units'],
  ['validation', 'archive', 'storage', 'activity', 'metrics'],
  ['config', 'identity', 'resources', 'runtime'],
  ['records', 'swarm'],
  ['containers', 'usage'],
  ['host', 'discovery', 'protocols'],
  ['core'],
  ['jobs'],
  ['api', 'api-client'],
  ['daemon'],
  ['cli'],
  // The entry points: src/index.ts (library), src/node.ts (daemon), src/cli.ts (CLI).
  ['index', 'node', 'cli.ts']
]

const CLIENT_FOLDERS = new Set(['cli', 'api-client'])
const CLIENT_MAY_IMPORT = new Set(['contract', 'api-client', 'errors', 'units', 'signals', 'version', 'archive', 'cli'])
/** `p2prc start` runs the daemon: loaded with import() in that command only. */
const LAZY_EXCEPTIONS = [
  { from: 'cli/commands/start.ts', to: 'daemon/daemon-cli.ts' },
  // `p2prc usage verify FILE` checks signatures offline, without a daemon: it needs the receipt codec.
  { from: 'cli/commands/usage.ts', to: 'usage/receipt-file.ts' }
]

const PACKAGE_OWNERS = [
  { test: name => name === 'dockerode' || name === 'docker-modem', owner: 'runtime', why: 'only runtime/ talks to Docker' },
  {
    test: name => name === 'libp2p' || ['@libp2p/tcp', '@chainsafe/libp2p-noise', '@chainsafe/libp2p-yamux', '@libp2p/identify', '@libp2p/ping', '@libp2p/bootstrap', '@libp2p/mdns', '@libp2p/circuit-relay-v2', '@libp2p/autonat', '@libp2p/dcutr', '@libp2p/upnp-nat', '@libp2p/prometheus-metrics'].includes(name),
    owner: 'host',
    why: 'only host/ builds the libp2p host',
    // Type-only imports of services (their interfaces) are how others use what host/ built.
    typesAllowed: true
  }
]

const srcDir = resolve(process.argv[2] ?? new URL('../src', import.meta.url).pathname)

function files (dir) {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'pb' ? [] : files(path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : []
  })
}

/** The unit of layering for a file: its top folder under src/, or the entry point's name. */
function unitOf (file) {
  const parts = relative(srcDir, file).split(sep)
  if (parts.length > 1) return parts[0]
  return parts[0] === 'cli.ts' ? 'cli.ts' : parts[0].replace(/\.ts$/, '')
}

const layerOf = new Map(LAYERS.flatMap((units, index) => units.map(unit => [unit, index])))

/** Every import of a file: specifier, whether type-only, whether lazy (import()). */
function importsOf (text) {
  const found = []
  const statement = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm
  for (const match of text.matchAll(statement)) found.push({ spec: match[3], typeOnly: match[2] != null, lazy: false })
  for (const match of text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push({ spec: match[1], typeOnly: false, lazy: true })
  return found
}

const problems = []
for (const file of files(srcDir)) {
  const from = relative(srcDir, file)
  const unit = unitOf(file)
  const layer = layerOf.get(unit)
  if (layer == null) {
    problems.push(`${from}: ${unit} is in no layer of scripts/check-deps.mjs (add it where it belongs)`)
    continue
  }
  for (const { spec, typeOnly, lazy } of importsOf(readFileSync(file, 'utf8'))) {
    if (!spec.startsWith('.')) {
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
      for (const rule of PACKAGE_OWNERS) {
        if (rule.test(name) && unit !== rule.owner && !(typeOnly && rule.typesAllowed === true)) problems.push(`${from} imports ${spec}: ${rule.why}`)
      }
      continue
    }
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts')
    const to = relative(srcDir, target)
    const targetUnit = unitOf(target)
    if (targetUnit === unit) continue
    if (lazy && LAZY_EXCEPTIONS.some(e => e.from === from && e.to === to)) continue
    if (CLIENT_FOLDERS.has(unit) && !CLIENT_MAY_IMPORT.has(targetUnit)) {
      problems.push(`${from} imports ${to}: the CLI and the API client import only the contract, api-client, errors, units and signals`)
      continue
    }
    const targetLayer = layerOf.get(targetUnit)
    if (targetLayer == null) continue
    if (targetLayer > layer) problems.push(`${from} imports ${to}: ${unit} may not import ${targetUnit}, a layer above it`)
    else if (targetLayer === layer) problems.push(`${from} imports ${to}: ${unit} and ${targetUnit} are one layer and must not depend on each other`)
  }
}

if (problems.length > 0) {
  console.error(problems.join('\n'))
  process.exit(1)
}
console.log(`dependency rules hold (${files(srcDir).length} files)`)
