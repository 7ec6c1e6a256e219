/**
 * JSONL helpers of the sink tests: read an output file back (checking every line's field order),
 * and a stream that collects what a `jsonl:-` sink writes and can be made to fail.
 */
import { readFile } from 'node:fs/promises'
import { expect } from 'vitest'
import { OUTPUT_FIELDS } from '../../../consumer/src/sinks/index.ts'
import type { JsonlStream, OutputRecord } from '../../../consumer/src/sinks/index.ts'

/** Parses JSONL text, checking that every line is newline-terminated and in field order. */
export function parseJsonl(text: string): OutputRecord[] {
  if (text === '') return []
  expect(text.endsWith('\n')).toBe(true)
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const parsed = JSON.parse(line) as OutputRecord
      expect(Object.keys(parsed)).toEqual([...OUTPUT_FIELDS])
      return parsed
    })
}

/** The records of a JSONL file (none when it does not exist). */
export async function readJsonl(path: string): Promise<OutputRecord[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    return []
  }
  return parseJsonl(text)
}

/** A stream that keeps what it is given; `fail()` makes every later write fail like EPIPE. */
export class CollectingStream implements JsonlStream {
  text = ''
  #failing: Error | undefined
  readonly #listeners = new Set<(err: Error) => void>()

  write(chunk: string, callback: (err?: Error | null) => void): boolean {
    const failing = this.#failing
    setImmediate(() => {
      if (failing) callback(failing)
      else {
        this.text += chunk
        callback()
      }
    })
    return true
  }

  on(_event: 'error', listener: (err: Error) => void): this {
    this.#listeners.add(listener)
    return this
  }

  off(_event: 'error', listener: (err: Error) => void): this {
    this.#listeners.delete(listener)
    return this
  }

  get listenerCount(): number {
    return this.#listeners.size
  }

  /** Fails from now on, announcing it as an 'error' event first (as a broken pipe does). */
  fail(): void {
    this.#failing = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
    for (const listener of this.#listeners) listener(this.#failing)
  }
}
