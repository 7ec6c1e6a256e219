/**
 * The one set of test helpers: repository paths, vectors, hex, captured CLI streams, temporary
 * folders, rejection capture and a kms-local client factory. Component test helpers build on
 * these instead of copying them.
 */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { CliIo } from '../../platform/src/index.ts'

export { hex, repoRoot, toHexString, vectorsDir } from './vectors.ts'

// The SDK's notice about Node < 22 support after 2027 is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/** Captured stdout/stderr plus an env, for a CLI `main` run in-process. */
export interface Captured {
  readonly io: CliIo
  out(): string
  err(): string
}

/**
 * Streams that record what is written; `tty` makes stderr look like a terminal. `signal`, when
 * given, is passed as the run's stop signal.
 */
export function capture(
  env: Record<string, string | undefined> = {},
  tty = false,
  signal?: AbortSignal,
): Captured {
  let out = ''
  let err = ''
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true), isTTY: tty, columns: 100 },
      env,
      signal,
    },
    out: () => out,
    err: () => err,
  }
}

const tempDirs: string[] = []

/** A new temporary folder, removed by {@link cleanupTempDirs} (call it in `afterEach`/`afterAll`). */
export async function tempDir(prefix = 'sealwire-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  tempDirs.push(dir)
  return dir
}

/** Removes every folder made by {@link tempDir}. */
export async function cleanupTempDirs(): Promise<void> {
  while (tempDirs.length > 0) await rm(tempDirs.pop()!, { recursive: true, force: true })
}

/** The rejection of a promise, or the exception of a function (fails the test if none). */
export async function caught(
  p: Promise<unknown> | (() => unknown),
): Promise<Error & Record<string, any>> {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    return err as Error & Record<string, any>
  }
  throw new Error('expected a rejection, got a result')
}

/** An SDK client for a kms-local endpoint, with no retries (each send is exactly one call). */
export function kmsClientFor(
  server: { readonly endpoint: string; readonly region: string },
  extra: Partial<KMSClientConfig> = {},
): KMSClient {
  return new KMSClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    ...extra,
  })
}

/**
 * Whether to skip a test whose outside dependency (a service or a binary) is missing. On a
 * developer's machine without it the test is skipped with `what` as the reason; under CI
 * (`REQUIRE_TEST_SERVICES=1`, set by `.ci/run`, which installs and starts what the tests need) a missing
 * dependency fails the file at once instead, so CI always runs what users rely on.
 */
export function skipWithout(present: boolean, what: string): boolean {
  if (present) return false
  if (process.env.REQUIRE_TEST_SERVICES === '1') {
    throw new Error(`CI needs ${what}, and it is not there (see .ci/run)`)
  }
  return true
}
