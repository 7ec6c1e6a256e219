/**
 * Which wrapping algorithm `byok` uses: the strongest that KMS accepts for the material and the
 * HSM can produce, with the reason in words (the station prints both).
 *
 * KMS's rules (GetParametersForImport, `WrappingAlgorithm`): an RSA private key needs an RSA-AES
 * algorithm; AES-256 material takes RSAES-OAEP (the note's flow). `RSAES_PKCS1_V1_5` is refused
 * by KMS since 2023-10-10; `SM2PKE` is for China Regions only. Order of strength: SHA-256 before
 * SHA-1 (OAEP with SHA-1 is still sound for key transport, and KMS accepts it).
 *
 * @example
 * ```ts
 * chooseWrapping('AES_256', caps, undefined)
 * // { algorithm: 'RSAES_OAEP_SHA_1', why: 'strongest both accept; RSAES_OAEP_SHA_256: pkcs11:station cannot produce it' }
 * ```
 */
import type { HsmCapabilities, WrapAlgorithm } from '../../../hsm/src/index.ts'
import { HsmError, WRAP_ALGORITHMS } from '../../../hsm/src/index.ts'
import { shown, UsageError } from '../../../platform/src/index.ts'
import { ByokError } from '../errors.ts'

/** What `byok` generates in the HSM and imports. */
export type ByokMaterial = 'AES_256' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096'

/** The materials, with the KMS key spec and what KMS accepts, strongest first. */
export const MATERIALS: Readonly<
  Record<ByokMaterial, { keySpec: string; accepted: readonly WrapAlgorithm[] }>
> = Object.freeze({
  AES_256: { keySpec: 'SYMMETRIC_DEFAULT', accepted: ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'] },
  RSA_2048: {
    keySpec: 'RSA_2048',
    accepted: ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1'],
  },
  RSA_3072: {
    keySpec: 'RSA_3072',
    accepted: ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1'],
  },
  RSA_4096: {
    keySpec: 'RSA_4096',
    accepted: ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_AES_KEY_WRAP_SHA_1'],
  },
})

/**
 * Checks a `--wrapping-algorithm` value before anything else runs.
 *
 * @throws {ByokError} `ERR_BYOK_ALGORITHM_DEPRECATED` for `RSAES_PKCS1_V1_5`.
 * @throws {UsageError} for any other name KMS or sealwire does not take, or one KMS refuses for
 *   the material.
 * @example
 * ```ts
 * checkForcedAlgorithm('RSAES_PKCS1_V1_5', 'AES_256') // throws ERR_BYOK_ALGORITHM_DEPRECATED
 * ```
 */
export function checkForcedAlgorithm(value: string, material: ByokMaterial): WrapAlgorithm {
  if (value === 'RSAES_PKCS1_V1_5') {
    throw new ByokError(
      'ERR_BYOK_ALGORITHM_DEPRECATED',
      '--wrapping-algorithm RSAES_PKCS1_V1_5: deprecated, KMS no longer accepts it (since 2023-10-10); use RSAES_OAEP_SHA_256',
    )
  }
  if (!WRAP_ALGORITHMS.includes(value as WrapAlgorithm)) {
    throw new UsageError(
      `--wrapping-algorithm ${shown(value)}: use one of ${WRAP_ALGORITHMS.join(', ')}`,
    )
  }
  const accepted = MATERIALS[material].accepted
  if (!accepted.includes(value as WrapAlgorithm)) {
    throw new UsageError(
      `--wrapping-algorithm ${value}: KMS does not take it for ${material} material; use ${accepted.join(' or ')}`,
    )
  }
  return value as WrapAlgorithm
}

/**
 * The algorithm to use and why.
 *
 * @throws {HsmError} `ERR_HSM_UNSUPPORTED` when the HSM can produce none KMS accepts (or not the
 *   forced one).
 * @example
 * ```ts
 * const { algorithm, why } = chooseWrapping('RSA_2048', caps, undefined, 'pkcs11:station')
 * ```
 */
export function chooseWrapping(
  material: ByokMaterial,
  caps: HsmCapabilities,
  forced: WrapAlgorithm | undefined,
  hsmName: string,
): { readonly algorithm: WrapAlgorithm; readonly why: string } {
  if (forced !== undefined) {
    if (!caps.wrapAlgorithms.includes(forced)) {
      throw new HsmError('ERR_HSM_UNSUPPORTED', `${hsmName} cannot wrap with ${forced}`)
    }
    return { algorithm: forced, why: 'given by --wrapping-algorithm' }
  }
  const skipped: string[] = []
  for (const algorithm of MATERIALS[material].accepted) {
    if (caps.wrapAlgorithms.includes(algorithm)) {
      const why =
        skipped.length === 0
          ? 'the strongest KMS accepts for this material, and the HSM produces it'
          : `the strongest both KMS and the HSM accept; ${skipped.join('; ')}`
      return { algorithm, why }
    }
    skipped.push(`${algorithm}: ${hsmName} cannot produce it`)
  }
  throw new HsmError(
    'ERR_HSM_UNSUPPORTED',
    `${hsmName} can produce none of the wrapping algorithms KMS accepts for ${material} (${MATERIALS[material].accepted.join(', ')})`,
  )
}
