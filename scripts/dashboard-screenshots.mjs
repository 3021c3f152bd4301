#!/usr/bin/env node
// `npm run screenshots`: the dashboard's views at 1280x800 (and one at phone width, one dark) in
// docs/dashboard/, from three real daemons on loopback: a host with the Docker engine and two
// client peers. Alice's dashboard shows her network, her containers and her job on the host; the
// host's shows its operator Alice's and Bob's guests.
import { mkdir } from 'node:fs/promises'
import { chromium } from 'playwright-core'
import { ROOT, removeDir, request, startDaemon, tmpDir } from './bench/lib.mjs'

const CHROMIUM = process.env.P2PRC_CHROMIUM ?? '/usr/bin/chromium'
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage']
const IMAGE = 'p2prc-test/busybox:latest'
const OUT = `${ROOT}docs/dashboard`

const until = async (check, what, timeout = 30_000) => {
  const deadline = Date.now() + timeout
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise(resolve => setTimeout(resolve, 200))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const dirs = [await tmpDir(), await tmpDir(), await tmpDir()]
const host = await startDaemon(dirs[0], ['--name', 'lab-gpu-box', '--label', 'zone=eu', '--label', 'lab=vision'])
const b = await startDaemon(dirs[1], ['--name', 'alice-laptop', '--no-docker', '--label', 'zone=eu', '--bootstrap', host.info.multiaddrs[0]])
const c = await startDaemon(dirs[2], ['--name', 'bob-desktop', '--no-docker', '--label', 'zone=us', '--bootstrap', host.info.multiaddrs[0]])
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS })
const started = []
try {
  await mkdir(OUT, { recursive: true })
  await until(async () => (await request(host, 'GET', '/v1/peers')).length >= 2, 'the peers to meet')
  const mine = await request(b, 'POST', `/v1/peers/${host.info.peerId}/containers`, {
    image: IMAGE, name: 'render-frames', memory: '128m', cpus: 0.5, ttl: '30m',
    cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "frame $i rendered"; n=0; while [ $n -lt 20000 ]; do n=$((n+1)); done; done']
  })
  started.push([b, mine])
  const guest = await request(c, 'POST', `/v1/peers/${host.info.peerId}/containers`, { image: IMAGE, name: 'bob-notebook', memory: '256m', cpus: 0.25, ttl: '2h', cmd: ['sleep', '3600'] })
  started.push([c, guest])
  const job = await request(b, 'POST', '/v1/jobs', { spec: { name: 'thumbnails', image: IMAGE, count: 4, cmd: ['sh', '-c', 'echo task $P2PRC_TASK_INDEX; sleep 2'], resources: { memory: '32m', cpus: 0.1 } } })
  await until(async () => ['done', 'failed'].includes((await request(b, 'GET', `/v1/jobs/${job.jobId}`)).state), 'the job to end', 90_000)

  const shoot = async (daemon, name, hash, ready, options = {}) => {
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 800 }, colorScheme: options.dark === true ? 'dark' : 'light' })
    const page = await context.newPage()
    const { code } = await request(daemon, 'POST', '/v1/dashboard/codes')
    await page.goto(`${daemon.info.api}/#code=${code}`)
    await page.getByRole('heading', { name: /Network/ }).waitFor()
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`)
    await ready(page)
    await page.screenshot({ path: `${OUT}/${name}.png` })
    await context.close()
    console.log(`docs/dashboard/${name}.png`)
  }
  const enoughSamples = async page => {
    await until(async () => Number(await page.locator('figure.chart').first().getAttribute('data-samples')) >= 8, 'chart samples')
    await page.getByText(/frame \d+ rendered/).first().waitFor()
  }
  await shoot(b, 'network', `#/network/${host.info.peerId}`, async page => { await page.locator('dl.facts').waitFor(); await page.getByText('bob-desktop').waitFor() })
  await shoot(b, 'my-work', `#/work/${mine.peerId}/${mine.containerId}`, enoughSamples)
  await shoot(b, 'jobs', `#/jobs/${job.jobId}`, async page => { await page.getByRole('region', { name: 'job' }).waitFor() })
  await shoot(host, 'this-host', '#/host', async page => { await page.getByText('bob-notebook').waitFor(); await page.getByText('alice-laptop').first().waitFor() })
  await shoot(b, 'network-dark', '#/network', async page => { await page.getByText('bob-desktop').waitFor() }, { dark: true })
  await shoot(b, 'my-work-phone', `#/work/${mine.peerId}/${mine.containerId}`, enoughSamples, { viewport: { width: 390, height: 844 } })
} finally {
  for (const [daemon, container] of started) await request(daemon, 'DELETE', `/v1/peers/${container.peerId}/containers/${container.containerId}`).catch(() => {})
  await browser.close()
  for (const daemon of [c, b, host]) await daemon.stop()
  for (const dir of dirs) await removeDir(dir)
}
