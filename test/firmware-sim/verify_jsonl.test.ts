/**
 * readJsonlSink: reads what the consumer's real JSONL sink wrote, streaming, and refuses any line
 * that is not exactly one output record, naming the file and line.
 */
import { appendFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { JsonlSink } from '../../consumer/src/index.ts'
import type { OutputRecord } from '../../consumer/src/index.ts'
import {
  collectJsonlSink,
  readJsonlSink,
  VerifyError,
} from '../../firmware-sim/src/verify/index.ts'
import { cleanupTempDirs, tempDir } from '../helpers/index.ts'

afterAll(cleanupTempDirs)

const LINE =
  '{"deviceId":"dev-1","seq":42,"index":0,"stream":"temp","time":1700000000000,"clock":0,"value":{"t":21.5},"epochId":"00112233aabbccdd","receivedAt":1700000000500}'

function record(i: number): OutputRecord {
  return {
    deviceId: `dev-${i % 3}`,
    seq: 100 + i,
    index: i % 2,
    stream: 's',
    time: 1_700_000_000_000 + i,
    clock: (i % 2) as 0 | 1,
    value: i % 5 === 0 ? { nested: [i, 'ü'] } : i,
    epochId: '0123456789abcdef',
    receivedAt: 1_700_000_000_100 + i,
  }
}

async function fileWith(text: string): Promise<string> {
  const path = join(await tempDir('verify-jsonl-'), 'out.jsonl')
  await writeFile(path, text)
  return path
}

async function failure(path: string): Promise<VerifyError> {
  const err = await collectJsonlSink(path).catch((e: unknown) => e)
  expect(err).toBeInstanceOf(VerifyError)
  return err as VerifyError
}

describe('readJsonlSink', () => {
  it('reads back exactly what the consumer’s JSONL sink wrote, in order', async () => {
    const path = join(await tempDir('verify-jsonl-'), 'readings.jsonl')
    const sink = await JsonlSink.open(path)
    const records = Array.from({ length: 2_500 }, (_, i) => record(i))
    for (let i = 0; i < records.length; i += 500) await sink.write(records.slice(i, i + 500))
    await sink.close()
    expect(await collectJsonlSink(path)).toEqual(records)
    let n = 0
    for await (const r of readJsonlSink(path)) {
      expect(r.seq).toBe(100 + n)
      n++
    }
    expect(n).toBe(2_500)
  })

  it('reads an empty file as no records, and the README’s example line', async () => {
    expect(await collectJsonlSink(await fileWith(''))).toEqual([])
    expect(await collectJsonlSink(await fileWith(`${LINE}\n`))).toEqual([JSON.parse(LINE)])
  })

  it.each([
    ['not JSON', '{"deviceId":', /^not strict JSON \(/],
    [
      'a key twice',
      LINE.replace('{"deviceId":"dev-1",', '{"deviceId":"dev-1","deviceId":"dev-2",'),
      /^not strict JSON \(/,
    ],
    ['an array', '[1,2]', /^not a JSON object$/],
    [
      'a missing field',
      LINE.replace(',"receivedAt":1700000000500', ''),
      /^not an output record \(/,
    ],
    ['an extra field', `${LINE.slice(0, -1)},"extra":1}`, /^not an output record \(/],
    [
      'a bad epoch id',
      LINE.replace('00112233aabbccdd', '00112233AABBCCDD'),
      /^not an output record \(/,
    ],
    ['a clock of 2', LINE.replace('"clock":0', '"clock":2'), /^not an output record \(/],
    ['a fractional seq', LINE.replace('"seq":42', '"seq":42.5'), /^not an output record \(/],
    [
      'fields out of order',
      LINE.replace('"seq":42,"index":0', '"index":0,"seq":42'),
      /^fields must be exactly deviceId, seq, index, stream, time, clock, value, epochId, receivedAt, in that order$/,
    ],
  ])('refuses a line with %s, naming file and line', async (_what, bad, detail) => {
    const path = await fileWith(`${LINE}\n${bad}\n${LINE}\n`)
    const err = await failure(path)
    expect(err.code).toBe('ERR_SINK_LINE_INVALID')
    expect(err.message.startsWith(`${path}:2: `)).toBe(true)
    expect(err.message.slice(`${path}:2: `.length)).toMatch(detail)
  })

  it('refuses a torn last line (no newline) and an empty line', async () => {
    const torn = await fileWith(`${LINE}\n${LINE.slice(0, 40)}`)
    expect((await failure(torn)).message).toBe(
      `${torn}:2: the last line has no newline (torn write?)`,
    )
    const whole = await fileWith(`${LINE}\n${LINE}`)
    expect((await failure(whole)).message).toBe(
      `${whole}:2: the last line has no newline (torn write?)`,
    )
    const empty = await fileWith(`${LINE}\n\n`)
    expect((await failure(empty)).message).toMatch(new RegExp(`^${empty}:2: not strict JSON`))
  })

  it('stops at the first bad line but yields the good ones before it', async () => {
    const path = await fileWith(`${LINE}\n${LINE}\n{}\n`)
    const seen: number[] = []
    const err = await (async () => {
      for await (const r of readJsonlSink(path)) seen.push(r.seq)
    })().catch((e: unknown) => e)
    expect(seen).toEqual([42, 42])
    expect((err as VerifyError).message).toMatch(new RegExp(`^${path}:3: not an output record`))
  })

  it('reports a missing file as ERR_IO', async () => {
    const path = join(await tempDir('verify-jsonl-'), 'missing.jsonl')
    const err = await failure(path)
    expect(err.code).toBe('ERR_IO')
    expect(err.message).toMatch(new RegExp(`^cannot read the sink ${path}: ENOENT`))
  })

  it('reads a line split across read chunks', async () => {
    const path = await fileWith('')
    const records = Array.from({ length: 40_000 }, (_, i) => record(i))
    await appendFile(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''))
    const got = await collectJsonlSink(path)
    expect(got).toHaveLength(40_000)
    expect(got[39_999]).toEqual(records[39_999])
  })
})
