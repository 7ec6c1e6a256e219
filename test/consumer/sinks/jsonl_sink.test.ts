/**
 * JsonlSink: the Sink contract on a file and on a stream (`jsonl:-`), then what is the JSONL
 * sink's own: the exact line format, the bounded memory of keys and its rebuild from the file's
 * end, a torn last line after a crash, files that are not ours, modes, and the failure path of a
 * file write (a handle that fails mid-write: the batch is cut back off, nothing half-stored).
 */
import { execFileSync } from 'node:child_process'
import { appendFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { JsonlSink, OUTPUT_FIELDS } from '../../../consumer/src/sinks/index.ts'
import { FileTarget } from '../../../consumer/src/sinks/_jsonl_targets.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { CollectingStream, parseJsonl, readJsonl } from './_jsonl.ts'
import { record, sinkContract } from './sink_contract.ts'

afterEach(cleanupTempDirs)

sinkContract(
  'JsonlSink (file)',
  async () => {
    const path = join(await tempDir(), 'out.jsonl')
    return { open: () => JsonlSink.open(path), stored: () => readJsonl(path) }
  },
  // A real file cannot be made to fail from here: the file target's failure path is tested
  // below with a handle that fails, and the stream variant runs the contract's failure test.
  { survivesReopen: true, breakable: false },
)

sinkContract(
  'JsonlSink (stdout stream)',
  async () => {
    const stream = new CollectingStream()
    return {
      open: async () => JsonlSink.toStream(stream),
      stored: async () => parseJsonl(stream.text),
      breakIt: async () => stream.fail(),
    }
  },
  // A stream has nothing to read back: a new process forgets what an earlier one wrote.
  { survivesReopen: false, breakable: true },
)

const sinks: JsonlSink[] = []
afterEach(async () => {
  while (sinks.length > 0) await sinks.pop()!.close()
})

async function openAt(path: string, options?: Parameters<typeof JsonlSink.open>[1]) {
  const sink = await JsonlSink.open(path, options)
  sinks.push(sink)
  return sink
}

async function newPath(): Promise<string> {
  return join(await tempDir(), 'out.jsonl')
}

describe('JsonlSink: format', () => {
  it('writes one line per record, fields in the documented order, byte for byte', async () => {
    const path = await newPath()
    const sink = await openAt(path)
    await sink.write([
      {
        receivedAt: 1_700_000_000_500,
        value: { t: 21.5, ok: true },
        deviceId: 'dev-1',
        epochId: '00112233aabbccdd',
        seq: 42,
        clock: 0,
        time: 1_700_000_000_000,
        stream: 'temp',
        index: 0,
      },
    ])
    expect(await readFile(path, 'utf8')).toBe(
      '{"deviceId":"dev-1","seq":42,"index":0,"stream":"temp","time":1700000000000,"clock":0,' +
        '"value":{"t":21.5,"ok":true},"epochId":"00112233aabbccdd","receivedAt":1700000000500}\n',
    )
    expect([...OUTPUT_FIELDS]).toEqual([
      'deviceId',
      'seq',
      'index',
      'stream',
      'time',
      'clock',
      'value',
      'epochId',
      'receivedAt',
    ])
  })

  it('creates a new file with mode 0600, and appends to an existing one', async () => {
    const path = await newPath()
    await openAt(path).then((s) => s.write([record(0)]))
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    const again = await openAt(path)
    await again.write([record(1)])
    expect(await readJsonl(path)).toHaveLength(2)
  })

  it('describes itself as jsonl:PATH or jsonl:-', async () => {
    const path = await newPath()
    expect((await openAt(path)).description).toBe(`jsonl:${path}`)
    expect(JsonlSink.toStream(new CollectingStream()).description).toBe('jsonl:-')
  })
})

describe('JsonlSink: bounded idempotency', () => {
  it('remembers the last dedupeEntries keys in a process, no more', async () => {
    const sink = await openAt(await newPath(), { dedupeEntries: 3 })
    await sink.write([0, 1, 2, 3, 4].map((n) => record(n)))
    expect(await sink.write([record(4), record(2)])).toEqual({ inserted: 0, duplicates: 2 })
    expect(await sink.write([record(0)])).toEqual({ inserted: 1, duplicates: 0 }) // forgotten
  })

  it('on reopen reads the keys back from the last dedupeEntries lines', async () => {
    const path = await newPath()
    const first = await openAt(path)
    await first.write(Array.from({ length: 10 }, (_, n) => record(n)))
    await first.close()
    const second = await openAt(path, { dedupeEntries: 4 })
    expect(second.recovery).toEqual({ keys: 4, tornBytesRemoved: 0 })
    expect(await second.write([record(9), record(6)])).toEqual({ inserted: 0, duplicates: 2 })
    expect(await second.write([record(5)])).toEqual({ inserted: 1, duplicates: 0 })
  })

  it('on reopen reads at most rebuildMaxBytes of the file', async () => {
    const path = await newPath()
    const first = await openAt(path)
    await first.write(Array.from({ length: 100 }, (_, n) => record(n)))
    await first.close()
    const lineBytes = (await readFile(path, 'utf8')).split('\n')[99]!.length + 1
    const second = await openAt(path, { rebuildMaxBytes: lineBytes * 10 })
    expect(second.recovery.keys).toBeGreaterThanOrEqual(8)
    expect(second.recovery.keys).toBeLessThanOrEqual(10)
    expect(await second.write([record(99)])).toEqual({ inserted: 0, duplicates: 1 })
    expect(await second.write([record(0)])).toEqual({ inserted: 1, duplicates: 0 })
  })

  it('reads back a file bigger than one read chunk (1 MiB)', async () => {
    const path = await newPath()
    const first = await openAt(path, { fsync: false })
    const big = 'x'.repeat(2000)
    await first.write(Array.from({ length: 1200 }, (_, n) => record(n, { value: big })))
    await first.close()
    expect((await stat(path)).size).toBeGreaterThan(2 * 1024 * 1024)
    const second = await openAt(path)
    expect(second.recovery.keys).toBe(1200)
    expect(await second.write([record(0), record(1199)])).toEqual({ inserted: 0, duplicates: 2 })
  })
})

describe('JsonlSink: an existing file after a crash', () => {
  it('cuts a torn last line off (it was never acknowledged) and appends after it', async () => {
    const path = await newPath()
    const first = await openAt(path)
    await first.write([record(0), record(1)])
    await first.close()
    await appendFile(path, '{"deviceId":"dev-1","seq":10')
    const second = await openAt(path)
    expect(second.recovery).toEqual({ keys: 2, tornBytesRemoved: 28 })
    await second.write([record(2)])
    expect((await readJsonl(path)).map((r) => r.seq)).toEqual([1000, 1000, 1000])
  })

  it('completes a last line that is a whole record without its newline', async () => {
    const path = await newPath()
    const line = JSON.stringify(record(5))
    await writeFile(path, `${JSON.stringify(record(4))}\n${line}`)
    const sink = await openAt(path)
    expect(sink.recovery).toEqual({ keys: 2, tornBytesRemoved: 0 })
    expect(await sink.write([record(5), record(6)])).toEqual({ inserted: 1, duplicates: 1 })
    expect(await readJsonl(path)).toHaveLength(3)
  })

  it('a file that is only a torn line becomes empty', async () => {
    const path = await newPath()
    await writeFile(path, '{"devi')
    const sink = await openAt(path)
    expect(sink.recovery).toEqual({ keys: 0, tornBytesRemoved: 6 })
    expect(await readFile(path, 'utf8')).toBe('')
  })

  it('refuses a file whose last lines are not sealwire records (ERR_SINK_FILE_INVALID), leaving it alone', async () => {
    const path = await newPath()
    const text = `${JSON.stringify(record(1))}\nnot json\n${JSON.stringify(record(2))}\n`
    await writeFile(path, text)
    const err = await caught(JsonlSink.open(path))
    expect(err.code).toBe('ERR_SINK_FILE_INVALID')
    expect(err.message).toMatch(/the line at byte \d+ is not a sealwire output record/)
    await writeFile(path, '{"some":"json"}\n')
    expect((await caught(JsonlSink.open(path))).code).toBe('ERR_SINK_FILE_INVALID')
    expect(await readFile(path, 'utf8')).toBe('{"some":"json"}\n')
  })

  it('refuses a file whose last line is longer than rebuildMaxBytes', async () => {
    const path = await newPath()
    await writeFile(path, 'x'.repeat(5000))
    const err = await caught(JsonlSink.open(path, { rebuildMaxBytes: 1000 }))
    expect(err.code).toBe('ERR_SINK_FILE_INVALID')
  })

  it('skips empty lines', async () => {
    const path = await newPath()
    await writeFile(path, `${JSON.stringify(record(1))}\n\n`)
    expect((await openAt(path)).recovery.keys).toBe(1)
  })
})

describe('JsonlSink: paths that are not an output file', () => {
  it('a missing folder, a folder, a FIFO → ERR_CONFIG', async () => {
    const dir = await tempDir()
    const missing = await caught(JsonlSink.open(join(dir, 'no/such/out.jsonl')))
    expect(missing.code).toBe('ERR_CONFIG')
    expect(missing.message).toMatch(/the folder ".*no\/such" does not exist/)
    await mkdir(join(dir, 'sub'))
    const folder = await caught(JsonlSink.open(join(dir, 'sub')))
    expect(folder.code).toBe('ERR_CONFIG')
    const fifo = join(dir, 'fifo')
    execFileSync('mkfifo', [fifo])
    const err = await caught(JsonlSink.open(fifo))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toBe(`jsonl:${fifo}: not a regular file (use jsonl:- to write to stdout)`)
  })

  it('option values out of range → ERR_CONFIG', async () => {
    const path = await newPath()
    for (const options of [{ dedupeEntries: 0 }, { rebuildMaxBytes: 1.5 }]) {
      expect((await caught(JsonlSink.open(path, options))).code).toBe('ERR_CONFIG')
    }
  })
})

describe('JsonlSink: file write failures', () => {
  /** A handle over a byte array that can fail its writes, datasync or truncate. */
  function fakeHandle() {
    const h = {
      data: Buffer.alloc(0),
      failWriteAfter: Infinity, // bytes accepted before a write fails
      failSync: false,
      failTruncate: false,
      syncs: 0,
      truncates: [] as number[],
      async write(buf: Uint8Array, offset = 0, length = buf.length - offset) {
        const room = Math.max(0, h.failWriteAfter - h.data.length)
        if (room === 0) throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' })
        const n = Math.min(room, length, 7) // short writes, to exercise the loop
        h.data = Buffer.concat([h.data, buf.subarray(offset, offset + n)])
        return { bytesWritten: n, buffer: buf }
      },
      async datasync() {
        h.syncs++
        if (h.failSync) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })
      },
      async truncate(len = 0) {
        h.truncates.push(len)
        if (h.failTruncate) throw new Error('EIO')
        h.data = h.data.subarray(0, len)
      },
      async close() {},
    }
    return h
  }

  it('appends with short writes, fdatasyncs each append', async () => {
    const h = fakeHandle()
    const target = new FileTarget(h as never, 0, true, '/x')
    await target.append('hello world, this is longer than seven bytes\n')
    expect(h.data.toString()).toBe('hello world, this is longer than seven bytes\n')
    expect(h.syncs).toBe(1)
    await new FileTarget(h as never, h.data.length, false, '/x').append('more\n')
    expect(h.syncs).toBe(1)
  })

  it('a write that fails midway is cut back to the length before it: ERR_SINK_UNAVAILABLE', async () => {
    const h = fakeHandle()
    const target = new FileTarget(h as never, 0, true, '/x')
    await target.append('first line\n')
    h.failWriteAfter = 20
    const err = await caught(target.append('second line that does not fit\n'))
    expect(err.code).toBe('ERR_SINK_UNAVAILABLE')
    expect(err.message).toBe('jsonl:/x: ENOSPC: no space left')
    expect(h.data.toString()).toBe('first line\n')
  })

  it('a datasync that fails also cuts the batch back', async () => {
    const h = fakeHandle()
    const target = new FileTarget(h as never, 0, true, '/x')
    h.failSync = true
    expect((await caught(target.append('line\n'))).code).toBe('ERR_SINK_UNAVAILABLE')
    expect(h.data.length).toBe(0)
  })

  it('when the cut itself fails, the next append cuts first (never appends after a torn batch)', async () => {
    const h = fakeHandle()
    const target = new FileTarget(h as never, 0, true, '/x')
    await target.append('ok\n')
    h.failSync = true
    h.failTruncate = true
    await caught(target.append('torn\n'))
    expect(h.data.toString()).toBe('ok\ntorn\n') // the cut failed
    h.failSync = false
    h.failTruncate = false
    await target.append('next\n')
    expect(h.data.toString()).toBe('ok\nnext\n')
  })

  it('through the sink: a failed write stores nothing and forgets nothing it did not store', async () => {
    const stream = new CollectingStream()
    const sink = JsonlSink.toStream(stream)
    await sink.write([record(0)])
    stream.fail()
    expect((await caught(sink.write([record(1)]))).message).toBe('jsonl:-: write EPIPE')
    expect((await caught(sink.write([record(1)]))).code).toBe('ERR_SINK_UNAVAILABLE')
    await sink.close()
    expect(stream.listenerCount).toBe(0)
  })
})
