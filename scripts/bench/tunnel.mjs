// Port forwarding: throughput and connection setup through `p2prc forward` (local listener ->
// libp2p stream -> host -> container port) against the same container port reached straight over
// loopback TCP, and through OpenSSH's `ssh -L` (Debian's openssh-server/-client) on the same data.
// Goal: at least the throughput of `ssh -L`.
import { execFile, spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { connect, createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Docker from 'dockerode'
import { api, cpuSeconds, engineOrSkip, fmt, removeDir, request, startDaemon, summary, tmpDir, waitUntil } from './lib.mjs'

const exec = promisify(execFile)
const BYTES = Number(process.env.BENCH_TUNNEL_MB ?? 512) * 1024 * 1024
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3)
const SETUPS = 30
const IMAGE = 'p2prc-test/busybox:latest'
const PORT = 9000

/** Reads until the server closes; resolves with bytes, time to first byte and total time (ms). */
async function drain (port) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    let first = 0
    let bytes = 0
    const socket = connect({ host: '127.0.0.1', port })
    socket.on('data', chunk => {
      if (bytes === 0) first = performance.now() - t0
      bytes += chunk.length
    })
    socket.on('end', () => resolve({ bytes, firstMs: first, totalMs: performance.now() - t0 }))
    socket.on('error', reject)
  })
}

async function freePort () {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise(resolve => server.once('listening', resolve))
  const { port } = server.address()
  await new Promise(resolve => server.close(resolve))
  return port
}

/** sshd on loopback with a throw-away host key and client key; null when OpenSSH is not installed. */
async function startSshForward (dir, targetPort) {
  try {
    await exec('/usr/sbin/sshd', ['-V']).catch(err => { if (err.code === 'ENOENT') throw err })
    await exec('ssh', ['-V'])
  } catch {
    return null
  }
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')])
  await exec('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')])
  await exec('cp', [join(dir, 'client_key.pub'), join(dir, 'authorized_keys')])
  const sshPort = await freePort()
  await writeFile(join(dir, 'sshd_config'), [
    `ListenAddress 127.0.0.1:${sshPort}`, `HostKey ${join(dir, 'host_key')}`, `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'UsePAM no', 'StrictModes no', 'PidFile none', 'AllowTcpForwarding yes'
  ].join('\n') + '\n')
  // sshd refuses to start without its privilege separation directory (Debian makes it at boot).
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 })
  const sshd = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: 'ignore' })
  const localPort = await freePort()
  await new Promise(resolve => setTimeout(resolve, 300))
  const ssh = spawn('ssh', ['-N', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ExitOnForwardFailure=yes',
    '-i', join(dir, 'client_key'), '-p', String(sshPort), '-L', `127.0.0.1:${localPort}:127.0.0.1:${targetPort}`, `${process.env.USER ?? 'root'}@127.0.0.1`], { stdio: 'ignore' })
  await waitUntil(async () => drain(localPort).then(r => r.bytes > 0, () => false), 15_000, 'ssh -L to forward')
  // sshd forks a process per connection; that child (and its own child) moves the bytes.
  const pids = async () => {
    const children = (await exec('pgrep', ['-P', String(sshd.pid)]).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean)
    const grandchildren = (await Promise.all(children.map(async c => (await exec('pgrep', ['-P', c]).catch(() => ({ stdout: '' }))).stdout.split('\n').filter(Boolean)))).flat()
    return [ssh.pid, ...children, ...grandchildren].map(Number)
  }
  const cipher = (await exec('ssh', ['-G', '127.0.0.1']).catch(() => ({ stdout: '' }))).stdout.match(/^ciphers (\S+?)(,|$)/m)?.[1] ?? 'default'
  return { port: localPort, cipher, pids, stop: () => { ssh.kill(); sshd.kill() } }
}

export async function run () {
  const docker = await engineOrSkip(Docker)
  if (docker == null) return
  const root = await tmpDir()
  // The source container gets 1.5 CPUs so that it never limits a path: the default per-peer cap
  // (half the offer, 0.8 CPUs on two cores) would refuse it.
  const host = await startDaemon(`${root}/b`, ['--name', 'bench-host'], 30_000, { policy: { maxCpusPerPeer: null } })
  const client = await startDaemon(`${root}/a`, ['--no-docker', '--bootstrap', host.info.multiaddrs[0]]).catch(async err => {
    await host.stop()
    throw err
  })
  let ssh = null
  try {
    await waitUntil(async () => (await api(client, '/v1/peers')).some(p => p.peerId === host.info.peerId && p.resources?.docker), 30_000, 'the host record')
    const post = async (path, body) => request(client, 'POST', path, body)
    // Every connection gets BYTES of zeros, then the server closes: the same data on every path.
    const container = await post(`/v1/peers/${host.info.peerId}/containers`, {
      image: IMAGE, cmd: ['nc', '-ll', '-p', String(PORT), '-e', 'dd', 'if=/dev/zero', 'bs=1048576', `count=${BYTES / 1048576}`, 'status=none'], ports: [PORT], cpus: 1.5, memory: '64m', ttl: '30m'
    })
    const direct = container.ports[0].hostPort
    const forward = await post('/v1/forwards', { peer: host.info.peerId, container: container.containerId, port: PORT })
    const forwardPort = Number(forward.local.split(':').pop())
    await waitUntil(async () => drain(direct).then(r => r.bytes === BYTES, () => false), 30_000, 'the container to serve')
    ssh = await startSshForward(root, direct)
    if (ssh == null) console.log('OpenSSH (openssh-server, openssh-client) not installed: the ssh -L reference is skipped')

    const paths = [['direct TCP (loopback, docker-proxy)', direct], ['p2prc forward', forwardPort], ...(ssh != null ? [[`ssh -L (${ssh.cipher})`, ssh.port]] : [])]
    const throughput = new Map(paths.map(([name]) => [name, []]))
    // CPU seconds the tunnel's own processes spend per GB (both ends; the source, the reader and
    // docker-proxy are common to every path): on two cores, what a path burns is what it can move.
    const tunnelPids = new Map([['p2prc forward', async () => [host.pid, client.pid]], ...(ssh != null ? [[`ssh -L (${ssh.cipher})`, ssh.pids]] : [])])
    const cpuPerGb = new Map(paths.map(([name]) => [name, []]))
    const cpuOf = async (pids) => (await Promise.all(pids.map(pid => cpuSeconds(pid).catch(() => 0)))).reduce((a, b) => a + b, 0)
    const setup = new Map(paths.map(([name]) => [name, []]))
    for (let trial = 0; trial < TRIALS; trial++) {
      for (const [name, port] of trial % 2 === 0 ? paths : [...paths].reverse()) {
        const pids = await tunnelPids.get(name)?.()
        const cpuBefore = pids != null ? await cpuOf(pids) : 0
        const r = await drain(port)
        if (r.bytes !== BYTES) throw new Error(`${name}: got ${r.bytes} of ${BYTES} bytes`)
        throughput.get(name).push(BYTES / (r.totalMs / 1000))
        if (pids != null) cpuPerGb.get(name).push((await cpuOf(pids) - cpuBefore) / (BYTES / 1e9))
      }
    }
    // Connection setup: connect to first byte, on fresh connections (small reads: the server's
    // first chunk), interleaved.
    for (let i = 0; i < SETUPS; i++) {
      for (const [name, port] of paths) {
        const r = await new Promise((resolve, reject) => {
          const t0 = performance.now()
          const socket = connect({ host: '127.0.0.1', port })
          socket.once('data', () => { resolve(performance.now() - t0); socket.destroy() })
          socket.on('error', reject)
        })
        setup.get(name).push(r)
      }
    }
    const mbps = (bps) => `${(bps / 1e6).toFixed(0)} MB/s`
    const best = (name) => summary(throughput.get(name)).p50
    console.log(`throughput (${BYTES / 1024 / 1024} MiB per connection, median of ${TRIALS}):`)
    for (const [name] of paths) {
      const cpu = cpuPerGb.get(name).length > 0 ? `   CPU ${summary(cpuPerGb.get(name)).p50.toFixed(2)} s/GB (both ends)` : ''
      console.log(`  ${name.padEnd(38)} ${mbps(best(name)).padStart(10)}   setup p50 ${fmt(summary(setup.get(name)).p50)} p95 ${fmt(summary(setup.get(name)).p95)}${cpu}`)
    }
    const forwardMbps = best('p2prc forward')
    console.log(`  p2prc / direct TCP: ${(forwardMbps / best('direct TCP (loopback, docker-proxy)')).toFixed(2)}  (reference: the same port without a tunnel)`)
    if (ssh != null) {
      // The goal compares figures of this one run: the machine's load moves both alike.
      const sshMbps = best(`ssh -L (${ssh.cipher})`)
      const ratio = forwardMbps / sshMbps
      console.log(`  p2prc / ssh -L:     ${ratio.toFixed(2)}  goal >= 1.00 (${mbps(forwardMbps)} vs ${mbps(sshMbps)}): ${ratio >= 1 ? 'goal met' : 'goal not met'}`)
    } else console.log('  p2prc / ssh -L:     not measured (no OpenSSH): goal not checked')
  } finally {
    ssh?.stop()
    await client.stop()
    await host.stop()
    for (const c of await docker.listContainers({ all: true, filters: { label: [`p2prc.node=${host.info.peerId}`] } })) {
      await docker.getContainer(c.Id).remove({ force: true }).catch(() => {})
    }
    // The owner's network too: the daemon prunes it only when it removes the container itself,
    // and left behind, a few dozen runs take every address range the engine has.
    for (const n of await docker.listNetworks({ filters: { label: [`p2prc.node=${host.info.peerId}`] } })) {
      await docker.getNetwork(n.Id).remove().catch(() => {})
    }
    await removeDir(root)
  }
}
