/**
 * The PostgreSQL of the consumer's tests: `SEALWIRE_TEST_POSTGRES_URL`, default
 * `postgres://postgres@127.0.0.1:5432/test` (CI runs one). Each test gets a fresh schema
 * `sw_test_<random>`, dropped with everything in it by {@link dropTestSchemas}. A server that does
 * not answer fails the tests that need it, with a line saying so: never a silent skip.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The URL the tests use. */
export const postgresUrl =
  process.env.SEALWIRE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

let admin: pg.Pool | undefined
const schemas: string[] = []

/** A shared pool for checks and setup; throws a clear line when the server is down. */
export async function adminPool(): Promise<pg.Pool> {
  if (admin !== undefined) return admin
  const pool = new pg.Pool({
    connectionString: postgresUrl,
    max: 2,
    connectionTimeoutMillis: 5_000,
  })
  pool.on('error', () => undefined)
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new Error(
      `PostgreSQL at ${postgresUrl} does not answer (start it, or set SEALWIRE_TEST_POSTGRES_URL): ${(err as Error).message}`,
      { cause: err },
    )
  }
  admin = pool
  return pool
}

/** A new, empty schema, remembered for {@link dropTestSchemas}. */
export async function freshSchema(): Promise<string> {
  const schema = `sw_test_${randomBytes(6).toString('hex')}`
  await (await adminPool()).query(`CREATE SCHEMA ${schema}`)
  schemas.push(schema)
  return schema
}

/** Drops every schema made so far, and closes the shared pool. */
export async function dropTestSchemas(): Promise<void> {
  if (admin === undefined) return
  while (schemas.length > 0) await admin.query(`DROP SCHEMA IF EXISTS ${schemas.pop()} CASCADE`)
  await admin.end()
  admin = undefined
}
