/**
 * `manifest.json` of a key bundle: what was pinned, from where, and when.
 *
 * Written as JSON with a fixed key order, two-space indent and a final newline, so the same
 * inputs give the same bytes. Read strictly: the exact set of keys, each with its type and form,
 * `formatVersion` 1 only, and the pin id must be the pin's first 8 bytes. Anything else is
 * `ERR_BUNDLE_CORRUPT` (a manifest the station did not write is not one to trust).
 *
 * @example
 * ```ts
 * const manifest = createManifest(checked, { fetchedAt: new Date(), source: { endpoint: null, region } })
 * await writeFileAtomic(join(dir, BUNDLE_FILES.manifest), encodeManifest(manifest), FILE_MODES.manifest)
 * parseManifest(await readFile(join(dir, BUNDLE_FILES.manifest), 'utf8'))
 * ```
 */
import type { RsaKeySpec } from '../defaults.ts'
import { BUNDLE_FILES, MANIFEST_FORMAT, MANIFEST_VERSION } from '../defaults.ts'
import { BundleError } from '../errors.ts'
import type { CheckedPublicKey } from '../key/check_public_key.ts'
import { isKeyArn } from '../key/check_public_key.ts'
import { isRsaKeySpec, REQUIRED_ALGORITHM, RSA_KEY_SPECS } from '../key/key_policy.ts'
import { isPinHex } from '../key/pin.ts'
import { shown } from '../_sanitize.ts'

/** Where the public key was fetched from. */
export interface ManifestSource {
  /** The `--endpoint` URL, or `null` for the SDK's default KMS endpoint of the region. */
  readonly endpoint: string | null
  /** The AWS region the KMS client used. */
  readonly region: string
}

/** The contents of `manifest.json`. */
export interface BundleManifest {
  readonly format: typeof MANIFEST_FORMAT
  readonly formatVersion: typeof MANIFEST_VERSION
  readonly keyArn: string
  readonly keySpec: RsaKeySpec
  readonly algorithm: typeof REQUIRED_ALGORITHM
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

/**
 * Builds the manifest of a checked public key.
 *
 * @example
 * ```ts
 * createManifest(checked, { fetchedAt: new Date(), source: { endpoint: null, region: 'eu-west-1' } })
 * ```
 */
export function createManifest(
  checked: CheckedPublicKey,
  info: { readonly fetchedAt: Date; readonly source: ManifestSource },
): BundleManifest {
  return Object.freeze({
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    keyArn: checked.keyArn,
    keySpec: checked.keySpec,
    algorithm: REQUIRED_ALGORITHM,
    modulusBits: checked.key.modulusBits,
    pinSha256: checked.pinSha256,
    pinId: checked.pinId,
    publicKeyFile: BUNDLE_FILES.publicKey,
    fetchedAt: info.fetchedAt.toISOString(),
    source: Object.freeze({ endpoint: info.source.endpoint, region: info.source.region }),
  })
}

/**
 * Serializes a manifest deterministically (fixed key order, final newline).
 *
 * @example
 * ```ts
 * const text = encodeManifest(manifest)
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

const MANIFEST_KEYS = [
  'format',
  'formatVersion',
  'keyArn',
  'keySpec',
  'algorithm',
  'modulusBits',
  'pinSha256',
  'pinId',
  'publicKeyFile',
  'fetchedAt',
  'source',
] as const
const SOURCE_KEYS = ['endpoint', 'region'] as const
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/

function corrupt(detail: string): never {
  throw new BundleError('ERR_BUNDLE_CORRUPT', `${BUNDLE_FILES.manifest}: ${detail}`)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function assertExactKeys(
  obj: Record<string, unknown>,
  keys: readonly string[],
  where: string,
): void {
  for (const k of keys) if (!Object.hasOwn(obj, k)) corrupt(`${where}missing field ${shown(k)}`)
  for (const k of Object.keys(obj))
    if (!keys.includes(k)) corrupt(`${where}unknown field ${shown(k)}`)
}

/**
 * Parses and checks `manifest.json` text.
 *
 * @throws {BundleError} `ERR_BUNDLE_CORRUPT` naming the first problem.
 * @example
 * ```ts
 * const manifest = parseManifest(await readFile(path, 'utf8'))
 * ```
 */
export function parseManifest(text: string): BundleManifest {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    corrupt('not valid JSON')
  }
  if (!isPlainObject(value)) corrupt('not a JSON object')
  assertExactKeys(value, MANIFEST_KEYS, '')
  const v = value
  if (v.format !== MANIFEST_FORMAT) corrupt(`format is ${shown(v.format)}, not ${MANIFEST_FORMAT}`)
  if (v.formatVersion !== MANIFEST_VERSION) {
    corrupt(`formatVersion ${shown(v.formatVersion)} is not supported (this station reads 1)`)
  }
  if (!isKeyArn(v.keyArn)) corrupt(`keyArn ${shown(v.keyArn)} is not a KMS key ARN`)
  if (!isRsaKeySpec(v.keySpec)) corrupt(`keySpec ${shown(v.keySpec)} is not an RSA key spec`)
  if (v.algorithm !== REQUIRED_ALGORITHM) corrupt(`algorithm ${shown(v.algorithm)}`)
  if (v.modulusBits !== RSA_KEY_SPECS[v.keySpec].modulusBits) {
    corrupt(`modulusBits ${shown(v.modulusBits)} does not match keySpec ${v.keySpec}`)
  }
  if (!isPinHex(v.pinSha256)) corrupt('pinSha256 is not 64 lower-case hex digits')
  if (v.pinId !== v.pinSha256.slice(0, 16)) corrupt('pinId is not the first 8 bytes of pinSha256')
  if (v.publicKeyFile !== BUNDLE_FILES.publicKey) {
    corrupt(`publicKeyFile ${shown(v.publicKeyFile)}, expected ${BUNDLE_FILES.publicKey}`)
  }
  if (typeof v.fetchedAt !== 'string' || !ISO_UTC.test(v.fetchedAt)) {
    corrupt('fetchedAt is not an ISO 8601 UTC time')
  }
  if (Number.isNaN(Date.parse(v.fetchedAt))) corrupt('fetchedAt is not a valid time')
  const source = v.source
  if (!isPlainObject(source)) corrupt('source is not an object')
  assertExactKeys(source, SOURCE_KEYS, 'source: ')
  if (source.endpoint !== null && typeof source.endpoint !== 'string') {
    corrupt('source.endpoint is neither a URL nor null')
  }
  if (typeof source.region !== 'string' || source.region.length === 0) {
    corrupt('source.region is not a region name')
  }
  return Object.freeze({
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    keyArn: v.keyArn,
    keySpec: v.keySpec,
    algorithm: REQUIRED_ALGORITHM,
    modulusBits: v.modulusBits,
    pinSha256: v.pinSha256,
    pinId: v.pinId,
    publicKeyFile: BUNDLE_FILES.publicKey,
    fetchedAt: v.fetchedAt,
    source: Object.freeze({ endpoint: source.endpoint, region: source.region }),
  })
}
