/**
 * Key material of a KMS key: an AES-256 secret for `SYMMETRIC_DEFAULT`, an RSA key pair for
 * `RSA_*`. Generation, import checks, and the public `KeyMaterialId`.
 *
 * @example
 * ```ts
 * const material = await generateMaterial('RSA_2048')
 * material.kind === 'rsa' && material.spki.length // 294
 * ```
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  type KeyObject,
} from 'node:crypto'
import { promisify } from 'node:util'
import { KEY_SPECS, type SupportedKeySpec } from './key_specs.ts'
import { SYMMETRIC_SECRET_BYTES } from './symmetric_ciphertext.ts'

/** The secret half of a key. Never logged, never in an error message. */
export type KeyMaterial =
  | { readonly kind: 'symmetric'; readonly secret: Buffer }
  | {
      readonly kind: 'rsa'
      readonly privateKey: KeyObject
      readonly publicKey: KeyObject
      /** DER SubjectPublicKeyInfo, as `GetPublicKey` returns it. */
      readonly spki: Buffer
    }

const generateKeyPairAsync = promisify(generateKeyPair)

/**
 * Generates an RSA key pair with e = 65537 (off the event loop: RSA-4096 takes about a second).
 *
 * @example
 * ```ts
 * const { privateKey } = await generateRsaKeyPair(3072)
 * ```
 */
export async function generateRsaKeyPair(
  modulusBits: number,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return generateKeyPairAsync('rsa', { modulusLength: modulusBits, publicExponent: 0x10001 })
}

/**
 * Generates fresh material for a supported key spec.
 *
 * @example
 * ```ts
 * (await generateMaterial('SYMMETRIC_DEFAULT')).kind // 'symmetric'
 * ```
 */
export async function generateMaterial(keySpec: SupportedKeySpec): Promise<KeyMaterial> {
  const info = KEY_SPECS[keySpec]
  if (info.kind === 'symmetric')
    return { kind: 'symmetric', secret: randomBytes(SYMMETRIC_SECRET_BYTES) }
  const { privateKey } = await generateRsaKeyPair(info.modulusBits)
  return rsaMaterial(privateKey)
}

/**
 * Wraps an RSA private key as material.
 *
 * @example
 * ```ts
 * rsaMaterial(createPrivateKey(pem)).spki
 * ```
 */
function rsaMaterial(privateKey: KeyObject): KeyMaterial {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'rsa') {
    throw new TypeError('rsaMaterial: expected an RSA private key')
  }
  const publicKey = createPublicKey(privateKey)
  return {
    kind: 'rsa',
    privateKey,
    publicKey,
    spki: publicKey.export({ type: 'spki', format: 'der' }),
  }
}

/**
 * Reads imported or stored material for a key spec, or returns `undefined` when the bytes do not
 * fit it: 32 bytes for `SYMMETRIC_DEFAULT`, a PKCS #8 DER RSA private key of the spec's modulus
 * length for `RSA_*`.
 *
 * @example
 * ```ts
 * materialFromBytes('RSA_2048', pkcs8Der)?.kind // 'rsa'
 * ```
 */
export function materialFromBytes(
  keySpec: SupportedKeySpec,
  bytes: Uint8Array,
): KeyMaterial | undefined {
  const info = KEY_SPECS[keySpec]
  if (info.kind === 'symmetric') {
    return bytes.length === SYMMETRIC_SECRET_BYTES
      ? { kind: 'symmetric', secret: Buffer.from(bytes) }
      : undefined
  }
  let privateKey: KeyObject
  try {
    privateKey = createPrivateKey({ key: Buffer.from(bytes), format: 'der', type: 'pkcs8' })
  } catch {
    return undefined
  }
  if (privateKey.asymmetricKeyType !== 'rsa') return undefined
  if (privateKey.asymmetricKeyDetails?.modulusLength !== info.modulusBits) return undefined
  return rsaMaterial(privateKey)
}

/**
 * The bytes that persist the material: the AES secret, or the private key as PKCS #8 DER.
 *
 * @example
 * ```ts
 * materialFromBytes(spec, materialBytes(material)) // the same key
 * ```
 */
export function materialBytes(material: KeyMaterial): Buffer {
  return material.kind === 'symmetric'
    ? material.secret
    : material.privateKey.export({ type: 'pkcs8', format: 'der' })
}

/**
 * The `KeyMaterialId`: 64 hex digits, SHA-256 over a domain label and the public key (RSA) or the
 * secret (symmetric). The same material always has the same id, which is how a re-import of
 * different material is refused; the hash reveals nothing usable about the secret.
 *
 * @example
 * ```ts
 * keyMaterialId(material).length // 64
 * ```
 */
export function keyMaterialId(material: KeyMaterial): string {
  const h = createHash('sha256').update('sealwire kms-local key material id\u0000')
  h.update(material.kind === 'symmetric' ? material.secret : material.spki)
  return h.digest('hex')
}
