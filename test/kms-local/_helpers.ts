/**
 * Helpers of the kms-local tests that only they need: raw JSON 1.1 calls, the AWS KMS service
 * model, and the fake clock they start from. Everything shared (SDK client factory, temporary
 * folders, error capture, CLI streams) comes from `test/helpers/index.ts`.
 */
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { ManualClock } from '../../platform/src/index.ts'
import { repoRoot } from '../helpers/index.ts'

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

/** A fake clock for a kms-local server, at 2026-01-01T00:00:00Z; move it with `advance(ms)`. */
export function fakeClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  return new ManualClock(start)
}

export const DAY_MS = 24 * 60 * 60 * 1000
