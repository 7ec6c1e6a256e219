/**
 * Tells a KMS answer from anything else before the SDK tries to parse it. KMS speaks AWS JSON 1.1
 * (`Content-Type: application/x-amz-json-1.1`), errors included; a captive portal, a proxy's login
 * page or a wrong URL answers HTML, which the SDK would report as a `SyntaxError` about JSON with
 * its internals in the text (or, for a 4xx, as a refusal by KMS, which it is not). A middleware at
 * the innermost end of the SDK's deserialize step sees the raw answer and throws a
 * {@link NotKmsAnswerError} instead, which the classification reports as `ERR_KMS_UNAVAILABLE`:
 * `KMS endpoint http://… did not answer DescribeKey as KMS (HTTP 403, text/html)`.
 *
 * @example
 * ```ts
 * const client = new KMSClient(config)
 * addKmsAnswerCheck(client)
 * ```
 */
import type { KMSClient } from '@aws-sdk/client-kms'
import { shown } from '../../platform/src/index.ts'

const KMS_CONTENT_TYPE = /^application\/(?:x-amz-json-1\.[01]|json)$/i

/**
 * The endpoint answered, but not as KMS: no AWS JSON content type. `status` is the HTTP status,
 * `contentType` the media type without parameters (or `undefined` when absent), `url` the
 * endpoint that answered (never with userinfo).
 *
 * @example
 * ```ts
 * new NotKmsAnswerError(403, 'text/html', 'http://127.0.0.1:8080').message
 * // 'HTTP 403, text/html'
 * ```
 */
export class NotKmsAnswerError extends Error {
  readonly status: number
  readonly contentType: string | undefined
  readonly url: string

  constructor(status: number, contentType: string | undefined, url: string) {
    super(`HTTP ${status}, ${contentType === undefined ? 'no content type' : contentType}`)
    this.name = new.target.name
    this.status = status
    this.contentType = contentType
    this.url = url
  }
}

interface RawResponse {
  readonly statusCode?: unknown
  readonly headers?: unknown
  readonly body?: unknown
}

interface RawRequest {
  readonly protocol?: unknown
  readonly hostname?: unknown
  readonly port?: unknown
}

function header(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value
  }
  return undefined
}

function mediaType(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  const type = value.split(';', 1)[0]!.trim()
  // Shown as a bare token when it looks like one, quoted and escaped otherwise.
  return /^[\w.+-]+\/[\w.+-]+$/.test(type) ? type.toLowerCase() : shown(type, 40)
}

function origin(request: RawRequest | undefined): string {
  const protocol = typeof request?.protocol === 'string' ? request.protocol : 'https:'
  const host = typeof request?.hostname === 'string' ? request.hostname : 'unknown-host'
  const port = typeof request?.port === 'number' ? `:${request.port}` : ''
  return `${protocol}//${host}${port}`
}

function discard(body: unknown): void {
  const stream = body as { destroy?: unknown } | undefined
  if (typeof stream?.destroy === 'function') (stream.destroy as () => void).call(stream)
}

/**
 * Adds the check to a client's middleware stack (once per client).
 *
 * @example
 * ```ts
 * addKmsAnswerCheck(new KMSClient({ region: 'eu-west-1' }))
 * ```
 */
export function addKmsAnswerCheck(client: KMSClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args)
      const response = out.response as RawResponse | undefined
      const status = response?.statusCode
      const type = mediaType(header(response?.headers, 'content-type'))
      if (typeof status === 'number' && (type === undefined || !KMS_CONTENT_TYPE.test(type))) {
        discard(response?.body)
        throw new NotKmsAnswerError(status, type, origin(args.request as RawRequest | undefined))
      }
      return out
    },
    { step: 'deserialize', priority: 'low', name: 'sealwireKmsAnswerCheck' },
  )
}
