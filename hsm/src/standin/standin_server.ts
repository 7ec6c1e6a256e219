/**
 * A local stand-in of the seed HSM's HTTP API (`http/api_shapes.ts`, README "HTTP API"), backed by
 * any {@link Hsm} (the PKCS#11 one in tests), over HTTPS with the certificate and key given. It
 * exists so the HTTP client is tested against a server that behaves like the note's, not to be
 * deployed: no rate limit, one process.
 *
 * - Aliases come from the query string and are checked with the label rule (400 otherwise);
 *   `POST /keys/RSA/import_pub_key` takes `{"pub_key": base64 DER SPKI}` (at most 64 KiB).
 * - `GET /keys/wrap_key` wraps with `wrap_algorithm` (default `RSAES_OAEP_SHA_256`, the note's);
 *   an algorithm the HSM cannot do is `422 unsupported`.
 * - With `apiToken`, every request needs `Authorization: Bearer <token>` (compared in constant
 *   time), else `401 unauthorized`.
 * - HSM errors map back to the API's error codes (`ERR_HSM_KEY_NOT_FOUND` → 404 `key_not_found`…).
 *
 * @example
 * ```ts
 * const standin = await startHsmStandin({ hsm, cert, key, port: 0 })
 * const client = new HttpHsm({ url: standin.url, ca: cert })
 * await standin.close()
 * ```
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { isLabel } from '../check_label.ts'
import { hsmDefaults } from '../defaults.ts'
import { HsmError } from '../errors.ts'
import type { HsmErrorCode } from '../errors.ts'
import type { Hsm, WrapAlgorithm } from '../hsm.ts'
import { WRAP_ALGORITHMS } from '../hsm.ts'
import { API_ERRORS, API_PATHS, importBody } from '../http/api_shapes.ts'
import type { ApiErrorCode } from '../http/api_shapes.ts'

/** Options of {@link startHsmStandin}. */
export interface HsmStandinOptions {
  /** The HSM behind the API. */
  readonly hsm: Hsm
  /** TLS server certificate and key (PEM). */
  readonly cert: string | Buffer
  readonly key: string | Buffer
  /** Port on 127.0.0.1; 0 for a free one. */
  readonly port: number
  /** A bearer token every request must carry, when given. */
  readonly apiToken?: string | undefined
}

/** A running stand-in. */
export interface HsmStandin {
  /** `https://127.0.0.1:PORT`. */
  readonly url: string
  /** Requests answered, by path (tests). */
  count(path: string): number
  close(): Promise<void>
}

class ApiFailure extends Error {
  readonly error: ApiErrorCode
  constructor(error: ApiErrorCode, message: string) {
    super(message)
    this.error = error
  }
}

const FROM_HSM: Readonly<Record<HsmErrorCode, ApiErrorCode>> = Object.freeze({
  ERR_HSM_UNAVAILABLE: 'hsm_error',
  ERR_HSM_LOGIN: 'hsm_error',
  ERR_HSM_KEY_NOT_FOUND: 'key_not_found',
  ERR_HSM_KEY_EXISTS: 'key_exists',
  ERR_HSM_UNSUPPORTED: 'unsupported',
  ERR_HSM_OPERATION: 'hsm_error',
})

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest()
}

function alias(url: URL, name: string): string {
  const v = url.searchParams.get(name)
  if (v === null || !isLabel(v)) {
    throw new ApiFailure('bad_request', `${name}: 1 to 64 of A-Z a-z 0-9 . _ -`)
  }
  return v
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length
    if (size > hsmDefaults.httpMaxBodyBytes) throw new ApiFailure('bad_request', 'body too large')
    chunks.push(c)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ApiFailure('bad_request', 'the body is not JSON')
  }
}

/**
 * Starts the stand-in (see the module doc).
 *
 * @example
 * ```ts
 * const standin = await startHsmStandin({ hsm, cert, key, port: 0, apiToken: 't0ken' })
 * ```
 */
export async function startHsmStandin(options: HsmStandinOptions): Promise<HsmStandin> {
  const { hsm } = options
  const counts = new Map<string, number>()
  const token = options.apiToken === undefined ? undefined : digest(options.apiToken)

  async function route(req: IncomingMessage, url: URL): Promise<unknown> {
    const auth = req.headers.authorization ?? ''
    if (token !== undefined) {
      const given = digest(auth.startsWith('Bearer ') ? auth.slice(7) : '')
      if (!timingSafeEqual(given, token)) throw new ApiFailure('unauthorized', 'bad API token')
    }
    const method = req.method ?? 'GET'
    const expect = (m: string): void => {
      if (method !== m) throw new ApiFailure('method_not_allowed', `use ${m}`)
    }
    switch (url.pathname) {
      case API_PATHS.importPubKey: {
        expect('POST')
        const wrapKeyAlias = alias(url, 'wrap_key_alias')
        const body = await readBody(req)
        if (!importBody.check(body)) throw new ApiFailure('bad_request', 'pub_key: base64 DER')
        await hsm.importWrappingKey(wrapKeyAlias, Buffer.from(body.pub_key, 'base64'))
        return { wrap_key_alias: wrapKeyAlias }
      }
      case API_PATHS.generateAes256: {
        expect('GET')
        const keyAlias = alias(url, 'key_alias')
        await hsm.generateAes256(keyAlias)
        return { key_alias: keyAlias }
      }
      case API_PATHS.wrapKey: {
        expect('GET')
        const keyAlias = alias(url, 'key_alias')
        const wrapKeyAlias = alias(url, 'wrap_key_alias')
        const algorithm = url.searchParams.get('wrap_algorithm') ?? 'RSAES_OAEP_SHA_256'
        if (!WRAP_ALGORITHMS.includes(algorithm as WrapAlgorithm)) {
          throw new ApiFailure(
            'bad_request',
            `wrap_algorithm: one of ${WRAP_ALGORITHMS.join(', ')}`,
          )
        }
        const wrapped = await hsm.wrapKey(keyAlias, wrapKeyAlias, algorithm as WrapAlgorithm)
        return {
          key_alias: keyAlias,
          wrap_key_alias: wrapKeyAlias,
          wrap_algorithm: algorithm,
          wrapped_key: Buffer.from(wrapped).toString('base64'),
        }
      }
      case API_PATHS.info: {
        expect('GET')
        const caps = await hsm.capabilities()
        return { wrap_algorithms: caps.wrapAlgorithms.filter((a) => a.startsWith('RSAES_OAEP')) }
      }
      default:
        throw new ApiFailure('not_found', `no ${url.pathname}`)
    }
  }

  function answer(res: ServerResponse, status: number, body: unknown): void {
    const bytes = Buffer.from(JSON.stringify(body))
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length })
    res.end(bytes)
  }

  const server = createServer({ cert: options.cert, key: options.key }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://standin')
    counts.set(url.pathname, (counts.get(url.pathname) ?? 0) + 1)
    route(req, url).then(
      (body) => answer(res, 200, body),
      (err: unknown) => {
        let code: ApiErrorCode = 'hsm_error'
        let message = 'internal error'
        if (err instanceof ApiFailure) {
          code = err.error
          message = err.message
        } else if (err instanceof HsmError) {
          code = FROM_HSM[err.code]
          message = err.message
        } else if (err instanceof RangeError) {
          code = 'bad_request'
          message = err.message
        }
        answer(res, API_ERRORS[code].status, { error: code, message })
      },
    )
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    count: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
