/**
 * PostgresDeadLetterStore against the PostgreSQL of the machine (CI runs one; see
 * `../sinks/_postgres.ts`): the DeadLetterStore contract in a fresh schema per test, then the
 * table it creates, two stores on one table, a table dropped under it, and credentials kept out
 * of messages.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  deadLettersFromSpec,
  PostgresDeadLetterStore,
} from '../../../consumer/src/dead_letters/index.ts'
import { caught } from '../../helpers/index.ts'
import { adminPool, dropTestSchemas, freshSchema, postgresUrl } from '../sinks/_postgres.ts'
import { deadLetterContract, letter } from './dead_letter_contract.ts'

afterAll(dropTestSchemas)

deadLetterContract(
  'PostgresDeadLetterStore',
  async () => {
    const table = `${await freshSchema()}.letters`
    return { open: (options) => PostgresDeadLetterStore.open(postgresUrl, { table, ...options }) }
  },
  { persistent: true },
)

const stores: PostgresDeadLetterStore[] = []
afterEach(async () => {
  while (stores.length > 0) await stores.pop()!.close()
})

async function open(table: string) {
  const store = await PostgresDeadLetterStore.open(postgresUrl, { table })
  stores.push(store)
  return store
}

describe('PostgresDeadLetterStore', () => {
  it('creates the documented table, bytes as bytea', async () => {
    const schema = await freshSchema()
    const store = await open(`${schema}.letters`)
    const kept = await store.put(letter({ bytes: Uint8Array.of(0, 1, 0xff) }))
    const db = await adminPool()
    const { rows } = await db.query(
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'letters' ORDER BY ordinal_position`,
      [schema],
    )
    expect(rows.map((r) => `${r.column_name} ${r.data_type}`)).toEqual([
      'id bigint',
      'at_ms bigint',
      'topic text',
      'reason text',
      'detail text',
      'bytes bytea',
    ])
    const row = await db.query(
      `SELECT encode(bytes, 'hex') AS hex FROM ${schema}.letters WHERE id = $1`,
      [kept.id],
    )
    expect(row.rows[0].hex).toBe('0001ff')
    expect(kept.id).toMatch(/^[1-9][0-9]*$/)
  })

  it('two stores (two instances) share one table', async () => {
    const table = `${await freshSchema()}.letters`
    const [a, b] = await Promise.all([open(table), open(table)])
    const kept = await a.put(letter({ reason: 'malformed' }))
    expect(await b.count()).toEqual({ malformed: 1 })
    expect(await b.remove(kept.id)).toBe(true)
    expect(await a.remove(kept.id)).toBe(false)
  })

  it('a table dropped under it: calls reject with ERR_DEAD_LETTERS_UNAVAILABLE', async () => {
    const table = `${await freshSchema()}.letters`
    const store = await open(table)
    await (await adminPool()).query(`DROP TABLE ${table}`)
    const err = await caught(store.put(letter()))
    expect(err.code).toBe('ERR_DEAD_LETTERS_UNAVAILABLE')
    expect(err.message).toMatch(/cannot keep a letter: 42P01 relation/)
  })

  it('a reason this version does not know is refused on reading (ERR_DEAD_LETTER_INVALID)', async () => {
    const table = `${await freshSchema()}.letters`
    const store = await open(table)
    await store.put(letter())
    await (await adminPool()).query(`UPDATE ${table} SET reason = 'from-the-future'`)
    expect((await caught(store.count())).code).toBe('ERR_DEAD_LETTER_INVALID')
    const err = await caught(
      (async () => {
        for await (const _ of store.list()) void _
      })(),
    )
    expect(err.code).toBe('ERR_DEAD_LETTER_INVALID')
  })

  it('deadLettersFromSpec opens it; description and errors carry no password', async () => {
    const url = new URL(postgresUrl)
    url.password = 's3cret'
    const schema = await freshSchema()
    const store = await deadLettersFromSpec(url.toString(), {
      postgres: { table: `${schema}.letters` },
    })
    expect(store).toBeInstanceOf(PostgresDeadLetterStore)
    expect(store.description).not.toContain('s3cret')
    expect(store.description).toMatch(/\(table "sw_test_[0-9a-f]+"\."letters"\)$/)
    await store.close()
    const err = await caught(
      deadLettersFromSpec('postgres://app:s3cret@127.0.0.1:1/db', {
        postgres: { connectTimeoutMs: 2_000 },
      }),
    )
    expect(err.code).toBe('ERR_DEAD_LETTERS_UNAVAILABLE')
    expect(err.message).not.toContain('s3cret')
  })
})

describe('deadLettersFromSpec', () => {
  it.each([
    ['', /^--dead-letters: expected a folder or postgres:\/\/…, got ""$/],
    ['redis://u:pw@h/0', /got "redis:\/\/h\/0"$/],
    ['s3://bucket/x', /got "s3:\/\/bucket\/x"$/],
  ])('%j → ERR_CONFIG', async (spec, message) => {
    const err = await caught(deadLettersFromSpec(spec))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toMatch(message)
  })

  it('a bad table name → ERR_CONFIG naming the flag', async () => {
    const err = await caught(deadLettersFromSpec(postgresUrl, { postgres: { table: 'a;b' } }))
    expect(err.code).toBe('ERR_CONFIG')
    expect(err.message).toMatch(/^--dead-letters: table: expected name or schema\.name/)
  })
})
