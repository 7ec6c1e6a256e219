/**
 * PostgresSink against the PostgreSQL of the machine (CI runs one; see `_postgres.ts`): the Sink
 * contract in a fresh schema per test (failure = the table dropped under the sink), then what is
 * PostgreSQL's own: the table it creates, two sinks (two instances) on one table, a lost
 * connection, tables without the key or the columns, U+0000, credentials kept out of messages.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { PostgresSink } from '../../../consumer/src/sinks/index.ts'
import type { OutputRecord } from '../../../consumer/src/sinks/index.ts'
import { caught } from '../../helpers/index.ts'
import { adminPool, dropTestSchemas, freshSchema, postgresUrl } from './_postgres.ts'
import { record, sinkContract } from './sink_contract.ts'

afterAll(dropTestSchemas)

/** Rows of `table` as OutputRecords (bigints arrive as strings; times are exact integers). */
async function storedIn(table: string): Promise<OutputRecord[]> {
  const { rows } = await (
    await adminPool()
  ).query(
    `SELECT device_id, seq, idx, stream, time_ms, clock, value, epoch_id, received_at_ms FROM ${table}`,
  )
  return rows.map((r) => ({
    deviceId: r.device_id,
    seq: Number(r.seq),
    index: r.idx,
    stream: r.stream,
    time: Number(r.time_ms),
    clock: r.clock,
    value: r.value,
    epochId: r.epoch_id,
    receivedAt: Number(r.received_at_ms),
  }))
}

sinkContract(
  'PostgresSink',
  async () => {
    const table = `${await freshSchema()}.readings`
    const recreate = async () => {
      const probe = await PostgresSink.open(postgresUrl, { table })
      await probe.close()
    }
    let saved: OutputRecord[] = []
    return {
      open: () => PostgresSink.open(postgresUrl, { table }),
      stored: () => storedIn(table),
      breakIt: async () => {
        saved = await storedIn(table)
        await (await adminPool()).query(`DROP TABLE ${table}`)
      },
      // Dropping lost the rows: put back what was there, then check the failed batch is absent.
      repair: async () => {
        await recreate()
        const sink = await PostgresSink.open(postgresUrl, { table })
        await sink.write(saved)
        await sink.close()
      },
    }
  },
  { survivesReopen: true, breakable: true },
)

const sinks: PostgresSink[] = []
afterEach(async () => {
  while (sinks.length > 0) await sinks.pop()!.close()
})

async function open(table: string, options: Parameters<typeof PostgresSink.open>[1] = {}) {
  const sink = await PostgresSink.open(postgresUrl, { table, ...options })
  sinks.push(sink)
  return sink
}

describe('PostgresSink: the table', () => {
  it('creates the documented table, primary key (device_id, seq, idx)', async () => {
    const schema = await freshSchema()
    await open(`${schema}.readings`)
    const db = await adminPool()
    const { rows } = await db.query(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'readings' ORDER BY ordinal_position`,
      [schema],
    )
    expect(rows.map((r) => `${r.column_name} ${r.data_type} ${r.is_nullable}`)).toEqual([
      'device_id text NO',
      'seq bigint NO',
      'idx integer NO',
      'stream text NO',
      'time_ms bigint NO',
      'clock smallint NO',
      'value jsonb NO',
      'epoch_id text NO',
      'received_at_ms bigint NO',
    ])
    const pk = await db.query(
      `SELECT a.attname FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
       WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
      [`${schema}.readings`],
    )
    expect(pk.rows.map((r) => r.attname)).toEqual(['device_id', 'seq', 'idx'])
  })

  it('defaults to the table sealwire_readings and describes itself without credentials', async () => {
    const schema = await freshSchema()
    const url = new URL(postgresUrl)
    url.password = 's3cret' // trust authentication ignores it
    url.searchParams.set('options', `-c search_path=${schema}`)
    const sink = await PostgresSink.open(url.toString())
    sinks.push(sink)
    expect(sink.description).toBe(
      `postgres://${url.username}@${url.host}${url.pathname} (table "sealwire_readings")`.replace(
        `${url.username}@`,
        '',
      ),
    )
    expect(sink.description).not.toContain('s3cret')
    const { rows } = await (
      await adminPool()
    ).query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'sealwire_readings'`,
      [schema],
    )
    expect(rows).toHaveLength(1)
  })

  it('two sinks (two instances) opening and writing one table at once: each record once', async () => {
    const table = `${await freshSchema()}.readings`
    const [a, b] = await Promise.all([open(table), open(table)])
    const batch = Array.from({ length: 200 }, (_, n) => record(n))
    const [ra, rb] = await Promise.all([a.write(batch), b.write(batch)])
    expect(ra.inserted + rb.inserted).toBe(200)
    expect(ra.duplicates + rb.duplicates).toBe(200)
    expect(await storedIn(table)).toHaveLength(200)
  })

  it('createTable: false and no table → ERR_SINK_TABLE_INVALID', async () => {
    const table = `${await freshSchema()}.readings`
    const err = await caught(PostgresSink.open(postgresUrl, { table, createTable: false }))
    expect(err.code).toBe('ERR_SINK_TABLE_INVALID')
    expect(err.message).toMatch(/42P01 relation \\".*readings\\" does not exist/)
  })

  it('a table without the unique key is refused: duplicates would go in silently', async () => {
    const schema = await freshSchema()
    const db = await adminPool()
    await db.query(
      `CREATE TABLE ${schema}.readings (device_id text, seq bigint, idx integer, stream text,
       time_ms bigint, clock smallint, value jsonb, epoch_id text, received_at_ms bigint)`,
    )
    const err = await caught(PostgresSink.open(postgresUrl, { table: `${schema}.readings` }))
    expect(err.code).toBe('ERR_SINK_TABLE_INVALID')
    expect(err.message).toMatch(/42P10/)
  })

  it('a table missing a column is refused', async () => {
    const schema = await freshSchema()
    await (
      await adminPool()
    ).query(
      `CREATE TABLE ${schema}.readings (device_id text, seq bigint, idx integer,
       PRIMARY KEY (device_id, seq, idx))`,
    )
    const err = await caught(PostgresSink.open(postgresUrl, { table: `${schema}.readings` }))
    expect(err.code).toBe('ERR_SINK_TABLE_INVALID')
    expect(err.message).toMatch(/42703 column \\"stream\\" does not exist/)
  })

  it('a table name that is not an identifier → ERR_CONFIG, before any connection', async () => {
    for (const table of ['', 'a.b.c', 'x; DROP TABLE y', '"q"', '1abc', 'a'.repeat(64)]) {
      const err = await caught(PostgresSink.open('postgres://nowhere.invalid/db', { table }))
      expect(err.code).toBe('ERR_CONFIG')
      expect(err.message).toMatch(/^table: expected name or schema\.name/)
    }
  })
})

describe('PostgresSink: failures', () => {
  it('a server that does not answer → ERR_SINK_UNAVAILABLE at open, no password shown', async () => {
    const err = await caught(
      PostgresSink.open('postgres://app:s3cret@127.0.0.1:1/db', { connectTimeoutMs: 2_000 }),
    )
    expect(err.code).toBe('ERR_SINK_UNAVAILABLE')
    expect(err.message).toMatch(/^postgres:\/\/127\.0\.0\.1:1\/db: /)
    expect(err.message).not.toContain('s3cret')
  })

  it('connections killed under the sink: the write rejects or succeeds, then writes go on, each record once', async () => {
    const table = `${await freshSchema()}.readings`
    const sink = await open(table)
    await sink.write([record(0)])
    const db = await adminPool()
    const killed = await db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND datname = current_database() AND application_name = ''
         AND query LIKE '%readings%'`,
    )
    expect(killed.rowCount).toBeGreaterThanOrEqual(1)
    const first = await sink.write([record(1)]).catch((err: { code?: string }) => err.code)
    expect([{ inserted: 1, duplicates: 0 }, 'ERR_SINK_UNAVAILABLE']).toContainEqual(first)
    expect(await sink.write([record(1), record(2)])).toEqual(
      first === 'ERR_SINK_UNAVAILABLE'
        ? { inserted: 2, duplicates: 0 }
        : { inserted: 1, duplicates: 1 },
    )
    expect(await storedIn(table)).toHaveLength(3)
  })

  it('U+0000 in a value or stream is refused before anything is sent (ERR_SINK_RECORD_REJECTED)', async () => {
    const table = `${await freshSchema()}.readings`
    const sink = await open(table)
    const cases: Partial<OutputRecord>[] = [
      { value: 'a\u0000b' },
      { value: { ['k\u0000']: 1 } },
      { value: ['\\', '\u0000'] },
      { stream: 's\u0000' },
    ]
    for (const bad of cases) {
      const err = await caught(sink.write([record(0), record(1, bad)]))
      expect(err.code).toBe('ERR_SINK_RECORD_REJECTED')
      expect(err.recordIndex).toBe(1)
    }
    expect(await storedIn(table)).toEqual([])
    // The text "\u0000" (a backslash, then u0000) is not U+0000.
    expect(await sink.write([record(2, { value: '\\u0000' })])).toEqual({
      inserted: 1,
      duplicates: 0,
    })
  })
})
