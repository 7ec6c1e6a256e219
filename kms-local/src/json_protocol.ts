/**
 * The wire side of the AWS JSON 1.1 protocol as the SDK speaks it (`awsJson1_1`): `POST /` with
 * `Content-Type: application/x-amz-json-1.1` and `X-Amz-Target: TrentService.<Operation>`; blobs
 * as base64 strings, timestamps as epoch seconds (numbers); errors as HTTP 4xx/5xx with body
 * `{"__type": "<ErrorShape>", "message": "..."}` and header `x-amzn-ErrorType`. The SDK reads the
 * error name from `__type` first, then a `code` member, then that header, and cuts anything after
 * `:` or before `#`, so plain shape names are enough.
 *
 * @example
 * ```ts
 * toWire({ PublicKey: spki, CreationDate: new Date(0) }) // { PublicKey: 'MIIB…', CreationDate: 0 }
 * ```
 */
import * as kmsSdk from '@aws-sdk/client-kms'
import type { ServerResponse } from 'node:http'
import type { KmsApiError } from './errors.ts'

/** The `X-Amz-Target` prefix of KMS (`targetPrefix` of the model). */
const TARGET_PREFIX = 'TrentService.'

/** The content type of requests and responses. */
const CONTENT_TYPE = 'application/x-amz-json-1.1'

/**
 * Every operation of the KMS API, read from the `<Operation>Command` classes that
 * `@aws-sdk/client-kms` exports (one per operation of the service model), so a known operation
 * kms-local does not implement answers `UnsupportedOperationException` and any other name
 * `UnknownOperationException`.
 */
export const KMS_OPERATION_NAMES: ReadonlySet<string> = new Set(
  Object.keys(kmsSdk).flatMap((name) => /^([A-Z][A-Za-z0-9]*)Command$/.exec(name)?.[1] ?? []),
)

/**
 * The operation name of an `X-Amz-Target` header, or `undefined`.
 *
 * @example
 * ```ts
 * operationOfTarget('TrentService.Decrypt') // 'Decrypt'
 * ```
 */
export function operationOfTarget(target: string | string[] | undefined): string | undefined {
  if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) return undefined
  const name = target.slice(TARGET_PREFIX.length)
  return /^[A-Za-z0-9]{1,64}$/.test(name) ? name : undefined
}

/**
 * Whether a request content type is AWS JSON (1.1, or 1.0 which KMS also answers).
 *
 * @example
 * ```ts
 * isAwsJson('application/x-amz-json-1.1; charset=utf-8') // true
 * ```
 */
export function isAwsJson(contentType: string | undefined): boolean {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase()
  return media === 'application/x-amz-json-1.1' || media === 'application/x-amz-json-1.0'
}

/**
 * Converts a response value to its JSON form: `Uint8Array` → base64, `Date` → epoch seconds,
 * `undefined` members dropped.
 *
 * @example
 * ```ts
 * toWire({ a: undefined, b: [new Date(1500)] }) // { b: [1.5] }
 * ```
 */
function toWire(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64')
  if (value instanceof Date) return value.getTime() / 1000
  if (Array.isArray(value)) return value.map(toWire)
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toWire(v)
    return out
  }
  return value
}

/**
 * Writes a JSON 1.1 response.
 *
 * @example
 * ```ts
 * sendJson(res, 200, requestId, { KeyMetadata })
 * ```
 */
export function sendJson(
  res: ServerResponse,
  status: number,
  requestId: string,
  body: unknown,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  const payload = Buffer.from(JSON.stringify(toWire(body)), 'utf8')
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': String(payload.length),
    'x-amzn-requestid': requestId,
    ...extraHeaders,
  })
  res.end(payload)
}

/**
 * Writes an error in the AWS JSON shape.
 *
 * @example
 * ```ts
 * sendError(res, requestId, new KmsApiError('NotFoundException', "Key 'arn:…' does not exist"))
 * ```
 */
export function sendError(res: ServerResponse, requestId: string, error: KmsApiError): void {
  sendJson(
    res,
    error.status,
    requestId,
    { __type: error.type, message: error.message },
    { 'x-amzn-errortype': error.type },
  )
}
