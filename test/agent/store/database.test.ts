/**
 * `agent.db` itself: where it lives, its modes, WAL, the durability setting, the versioned schema
 * and the refusal of a newer one. Runs on Node (better-sqlite3) and Bun (bun:sqlite).
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openSqlite } from '../../../platform/src/index.ts'
import {
  SCHEMA_VERSION,
  STATE_DB_FILE,
  StateDatabase,
  openAgentStore,
  readStoreStatus,
} from '../../../agent/src/store/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { closeStores, isBun, openStore } from './_fixture.ts'

afterEach(async () => {
  await closeStores()
  await cleanupTempDirs()
})

describe(`agent.db on ${isBun ? 'Bun' : 'Node'}`, () => {
  it('lives at <state>/agent.db, folder 0700 and file 0600, in WAL mode', async () => {
    const stateDir = join(await tempDir(), 'state')
    const store = await openStore({ stateDir })
    expect(store.database.path).toBe(join(stateDir, STATE_DB_FILE))
    expect(statSync(stateDir).mode & 0o777).toBe(0o700)
    expect(statSync(join(stateDir, 'agent.db')).mode & 0o777).toBe(0o600)
    expect(store.database.sqlite.pragma('journal_mode')).toBe('wal')
    expect(store.database.schemaVersion).toBe(SCHEMA_VERSION)
    expect(store.database.foundVersion).toBe(0)
  })

  it("durability 'full' (the default) is synchronous=FULL, 'normal' is NORMAL", async () => {
    const full = await openStore()
    expect(full.database.durability).toBe('full')
    expect(full.database.sqlite.pragma('synchronous')).toBe(2)
    const normal = await openStore({ durability: 'normal' })
    expect(normal.database.sqlite.pragma('synchronous')).toBe(1)
    // A transaction that must survive power loss raises it for its commit only.
    normal.database.transaction(() => undefined, { sync: 'full' })
    expect(normal.database.sqlite.pragma('synchronous')).toBe(1)
    expect(await caught(() => openStore({ durability: 'off' as never }))).toBeInstanceOf(RangeError)
  })

  it('sets user_version to the schema version and reopens without migrating again', async () => {
    const stateDir = await tempDir()
    const first = await openStore({ stateDir })
    expect(first.database.sqlite.pragma('user_version')).toBe(SCHEMA_VERSION)
    await first.stop()
    const again = await openStore({ stateDir })
    expect(again.database.foundVersion).toBe(SCHEMA_VERSION)
  })

  it('refuses a database written by a newer agent, without touching it', async () => {
    const stateDir = await tempDir()
    await (await openStore({ stateDir })).stop()
    const raw = openSqlite(join(stateDir, 'agent.db'))
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    raw.close()
    const err = await caught(openAgentStore({ stateDir }))
    expect(err).toMatchObject({ code: 'ERR_STORE_SCHEMA_NEWER', name: 'StoreError' })
    expect(err.message).toMatch(
      new RegExp(
        `agent\\.db" has schema version ${SCHEMA_VERSION + 1}; this agent knows versions up to ${SCHEMA_VERSION}`,
      ),
    )
    const status = await caught(() => readStoreStatus(stateDir))
    expect(status).toMatchObject({ code: 'ERR_STORE_SCHEMA_NEWER' })
    const check = openSqlite(join(stateDir, 'agent.db'), { readonly: true })
    expect(check.pragma('user_version')).toBe(SCHEMA_VERSION + 1)
    check.close()
  })

  it('counts committed transactions', async () => {
    const db = await StateDatabase.open(await tempDir())
    try {
      const before = db.commits
      db.transaction(() => db.sqlite.prepare('UPDATE agent_state SET last_error = ?').run('x'))
      expect(db.commits).toBe(before + 1)
      expect(() =>
        db.transaction(() => {
          throw new Error('no')
        }),
      ).toThrow('no')
      expect(db.commits).toBe(before + 1)
    } finally {
      db.close()
    }
    expect(await caught(() => db.transaction(() => 1))).toMatchObject({ code: 'ERR_STORE_CLOSED' })
  })

  it('fails with ERR_IO when the state folder cannot be created', async () => {
    const dir = await tempDir()
    const file = join(dir, 'file')
    await (await import('node:fs/promises')).writeFile(file, 'x')
    expect(await caught(openAgentStore({ stateDir: join(file, 'state') }))).toMatchObject({
      code: 'ERR_IO',
    })
  })
})
