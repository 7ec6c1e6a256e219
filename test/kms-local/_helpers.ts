/**
 * Shared helpers of the kms-local tests: an SDK client for a server, raw JSON 1.1 calls, a
 * temporary directory, the AWS KMS service model, and error capture.
 */
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..')

/** An SDK client against a server, with no retries (each send is exactly one call). */
export function clientFor(server: KmsLocalServer, extra: Partial<KMSClientConfig> = {}): KMSClient {
  return new KMSClient({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    ...extra,
  })
}

/** The rejection of a promise (fails the test if it resolves). */
export async function caught(p: Promise<unknown>): Promise<Error & Record<string, any>> {
  try {
    await p
  } catch (err) {
    return err as Error & Record<string, any>
  }
  throw new Error('expected a rejection, got a result')
}

/** A raw JSON 1.1 call, for what the SDK would not send. */
export async function raw(
  server: KmsLocalServer,
  target: string | undefined,
  body: string,
  headers: Record<string, string> = {},
  method = 'POST',
): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${server.endpoint}/`, {
    method,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      ...(target !== undefined && { 'x-amz-target': target }),
      ...headers,
    },
    ...(method !== 'GET' && method !== 'HEAD' && { body }),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined }
}

/** A temporary directory and its removal. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kms-local-test-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** The shape of the service model, as far as the tests read it. */
export interface ServiceModel {
  metadata: Record<string, string>
  operations: Record<
    string,
    { input?: { shape: string }; output?: { shape: string }; errors?: { shape: string }[] }
  >
  shapes: Record<string, any>
}

let model: ServiceModel | undefined

/** The AWS KMS API model from `../shared/reference/` (relative to the repo root). */
export function loadModel(): ServiceModel {
  model ??= JSON.parse(
    gunzipSync(
      readFileSync(resolve(repoRoot, '../shared/reference/kms-2014-11-01.service-2.json.gz')),
    ).toString('utf8'),
  ) as ServiceModel
  return model
}

/** A clock tests can move. */
export function manualClock(start = Date.UTC(2026, 0, 1)): {
  now: () => number
  advance: (ms: number) => void
} {
  let t = start
  return { now: () => t, advance: (ms) => void (t += ms) }
}

export const DAY_MS = 24 * 60 * 60 * 1000
