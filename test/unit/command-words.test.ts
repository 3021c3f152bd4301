import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { endOptionsAtProgram } from '../../dist/cli/command-words.js'
import { buildProgram } from '../../dist/cli/main.js'

const line = (text: string): string[] => endOptionsAtProgram(buildProgram(), text.split(' '))

describe('run PEER IMAGE CMD...: the command\'s words are its own', () => {
  it('ends our options at the command\'s first word, wherever ours and the program\'s options stand', () => {
    assert.deepEqual(line('run auto busybox sh -c true'), 'run auto busybox -- sh -c true'.split(' '))
    assert.deepEqual(line('--data-dir /d --json run --cpus 0.5 auto busybox --ttl 10m sh -c true'), '--data-dir /d --json run --cpus 0.5 auto busybox --ttl 10m -- sh -c true'.split(' '))
    assert.deepEqual(line('run -e A=B auto busybox --json ls -l'), 'run -e A=B auto busybox --json -- ls -l'.split(' '))
  })

  it('leaves alone a line that has its `--`, no command, or another subcommand', () => {
    for (const text of ['run auto busybox --ttl 10m -- sleep 60', 'run auto busybox --cpus 1', 'run auto', 'logs peer abcd -f', '--api http://x run']) {
      assert.deepEqual(line(text), text.split(' '))
    }
  })
})
