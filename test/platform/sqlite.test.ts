/**
 * The SQLite adapter's contract, run on Node (better-sqlite3 12) and on Bun (bun:sqlite) by the
 * same file: the agent's outbox and the consumer's state rely on exactly these behaviours.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { SqliteDatabase } from '../../platform/src/index.ts'
import { openSqlite } from '../../platform/src/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../helpers/index.ts'

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'
const opened: SqliteDatabase[] = []

function track(db: SqliteDatabase): SqliteDatabase {
  opened.push(db)
  return db
}

afterEach(async () => {
  while (opened.length > 0) opened.pop()!.close()
  await cleanupTempDirs()
})

describe(`openSqlite on ${isBun ? 'Bun' : 'Node'}`, () => {
  it('uses the runtime driver', () => {
    const db = track(openSqlite(':memory:'))
    expect(db.driver).toBe(isBun ? 'bun:sqlite' : 'better-sqlite3')
  })

  it('binds and returns text, integers, bigints, blobs and null positionally', () => {
    const db = track(openSqlite(':memory:'))
    db.exec('CREATE TABLE t (s TEXT, i INTEGER, b BLOB, n)')
    const r = db
      .prepare('INSERT INTO t VALUES (?, ?, ?, ?)')
      .run('x', 2n ** 40n, Uint8Array.of(1, 2), null)
    expect(r).toEqual({ changes: 1, lastInsertRowid: 1 })
    const row = db
      .prepare<{ s: string; i: number; b: Uint8Array; n: null }>('SELECT * FROM t')
      .get()!
    expect(row.s).toBe('x')
    expect(row.i).toBe(2 ** 40)
    expect(row.b).toBeInstanceOf(Uint8Array)
    expect([...row.b]).toEqual([1, 2])
    expect(row.n).toBeNull()
  })

  it('get returns undefined (not null) for no row; all returns []', () => {
    const db = track(openSqlite(':memory:'))
    db.exec('CREATE TABLE t (a)')
    expect(db.prepare('SELECT * FROM t WHERE a = ?').get(1)).toBeUndefined()
    expect(db.prepare('SELECT * FROM t').all()).toEqual([])
  })

  it('a transaction commits every statement, or none when it throws', () => {
    const db = track(openSqlite(':memory:'))
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY)')
    const insert = db.prepare('INSERT INTO t VALUES (?)')
    const many = db.transaction((xs: number[]) => {
      for (const x of xs) insert.run(x)
      return xs.length
    })
    expect(many([1, 2, 3])).toBe(3)
    expect(() => many([4, 5, 1])).toThrow(/UNIQUE/)
    expect(db.prepare<{ c: number }>('SELECT count(*) AS c FROM t').get()!.c).toBe(3)
  })

  it('pragma returns the first column, and WAL sticks on a file database', async () => {
    const path = join(await tempDir(), 'a.db')
    const db = track(openSqlite(path))
    expect(db.pragma('journal_mode = WAL')).toBe('wal')
    expect(db.pragma('user_version')).toBe(0)
    db.pragma('user_version = 7')
    db.close()
    const again = track(openSqlite(path, { readonly: true }))
    expect(again.pragma('journal_mode')).toBe('wal')
    expect(again.pragma('user_version')).toBe(7)
  })

  it("a read-only connection sees a writer's committed rows and cannot write", async () => {
    const path = join(await tempDir(), 'b.db')
    const writer = track(openSqlite(path))
    writer.pragma('journal_mode = WAL')
    writer.exec('CREATE TABLE t (a)')
    writer.prepare('INSERT INTO t VALUES (?)').run(1)
    const reader = track(openSqlite(path, { readonly: true }))
    expect(reader.prepare('SELECT a FROM t').all()).toEqual([{ a: 1 }])
    expect(() => reader.exec('INSERT INTO t VALUES (2)')).toThrow(/readonly|read-only/i)
  })

  it('read-only open of a missing file and open of a non-database fail with ERR_IO', async () => {
    const dir = await tempDir()
    expect(await caught(() => openSqlite(join(dir, 'none.db'), { readonly: true }))).toMatchObject({
      code: 'ERR_IO',
    })
    writeFileSync(join(dir, 'junk.db'), Buffer.alloc(4096, 0x41))
    const err = await caught(() => openSqlite(join(dir, 'junk.db')))
    expect(err).toMatchObject({ code: 'ERR_IO' })
    expect(err.message).toMatch(/^cannot open database ".*junk\.db": /)
  })

  it('close is idempotent and reported by open', () => {
    const db = openSqlite(':memory:')
    expect(db.open).toBe(true)
    db.close()
    db.close()
    expect(db.open).toBe(false)
  })
})
