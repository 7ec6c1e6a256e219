/**
 * `sinkFromUrl`: `jsonl:PATH`, `jsonl:-` and `postgres://…` open the right sink; anything else is
 * ERR_CONFIG (exit 78) with the spec shown without credentials.
 */
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { JsonlSink, PostgresSink, sinkFromUrl } from '../../../consumer/src/sinks/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { CollectingStream, readJsonl } from './_jsonl.ts'
import { dropTestSchemas, freshSchema, postgresUrl } from './_postgres.ts'
import { record } from './sink_contract.ts'

afterEach(cleanupTempDirs)
afterAll(dropTestSchemas)

describe('sinkFromUrl', () => {
  it('jsonl:PATH → a JsonlSink appending to PATH', async () => {
    const path = join(await tempDir(), 'out.jsonl')
    const sink = await sinkFromUrl(`jsonl:${path}`, { jsonl: { fsync: false } })
    expect(sink).toBeInstanceOf(JsonlSink)
    await sink.write([record(1)])
    await sink.close()
    expect(await readJsonl(path)).toHaveLength(1)
  })

  it('jsonl:- → a JsonlSink on stdout (or the stream given)', async () => {
    const stream = new CollectingStream()
    const sink = await sinkFromUrl('jsonl:-', { stdout: stream })
    expect(sink.description).toBe('jsonl:-')
    await sink.write([record(1)])
    expect(stream.text).toMatch(/^\{"deviceId":"dev-1",/)
    await sink.close()
    const stdout = await sinkFromUrl('jsonl:-')
    expect(stdout).toBeInstanceOf(JsonlSink)
    await stdout.close()
  })

  it('postgres://… and postgresql://… → a PostgresSink with the options given', async () => {
    const table = `${await freshSchema()}.readings`
    for (const url of [postgresUrl, postgresUrl.replace(/^postgres:/, 'postgresql:')]) {
      const sink = await sinkFromUrl(url, { postgres: { table } })
      expect(sink).toBeInstanceOf(PostgresSink)
      expect(sink.description).toMatch(/\(table "sw_test_[0-9a-f]+"\."readings"\)$/)
      await sink.close()
    }
  })

  it.each([
    ['', /^--sink: expected jsonl:PATH, jsonl:- or postgres:\/\/…, got ""$/],
    ['out.jsonl', /got "out\.jsonl"$/],
    ['JSONL:x', /got "JSONL:x"$/],
    ['mysql://u:pw@db/x', /got "mysql:\/\/db\/x"$/],
    ['jsonl:', /^--sink: jsonl: needs a path \(jsonl:PATH, or jsonl:- for stdout\)$/],
  ])('%j → ERR_CONFIG', async (spec, message) => {
    const err = await caught(sinkFromUrl(spec))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toMatch(message)
    expect(err.message).not.toContain('pw')
  })

  it('a JSONL path in a missing folder → ERR_CONFIG naming the flag', async () => {
    const err = await caught(sinkFromUrl('jsonl:/no/such/folder/out.jsonl'))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toBe(
      '--sink: jsonl:/no/such/folder/out.jsonl: the folder "/no/such/folder" does not exist',
    )
  })

  it('a postgres URL that does not parse → ERR_CONFIG without the password', async () => {
    const err = await caught(sinkFromUrl('postgres://u:pw@[::1/db'))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toBe('--sink: "postgres://[::1/db" is not a valid postgres:// URL')
  })
})
