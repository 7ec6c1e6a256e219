/**
 * The seed HSM's HTTP API as sealwire assumes it. The vendor note shows only three paths and
 * their parameter names; everything else here (where each parameter goes, the bodies, status
 * codes, `GET /info`, bearer authentication) is **our assumption**, written down so the client and
 * the stand-in agree and a real HSM can be checked against it (README, "HTTP API").
 *
 * | request | parameters (query) | body | answer 200 |
 * |---|---|---|---|
 * | `POST /keys/RSA/import_pub_key` | `wrap_key_alias` | `{"pub_key": base64 DER SPKI}` | `{"wrap_key_alias"}` |
 * | `GET /keys/AES256/generate` | `key_alias` | | `{"key_alias"}` |
 * | `GET /keys/wrap_key` | `key_alias`, `wrap_key_alias`, `wrap_algorithm`? | | `{"key_alias","wrap_key_alias","wrap_algorithm","wrapped_key": base64}` |
 * | `GET /info` (ours) | | | `{"wrap_algorithms": [..]}` |
 *
 * Errors: a status and `{"error": CODE, "message": TEXT}`; CODE is one of {@link API_ERRORS}.
 *
 * @example
 * ```ts
 * wrapAnswer.parse(JSON.parse(body)).wrapped_key
 * ```
 */
import { Type } from '@sinclair/typebox'
import { compileSchema } from '../../../platform/src/index.ts'

/** HTTP API paths. */
export const API_PATHS = Object.freeze({
  importPubKey: '/keys/RSA/import_pub_key',
  generateAes256: '/keys/AES256/generate',
  wrapKey: '/keys/wrap_key',
  info: '/info',
})

/** Error codes of the API, with their status and the client's `HsmError` code. */
export const API_ERRORS = Object.freeze({
  bad_request: { status: 400, code: 'ERR_HSM_OPERATION' },
  unauthorized: { status: 401, code: 'ERR_HSM_LOGIN' },
  key_not_found: { status: 404, code: 'ERR_HSM_KEY_NOT_FOUND' },
  not_found: { status: 404, code: 'ERR_HSM_UNSUPPORTED' },
  method_not_allowed: { status: 405, code: 'ERR_HSM_UNSUPPORTED' },
  key_exists: { status: 409, code: 'ERR_HSM_KEY_EXISTS' },
  unsupported: { status: 422, code: 'ERR_HSM_UNSUPPORTED' },
  hsm_error: { status: 500, code: 'ERR_HSM_OPERATION' },
} as const)

/** One API error code. */
export type ApiErrorCode = keyof typeof API_ERRORS

const Base64 = Type.String({ pattern: '^[A-Za-z0-9+/]*={0,2}$', minLength: 4, maxLength: 16384 })
const Alias = Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' })
const Algorithm = Type.Union([
  Type.Literal('RSAES_OAEP_SHA_256'),
  Type.Literal('RSAES_OAEP_SHA_1'),
  Type.Literal('RSA_AES_KEY_WRAP_SHA_256'),
  Type.Literal('RSA_AES_KEY_WRAP_SHA_1'),
])

/** Body of `POST /keys/RSA/import_pub_key`. */
export const importBody = compileSchema(Type.Object({ pub_key: Base64 }))
/** Answer of `POST /keys/RSA/import_pub_key`. */
export const importAnswer = compileSchema(Type.Object({ wrap_key_alias: Alias }))
/** Answer of `GET /keys/AES256/generate`. */
export const generateAnswer = compileSchema(Type.Object({ key_alias: Alias }))
/** Answer of `GET /keys/wrap_key`. */
export const wrapAnswer = compileSchema(
  Type.Object({
    key_alias: Alias,
    wrap_key_alias: Alias,
    wrap_algorithm: Algorithm,
    wrapped_key: Base64,
  }),
)
/** Answer of `GET /info`. */
export const infoAnswer = compileSchema(
  Type.Object({ wrap_algorithms: Type.Array(Algorithm, { maxItems: 8 }) }),
)
/** An error answer. */
export const errorAnswer = compileSchema(
  Type.Object({ error: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 1024 }) }),
)
