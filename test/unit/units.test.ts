import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatAge, formatBytes, parseDuration, parseSize } from '../../dist/units/index.js'

describe('sizes and durations', () => {
  it('parses sizes as Docker users write them', () => {
    assert.equal(parseSize('512m'), 512 * 1024 ** 2)
    assert.equal(parseSize('8g'), 8 * 1024 ** 3)
    assert.equal(parseSize('8GiB'), 8 * 1024 ** 3)
    assert.equal(parseSize('8GB'), 8e9)
    assert.equal(parseSize('1.5g'), 1.5 * 1024 ** 3)
    assert.equal(parseSize('1048576'), 1048576)
    for (const bad of ['', 'g', '-1m', '8 gigs', '1e9', '99999999999999999999t']) assert.equal(parseSize(bad), null, bad)
  })

  it('parses durations', () => {
    assert.equal(parseDuration('90s'), 90_000)
    assert.equal(parseDuration('30m'), 1_800_000)
    assert.equal(parseDuration('2h'), 7_200_000)
    assert.equal(parseDuration('1h30m'), 5_400_000)
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('45'), 45_000)
    for (const bad of ['', 'h', '-5s', '5 minutes', '5x']) assert.equal(parseDuration(bad), null, bad)
  })

  it('formats for people', () => {
    assert.equal(formatBytes(900), '900 B')
    assert.equal(formatBytes(1536 * 1024 ** 2), '1.5 GiB')
    assert.equal(formatBytes(512 * 1024 ** 2), '512 MiB')
    assert.equal(formatAge(3_000), '3s')
    assert.equal(formatAge(10 * 60_000), '10m')
  })
})
