// After the dashboard's build: a .br and a .gz beside each text file, which the daemon sends to
// browsers that take them (@fastify/static preCompressed) without compressing on every request.
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const root = new URL('../dist/dashboard/', import.meta.url).pathname
const TEXT = /\.(html|js|css|svg|json)$/

let raw = 0
let gzipped = 0
for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !TEXT.test(entry.name)) continue
  const path = join(entry.parentPath, entry.name)
  const data = await readFile(path)
  const gz = gzipSync(data, { level: 9 })
  await writeFile(`${path}.gz`, gz)
  await writeFile(`${path}.br`, brotliCompressSync(data, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }))
  raw += data.length
  gzipped += gz.length
}
console.log(`dashboard: ${(raw / 1024).toFixed(1)} KiB, ${(gzipped / 1024).toFixed(1)} KiB gzipped`)
