/**
 * The {@link Hsm} over the seed HSM's HTTP API (`api_shapes.ts`), as a client over HTTPS only:
 * the server is checked against `ca` (or the system's CAs), an API token, when given, goes in
 * `Authorization: Bearer`. The API has the note's AES-256 flow only: import a wrapping public
 * key, generate an AES-256 key, wrap it. RSA key generation, public keys and decryption are not in
 * it: those methods throw `ERR_HSM_UNSUPPORTED`, and {@link HttpHsm.capabilities} says so.
 *
 * Which wrapping algorithms it offers comes from `GET /info` (our assumption); when the server
 * answers 404 there, the note's `RSAES_OAEP_SHA_256` alone is assumed.
 *
 * @example
 * ```ts
 * const hsm = new HttpHsm({ url: 'https://hsm.factory.example:8443', ca, apiToken })
 * await hsm.importWrappingKey('kms-wrap', spki)
 * ```
 */
import type { TSchema } from '@sinclair/typebox'
import { request } from 'node:https'
import type { CompiledSchema } from '../../../platform/src/index.ts'
import { checkLabel } from '../check_label.ts'
import { hsmDefaults } from '../defaults.ts'
import { HsmError } from '../errors.ts'
import type { HsmErrorCode } from '../errors.ts'
import type { Hsm, HsmCapabilities, RsaModulusBits, WrapAlgorithm } from '../hsm.ts'
import {
  API_ERRORS,
  API_PATHS,
  errorAnswer,
  generateAnswer,
  importAnswer,
  infoAnswer,
  wrapAnswer,
} from './api_shapes.ts'

/** Options of {@link HttpHsm}. */
export interface HttpHsmOptions {
  /** `https://host:port` of the API (a path prefix is kept). */
  readonly url: string
  /** CA certificates (PEM) to check the server with; default the system's. */
  readonly ca?: string | Buffer | undefined
  /** Bearer token of the API, when it wants one. Never logged. */
  readonly apiToken?: string | undefined
  /** Time for one request, in ms; default `hsmDefaults.httpTimeoutMs`. */
  readonly timeoutMs?: number | undefined
}

interface Answer {
  readonly status: number
  readonly body: unknown
}

/** An HSM reached through its HTTP API (see the module doc). */
export class HttpHsm implements Hsm {
  readonly name: string
  readonly #base: URL
  readonly #options: HttpHsmOptions
  #caps: HsmCapabilities | undefined

  constructor(options: HttpHsmOptions) {
    let base: URL
    try {
      base = new URL(options.url)
    } catch {
      throw new RangeError('HttpHsm: url must be an https:// URL')
    }
    if (base.protocol !== 'https:' || base.username !== '' || base.password !== '') {
      throw new RangeError('HttpHsm: url must be an https:// URL without user name or password')
    }
    this.#base = base
    this.#options = options
    this.name = `http:${base.origin}`
  }

  #send(method: 'GET' | 'POST', path: string, query: Record<string, string>, body?: unknown) {
    const url = new URL(this.#base.pathname.replace(/\/$/, '') + path, this.#base)
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    const timeoutMs = this.#options.timeoutMs ?? hsmDefaults.httpTimeoutMs
    return new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string> = { accept: 'application/json' }
      if (payload !== undefined) {
        headers['content-type'] = 'application/json'
        headers['content-length'] = String(payload.length)
      }
      if (this.#options.apiToken !== undefined) {
        headers.authorization = `Bearer ${this.#options.apiToken}`
      }
      const unavailable = (detail: string, cause?: unknown): void =>
        reject(
          new HsmError('ERR_HSM_UNAVAILABLE', `${this.name}: ${method} ${path}: ${detail}`, {
            cause,
          }),
        )
      const req = request(
        url,
        { method, headers, ...(this.#options.ca !== undefined && { ca: this.#options.ca }) },
        (res) => {
          const chunks: Buffer[] = []
          let size = 0
          res.on('data', (c: Buffer) => {
            size += c.length
            if (size > hsmDefaults.httpMaxBodyBytes) {
              req.destroy()
              unavailable('answer too large')
            } else chunks.push(c)
          })
          res.on('end', () => {
            let parsed: unknown
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'))
            } catch {
              parsed = undefined
            }
            resolve({ status: res.statusCode ?? 0, body: parsed })
          })
          res.on('error', (err) => unavailable(err.message, err))
        },
      )
      req.setTimeout(timeoutMs, () => {
        req.destroy()
        unavailable(`no answer within ${timeoutMs} ms`)
      })
      req.on('error', (err) => unavailable(err.message, err))
      req.end(payload)
    })
  }

  /** The answer's body checked against `shape`, or the `HsmError` the API's error means. */
  async #call<T>(
    method: 'GET' | 'POST',
    path: string,
    query: Record<string, string>,
    shape: CompiledSchema<TSchema>,
    body?: unknown,
  ): Promise<T> {
    const answer = await this.#send(method, path, query, body)
    if (answer.status === 200) {
      if (!shape.check(answer.body)) {
        throw new HsmError(
          'ERR_HSM_OPERATION',
          `${this.name}: ${method} ${path}: the answer is not the API's`,
        )
      }
      return answer.body as T
    }
    throw this.#errorOf(method, path, answer)
  }

  #errorOf(method: string, path: string, answer: Answer): HsmError {
    const err = errorAnswer.check(answer.body) ? answer.body : undefined
    const known =
      err !== undefined && Object.hasOwn(API_ERRORS, err.error)
        ? API_ERRORS[err.error as keyof typeof API_ERRORS]
        : undefined
    const code: HsmErrorCode =
      known?.code ??
      (answer.status >= 500
        ? 'ERR_HSM_UNAVAILABLE'
        : answer.status === 401 || answer.status === 403
          ? 'ERR_HSM_LOGIN'
          : 'ERR_HSM_OPERATION')
    const detail = err === undefined ? `HTTP ${answer.status}` : `${err.error}: ${err.message}`
    return new HsmError(code, `${this.name}: ${method} ${path}: ${detail}`)
  }

  async capabilities(): Promise<HsmCapabilities> {
    if (this.#caps !== undefined) return this.#caps
    const answer = await this.#send('GET', API_PATHS.info, {})
    let wrap: readonly WrapAlgorithm[]
    const notes: string[] = [
      'the HTTP API has no RSA key generation or decryption: AES-256 import only',
    ]
    if (answer.status === 200 && infoAnswer.check(answer.body)) {
      wrap = answer.body.wrap_algorithms
    } else if (answer.status === 404) {
      wrap = ['RSAES_OAEP_SHA_256']
      notes.push("no GET /info: assuming the note's RSAES_OAEP_SHA_256 only")
    } else {
      throw this.#errorOf('GET', API_PATHS.info, answer)
    }
    this.#caps = Object.freeze({
      wrapAlgorithms: Object.freeze(wrap.filter((a) => a.startsWith('RSAES_OAEP'))),
      rsaKeyGeneration: false,
      decrypt: 'none',
      notes: Object.freeze(notes),
    })
    return this.#caps
  }

  async importWrappingKey(alias: string, spki: Uint8Array): Promise<void> {
    checkLabel(alias)
    await this.#call('POST', API_PATHS.importPubKey, { wrap_key_alias: alias }, importAnswer, {
      pub_key: Buffer.from(spki).toString('base64'),
    })
  }

  async generateAes256(alias: string): Promise<void> {
    checkLabel(alias)
    await this.#call('GET', API_PATHS.generateAes256, { key_alias: alias }, generateAnswer)
  }

  generateRsa(_alias: string, _modulusBits: RsaModulusBits): Promise<Uint8Array> {
    return Promise.reject(this.#unsupported('RSA key generation'))
  }

  publicKey(_alias: string): Promise<Uint8Array> {
    return Promise.reject(this.#unsupported('reading a public key'))
  }

  async wrapKey(
    keyAlias: string,
    wrapKeyAlias: string,
    algorithm: WrapAlgorithm,
  ): Promise<Uint8Array> {
    checkLabel(keyAlias)
    checkLabel(wrapKeyAlias)
    const out = await this.#call<{ wrapped_key: string; wrap_algorithm: string }>(
      'GET',
      API_PATHS.wrapKey,
      { key_alias: keyAlias, wrap_key_alias: wrapKeyAlias, wrap_algorithm: algorithm },
      wrapAnswer,
    )
    if (out.wrap_algorithm !== algorithm) {
      throw new HsmError(
        'ERR_HSM_OPERATION',
        `${this.name}: asked for ${algorithm}, the HSM wrapped with ${out.wrap_algorithm}`,
      )
    }
    return Buffer.from(out.wrapped_key, 'base64')
  }

  decrypt(_alias: string, _ciphertext: Uint8Array): Promise<Uint8Array> {
    return Promise.reject(this.#unsupported('decryption'))
  }

  forgetWrappingKey(_alias: string): Promise<void> {
    // The API has no delete: a wrapping public key left in the HSM is public and wraps only.
    return Promise.resolve()
  }

  close(): Promise<void> {
    return Promise.resolve()
  }

  #unsupported(what: string): HsmError {
    return new HsmError('ERR_HSM_UNSUPPORTED', `${this.name}: the HTTP API has no ${what}`)
  }
}
