import { useEffect, useRef, useState } from 'preact/hooks'

/** Text kept in the pane. */
const MAX_TEXT = 200_000

/**
 * A shell in the container over the exec WebSocket (`GET .../exec`): a line at a time, as the
 * shell reads its input from a pipe. The page's CSP allows no injected styles, which terminal
 * emulators need, so this is a line console rather than a full terminal (`p2prc shell` has one).
 */
export function CommandPane ({ path }: { path: string }) {
  const [open, setOpen] = useState(false)
  const [output, setOutput] = useState('')
  const [state, setState] = useState('')
  const socket = useRef<WebSocket | null>(null)
  const pre = useRef<HTMLPreElement>(null)

  useEffect(() => {
    if (!open) return
    const url = new URL(`${path}/exec`, location.href)
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
    url.searchParams.append('cmd', '/bin/sh')
    url.searchParams.set('stdin', 'true')
    const ws = new WebSocket(url)
    ws.binaryType = 'arraybuffer'
    socket.current = ws
    const decoder = new TextDecoder()
    setOutput('')
    setState('connecting…')
    ws.onmessage = event => {
      if (typeof event.data === 'string') {
        const control = JSON.parse(event.data) as { type: string, exitCode?: number, error?: { message: string } }
        if (control.type === 'started') setState('running /bin/sh')
        if (control.type === 'exit') setState(`exited with code ${control.exitCode ?? '?'}`)
        if (control.type === 'error') setState(`refused: ${control.error?.message ?? 'error'}`)
        return
      }
      const data = new Uint8Array(event.data as ArrayBuffer)
      setOutput(old => (old + decoder.decode(data.subarray(1), { stream: true })).slice(-MAX_TEXT))
    }
    ws.onclose = () => { setState(s => s.startsWith('running') || s === 'connecting…' ? 'closed' : s) }
    return () => { ws.close() }
  }, [open, path])
  useEffect(() => {
    if (pre.current != null) pre.current.scrollTop = pre.current.scrollHeight
  }, [output])

  const send = (event: Event): void => {
    event.preventDefault()
    const form = event.currentTarget as HTMLFormElement
    const input = form.elements.namedItem('line') as HTMLInputElement
    const ws = socket.current
    if (ws == null || ws.readyState !== WebSocket.OPEN) return
    const bytes = new TextEncoder().encode(input.value + '\n')
    const message = new Uint8Array(bytes.length + 1)
    message.set(bytes, 1)
    ws.send(message)
    setOutput(old => old + `$ ${input.value}\n`)
    input.value = ''
  }
  if (!open) return <button type="button" onClick={() => { setOpen(true) }}>Open a shell</button>
  return (
    <section class="console" aria-label="shell">
      <h3>Shell <span class="muted">{state}</span> <button type="button" class="quiet" onClick={() => { setOpen(false) }}>close</button></h3>
      <pre ref={pre} tabIndex={0}>{output}</pre>
      <form onSubmit={send}><label class="grow">command <input name="line" autoComplete="off" spellcheck={false} autoFocus /></label><button type="submit">Send</button>
        <button type="button" class="quiet" onClick={() => { socket.current?.send(JSON.stringify({ type: 'signal', signal: 'SIGINT' })) }}>Ctrl-C</button></form>
    </section>
  )
}
