/**
 * Decryption that survives losing KMS: an ordered chain of two unwraps, KMS (kms-client's
 * `kmsUnwrap`) and the in-house HSM holding the same RSA private key (imported into KMS with
 * `sealwire-provision byok`, so KMS and the HSM decrypt the same wrapped CEKs).
 *
 * Order `kms-first` (the default): KMS, then the HSM **only when KMS is unavailable**
 * (kms-client's `ERR_KMS_UNAVAILABLE`: unreachable, timed out, throttled after every retry, an
 * answer that is not KMS's). Never on:
 * - the opaque `DecryptionFailedError` (KMS refused the ciphertext, a wrong length, a kid not
 *   served): the HSM holds the same key and would refuse it too, and asking a second oracle
 *   about a bad ciphertext only helps an attacker;
 * - `ERR_KMS_DENIED` (no permission) or `ERR_KEY_STATE` (key disabled, pending deletion): that is
 *   how an operator revokes decryption, and the HSM must not bypass it;
 * - `ERR_KMS_REQUEST` (KMS answered and refused the request).
 * Order `hsm-first`: the HSM, then KMS when the HSM is unusable (`ERR_HSM_*`); a refused
 * ciphertext is final there too.
 *
 * While KMS is known down (an `unavailable` less than `kmsRetryAfterMs` ago), `kms-first` goes to
 * the HSM at once instead of paying kms-client's retries for every new epoch; the first unwrap
 * after that time tries KMS again.
 *
 * A CEK from the HSM must be 32 bytes, like one from KMS; anything else is the opaque error. When
 * both are unusable, KMS's error is thrown (the `Opener` reports `ERR_UNWRAP_UNAVAILABLE`: retry
 * later). Each use of the second unwrap is reported through `onFallback` (metrics, a log line
 * with kid and codes only: no key bytes).
 *
 * @example
 * ```ts
 * const unwrap = hsmFallbackUnwrap({ primary: kmsUnwrap({ session, keys: ring.table }), hsm, labels, order: 'kms-first' })
 * ```
 */
import { DecryptionFailedError, toHex } from '../../../envelope/src/index.ts'
import type { Unwrap } from '../../../envelope/src/index.ts'
import type { Hsm } from '../../../hsm/src/index.ts'
import { systemClock } from '../../../platform/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'

/** Which unwrap goes first. */
export type FallbackOrder = 'kms-first' | 'hsm-first'

/** One use of the second unwrap, for metrics and logs. */
export interface FallbackEvent {
  /** The recipient kid, 16 hex digits. */
  readonly kid: string
  readonly from: 'kms' | 'hsm'
  readonly to: 'kms' | 'hsm'
  /** The code of the first unwrap's failure (`ERR_KMS_UNAVAILABLE`, `ERR_HSM_UNAVAILABLE`…), or `'kms-down'`. */
  readonly reason: string
  readonly outcome: 'unwrapped' | 'decryption-failed' | 'unavailable'
}

/** Options of {@link hsmFallbackUnwrap}. */
export interface HsmFallbackOptions {
  /** KMS's unwrap (kms-client's `kmsUnwrap`, as the consumer builds it). */
  readonly primary: Unwrap
  readonly hsm: Hsm
  /** kid hex (lower case) → label of the RSA key pair in the HSM. */
  readonly labels: ReadonlyMap<string, string>
  readonly order: FallbackOrder
  /** After KMS was unavailable, go to the HSM directly for this long, in ms. */
  readonly kmsRetryAfterMs: number
  readonly onFallback?: ((event: FallbackEvent) => void) | undefined
  readonly clock?: Clock | undefined
}

const CEK_BYTES = 32

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'unknown'
}

/**
 * The chained unwrap (see the module doc).
 *
 * @example
 * ```ts
 * const unwrap = hsmFallbackUnwrap({ primary, hsm, labels, order: 'kms-first', kmsRetryAfterMs: 30_000 })
 * ```
 */
export function hsmFallbackUnwrap(options: HsmFallbackOptions): Unwrap {
  const { primary, hsm, labels, order, onFallback } = options
  const clock = options.clock ?? systemClock
  let kmsDownUntil = Number.NEGATIVE_INFINITY

  const report = (event: FallbackEvent): void => {
    try {
      onFallback?.(event)
    } catch {
      // A metrics hook must not change what the opener sees.
    }
  }

  async function viaHsm(label: string, wrapped: Uint8Array): Promise<Uint8Array> {
    const cek = await hsm.decrypt(label, wrapped)
    if (cek.length !== CEK_BYTES) {
      cek.fill(0)
      throw new DecryptionFailedError()
    }
    return cek
  }

  async function second(
    to: 'kms' | 'hsm',
    kid: string,
    reason: string,
    run: () => Promise<Uint8Array>,
    firstError: unknown,
  ): Promise<Uint8Array> {
    const from = to === 'hsm' ? 'kms' : 'hsm'
    try {
      const cek = await run()
      report({ kid, from, to, reason, outcome: 'unwrapped' })
      return cek
    } catch (err) {
      if (err instanceof DecryptionFailedError) {
        report({ kid, from, to, reason, outcome: 'decryption-failed' })
        throw err
      }
      report({ kid, from, to, reason, outcome: 'unavailable' })
      // Both unusable: the first one's error says why (retry later).
      throw firstError ?? err
    }
  }

  return async (wrapped: Uint8Array, kid: Uint8Array): Promise<Uint8Array> => {
    const kidHex = kid.length === 8 ? toHex(kid) : ''
    const label = labels.get(kidHex)
    if (label === undefined) return primary(wrapped, kid)
    if (order === 'hsm-first') {
      try {
        return await viaHsm(label, wrapped)
      } catch (err) {
        if (err instanceof DecryptionFailedError || codeOf(err) === 'ERR_DECRYPTION_FAILED') {
          throw err
        }
        return second('kms', kidHex, codeOf(err), async () => primary(wrapped, kid), err)
      }
    }
    if (clock.monotonic() < kmsDownUntil) {
      return second('hsm', kidHex, 'kms-down', () => viaHsm(label, wrapped), undefined)
    }
    try {
      return await primary(wrapped, kid)
    } catch (err) {
      if (codeOf(err) !== 'ERR_KMS_UNAVAILABLE') throw err
      kmsDownUntil = clock.monotonic() + options.kmsRetryAfterMs
      return second('hsm', kidHex, 'ERR_KMS_UNAVAILABLE', () => viaHsm(label, wrapped), err)
    }
  }
}
