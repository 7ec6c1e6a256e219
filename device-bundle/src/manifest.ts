/**
 * `manifest.json` of a key bundle: what was pinned, from where, and when.
 *
 * Written with a fixed key order, two-space indent and a final newline, so the same inputs give
 * the same bytes. Read strictly: strict JSON (a key given twice is refused), the exact set of
 * fields, each with its type and form (a TypeBox schema), `formatVersion` 1 only, then the checks
 * a schema cannot state: `modulusBits` is the key spec's, `pinId` is the pin's first 8 bytes,
 * `fetchedAt` is a real time. Anything else is `ERR_BUNDLE_CORRUPT`.
 *
 * `source.endpoint` never holds a user name or password: {@link createManifest} strips userinfo
 * from the URL.
 *
 * @example
 * ```ts
 * const manifest = createManifest(pinned, { fetchedAt: new Date(), source: { endpoint: null, region } })
 * parseManifest(encodeManifest(manifest)) // deep-equals manifest
 * ```
 */
import { Type } from '@sinclair/typebox'
import type { RecipientKey } from '../../envelope/src/index.ts'
import { toHex } from '../../envelope/src/index.ts'
import { compileSchema, shown, withoutUserinfo } from '../../platform/src/index.ts'
import { BUNDLE_FILES, MANIFEST_FORMAT, MANIFEST_VERSION } from './defaults.ts'
import type { FieldMessages } from './_document.ts'
import { corrupt, parseDocument } from './_document.ts'
import type { RsaKeySpec } from './key_spec.ts'
import { isKeyArn, KEY_ALGORITHM, KEY_ARN_PATTERN, RSA_KEY_SPECS } from './key_spec.ts'

/** Where the public key was fetched from. */
export interface ManifestSource {
  /** The KMS endpoint URL given to the station (without userinfo), or `null` for AWS's own. */
  readonly endpoint: string | null
  /** The AWS region the KMS client used. */
  readonly region: string
}

/** The contents of `manifest.json`. */
export interface BundleManifest {
  readonly format: typeof MANIFEST_FORMAT
  readonly formatVersion: typeof MANIFEST_VERSION
  /** The KMS key's ARN, as KMS returned it. Recorded, not bound: see the README. */
  readonly keyArn: string
  readonly keySpec: RsaKeySpec
  readonly algorithm: typeof KEY_ALGORITHM
  readonly modulusBits: number
  /** SHA-256 of `public_key.der`, 64 lower-case hex digits. */
  readonly pinSha256: string
  /** The first 8 bytes of the pin, 16 lower-case hex digits (the envelope's recipient `kid`). */
  readonly pinId: string
  /** The SPKI's file name in the bundle folder; always `public_key.der`. */
  readonly publicKeyFile: typeof BUNDLE_FILES.publicKey
  /** When `GetPublicKey` answered, ISO 8601 UTC. */
  readonly fetchedAt: string
  readonly source: ManifestSource
}

/** A checked public key with the KMS facts a manifest records (kms-client's `CheckedPublicKey`). */
export interface PinnedKey {
  readonly keyArn: string
  readonly keySpec: RsaKeySpec
  /** The envelope's checked key: SPKI, pin, pin id, modulus size. */
  readonly key: RecipientKey
}

const ISO_UTC = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$'
const strict = { additionalProperties: false } as const

const MANIFEST_SCHEMA = compileSchema(
  Type.Object(
    {
      format: Type.Literal(MANIFEST_FORMAT),
      formatVersion: Type.Literal(MANIFEST_VERSION),
      keyArn: Type.String({ pattern: KEY_ARN_PATTERN }),
      keySpec: Type.Union([
        Type.Literal('RSA_2048'),
        Type.Literal('RSA_3072'),
        Type.Literal('RSA_4096'),
      ]),
      algorithm: Type.Literal(KEY_ALGORITHM),
      modulusBits: Type.Integer(),
      pinSha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      pinId: Type.String({ pattern: '^[0-9a-f]{16}$' }),
      publicKeyFile: Type.Literal(BUNDLE_FILES.publicKey),
      fetchedAt: Type.String({ pattern: ISO_UTC }),
      source: Type.Object(
        {
          endpoint: Type.Union([Type.String({ minLength: 1 }), Type.Null()]),
          region: Type.String({ minLength: 1 }),
        },
        strict,
      ),
    },
    strict,
  ),
)

const MESSAGES: FieldMessages = Object.freeze({
  '/format': (v) => `format is ${shown(v)}, not ${MANIFEST_FORMAT}`,
  '/formatVersion': (v) =>
    `formatVersion ${shown(v)} is not supported (this reader supports ${MANIFEST_VERSION})`,
  '/keyArn': (v) => `keyArn ${shown(v)} is not a KMS key ARN`,
  '/keySpec': (v) => `keySpec ${shown(v)} is not an RSA key spec`,
  '/algorithm': (v) => `algorithm ${shown(v)} is not ${KEY_ALGORITHM}`,
  '/modulusBits': (v) => `modulusBits ${shown(v)} is not a number of bits`,
  '/pinSha256': () => 'pinSha256 is not 64 lower-case hex digits',
  '/pinId': () => 'pinId is not 16 lower-case hex digits',
  '/publicKeyFile': (v) => `publicKeyFile ${shown(v)}, expected ${BUNDLE_FILES.publicKey}`,
  '/fetchedAt': () => 'fetchedAt is not an ISO 8601 UTC time',
  '/source': () => 'source is not an object',
  '/source/endpoint': () => 'source.endpoint is neither a URL nor null',
  '/source/region': () => 'source.region is not a region name',
})

/**
 * Builds the manifest of a checked public key. `source.endpoint` is stored without userinfo.
 *
 * @throws {RangeError} when `pinned` is inconsistent (a caller bug): an ARN that is not a KMS key
 *   ARN, or a modulus that is not the key spec's.
 * @example
 * ```ts
 * createManifest(checked, { fetchedAt: new Date(), source: { endpoint: null, region: 'eu-west-1' } })
 * ```
 */
export function createManifest(
  pinned: PinnedKey,
  info: { readonly fetchedAt: Date; readonly source: ManifestSource },
): BundleManifest {
  if (!isKeyArn(pinned.keyArn)) {
    throw new RangeError(`createManifest: ${shown(pinned.keyArn)} is not a KMS key ARN`)
  }
  const spec = RSA_KEY_SPECS[pinned.keySpec]
  if (spec === undefined || spec.modulusBits !== pinned.key.modulusBits) {
    throw new RangeError(
      `createManifest: a ${pinned.key.modulusBits}-bit key is not ${shown(pinned.keySpec)}`,
    )
  }
  const endpoint = info.source.endpoint === null ? null : withoutUserinfo(info.source.endpoint)
  return Object.freeze({
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    keyArn: pinned.keyArn,
    keySpec: pinned.keySpec,
    algorithm: KEY_ALGORITHM,
    modulusBits: pinned.key.modulusBits,
    pinSha256: toHex(pinned.key.pin),
    pinId: toHex(pinned.key.pinId),
    publicKeyFile: BUNDLE_FILES.publicKey,
    fetchedAt: info.fetchedAt.toISOString(),
    source: Object.freeze({ endpoint, region: info.source.region }),
  })
}

/**
 * Serializes a manifest deterministically (fixed key order, two-space indent, final newline).
 *
 * @example
 * ```ts
 * await writeFileAtomic(join(dir, BUNDLE_FILES.manifest), encodeManifest(m), FILE_MODES.manifest)
 * ```
 */
export function encodeManifest(m: BundleManifest): string {
  const ordered = {
    format: m.format,
    formatVersion: m.formatVersion,
    keyArn: m.keyArn,
    keySpec: m.keySpec,
    algorithm: m.algorithm,
    modulusBits: m.modulusBits,
    pinSha256: m.pinSha256,
    pinId: m.pinId,
    publicKeyFile: m.publicKeyFile,
    fetchedAt: m.fetchedAt,
    source: { endpoint: m.source.endpoint, region: m.source.region },
  }
  return `${JSON.stringify(ordered, null, 2)}\n`
}

/**
 * Parses and checks `manifest.json` text.
 *
 * @throws {BundleError} `ERR_BUNDLE_CORRUPT` naming the first problem.
 * @example
 * ```ts
 * parseManifest('{"format": "x"}') // throws ERR_BUNDLE_CORRUPT: manifest.json: format is "x", …
 * ```
 */
export function parseManifest(text: string): BundleManifest {
  const file = BUNDLE_FILES.manifest
  const v = parseDocument(text, file, MANIFEST_SCHEMA, MESSAGES)
  if (v.modulusBits !== RSA_KEY_SPECS[v.keySpec].modulusBits) {
    corrupt(file, `modulusBits ${shown(v.modulusBits)} does not match keySpec ${v.keySpec}`)
  }
  if (v.pinId !== v.pinSha256.slice(0, 16)) {
    corrupt(file, 'pinId is not the first 8 bytes of pinSha256')
  }
  if (Number.isNaN(Date.parse(v.fetchedAt))) corrupt(file, 'fetchedAt is not a valid time')
  return Object.freeze({ ...v, source: Object.freeze({ ...v.source }) })
}
