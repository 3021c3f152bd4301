// Temporary: profile a node joining a network of N.
import { join } from 'node:path'
import { spawn } from 'node:child_process'
import { startDaemon, tmpDir, pick, cpuSeconds } from './lib.mjs'
const N = Number(process.env.N ?? 30)
const root = await tmpDir()
const live = []
for (let i = 0; i < N; i++) {
  const args = ['--no-docker', '--name', `n${i}`]
  if (live.length > 0) args.push('--bootstrap', pick(live).info.multiaddrs[0])
  live.push(await startDaemon(join(root, `n${i}`), args, 120_000))
}
await new Promise(r => setTimeout(r, 20000))
const before = await Promise.all(live.map(n => cpuSeconds(n.pid)))
const t0 = Date.now()
const child = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', '/tmp/prof', join(new URL('../../', import.meta.url).pathname, 'dist/node.js'), '--data-dir', join(root, 'joiner'), '--listen', '/ip4/127.0.0.1/tcp/0', '--api', '127.0.0.1:0', '--no-mdns', '--no-docker', '--bootstrap', live[0].info.multiaddrs[0]], { stdio: 'inherit' })
await new Promise(r => setTimeout(r, 40000))
const after = await Promise.all(live.map(n => cpuSeconds(n.pid)))
console.log('joiner cpu', await cpuSeconds(child.pid), 'others total delta', after.reduce((a, b, i) => a + b - before[i], 0).toFixed(2), 'in', (Date.now() - t0) / 1000, 's')
child.kill('SIGINT')
await new Promise(r => child.once('exit', r))
for (const n of live) await n.stop()
