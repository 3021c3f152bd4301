/** No engine message comes near this; a longer line means something is wrong, not a big message. */
const MAX_LINE_LENGTH = 1024 * 1024

/** Parses newline-delimited JSON (Docker's stats and pull progress streams) as it arrives. */
export async function * jsonLines<T> (source: AsyncIterable<Uint8Array | string>): AsyncGenerator<T> {
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of source) {
    // stream: true keeps a UTF-8 character cut between two reads whole.
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    let newline: number
    while ((newline = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, newline).trim()
      rest = rest.slice(newline + 1)
      if (line !== '') yield JSON.parse(line) as T
    }
    if (rest.length > MAX_LINE_LENGTH) throw new Error(`a JSON line from the engine exceeds ${MAX_LINE_LENGTH} bytes`)
  }
  rest = (rest + decoder.decode()).trim()
  if (rest !== '') yield JSON.parse(rest) as T
}
