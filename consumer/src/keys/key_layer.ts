/**
 * The consumer's epoch keys, assembled: the guarded KMS unwrap ({@link gatedUnwrap}: single
 * flight, adaptive rate limit, bounded concurrency, throttling retries), the layered store
 * ({@link EpochKeyCache}: memory LRU with TTL, then the stored announcement from the shared state
 * with one `Decrypt`), and the envelope's `Opener` over both, restricted to the served pin ids.
 *
 * @example
 * ```ts
 * const keys = createKeyLayer({ ring, unwrap: kmsUnwrap({ session, keys: ring.table }), readAnnouncement, settings })
 * const opened = await keys.opener.open(bytes, deviceId)
 * ```
 */
import { Opener, toHex } from '../../../envelope/src/index.ts'
import type { EpochKeys, EpochKeyStore, Unwrap } from '../../../envelope/src/index.ts'
import type { Clock } from '../../../platform/src/index.ts'
import type { StoredAnnouncement } from '../state/consumer_state.ts'
import { EpochKeyCache } from './epoch_key_cache.ts'
import { gatedUnwrap } from './kms_gate.ts'
import type { GatedUnwrap } from './kms_gate.ts'
import type { KeyRing } from './key_ring.ts'
import { AdaptiveRateLimiter } from './rate_limiter.ts'

/** The settings of the key layer (README "Settings", `epochs.*` and `kms.*`). */
export interface KeyLayerSettings {
  /** Epoch keys held in memory at most. */
  readonly cacheEntries: number
  /** How long an epoch's keys stay in memory after they were put, in ms. */
  readonly cacheTtlMs: number
  /** Client-side limit of KMS `Decrypt` requests per second. */
  readonly ratePerSecond: number
  /** Most `Decrypt` calls in flight. */
  readonly maxConcurrent: number
  /** How long a throttled `Decrypt` is tried again once kms-client's retries are spent, in ms. */
  readonly throttleRetryMs: number
}

/** Options of {@link createKeyLayer}. */
export interface KeyLayerOptions {
  readonly ring: KeyRing
  /** The inner unwrap: kms-client's `kmsUnwrap` (tests may pass a local one). */
  readonly unwrap: Unwrap
  /** Reads a stored announcement (the shared state, with its own retries). */
  readonly readAnnouncement: (
    deviceId: string,
    epochIdHex: string,
  ) => Promise<StoredAnnouncement | undefined>
  readonly settings: KeyLayerSettings
  readonly onLookup?: ((result: 'hit' | 'recovered' | 'miss') => void) | undefined
  readonly onThrottled?: (() => void) | undefined
  /** A stored announcement that no longer opens (it is then ignored). */
  readonly onBadStored?: ((deviceId: string, epochIdHex: string, err: unknown) => void) | undefined
  readonly signal?: AbortSignal | undefined
  readonly clock?: Clock | undefined
}

/** The assembled key layer. */
export interface KeyLayer {
  readonly opener: Opener
  readonly cache: EpochKeyCache
  readonly unwrap: GatedUnwrap
  readonly limiter: AdaptiveRateLimiter
  readonly ring: KeyRing
}

/** A store that keeps only what one opening puts: how a stored announcement is re-opened. */
function captureStore(): EpochKeyStore & { readonly captured: () => EpochKeys | undefined } {
  let keys: EpochKeys | undefined
  return {
    get: () => Promise.resolve(undefined),
    put: (_d, _e, k) => {
      keys = k
      return Promise.resolve()
    },
    delete: () => Promise.resolve(false),
    captured: () => keys,
  }
}

/**
 * Builds the key layer (see the module doc).
 *
 * @example
 * ```ts
 * const { opener, cache } = createKeyLayer({ ring, unwrap, readAnnouncement: (d, e) => state.getAnnouncement(d, e), settings })
 * ```
 */
export function createKeyLayer(options: KeyLayerOptions): KeyLayer {
  const { ring, settings } = options
  const limiter = new AdaptiveRateLimiter({
    perSecond: settings.ratePerSecond,
    ...(options.clock !== undefined && { clock: options.clock }),
  })
  const unwrap = gatedUnwrap({
    unwrap: options.unwrap,
    limiter,
    maxConcurrent: settings.maxConcurrent,
    throttleRetryMs: settings.throttleRetryMs,
    onThrottled: options.onThrottled,
    signal: options.signal,
    clock: options.clock,
  })
  const cache = new EpochKeyCache({
    maxEntries: settings.cacheEntries,
    ttlMs: settings.cacheTtlMs,
    onLookup: options.onLookup,
    clock: options.clock,
    recover: async (deviceId, epochIdHex) => {
      const stored = await options.readAnnouncement(deviceId, epochIdHex)
      if (stored === undefined) return undefined
      const store = captureStore()
      const opener = new Opener({ unwrap, pinIds: ring.pinIds, store })
      try {
        await opener.openAnnouncement(stored.bytes, deviceId)
      } catch (err) {
        const code = (err as { code?: unknown }).code
        // Only what stored bytes themselves can cause; KMS being away propagates (retry later).
        if (code !== 'ERR_UNWRAP_UNAVAILABLE' && code !== 'ERR_KEY_STORE_UNAVAILABLE') {
          options.onBadStored?.(deviceId, epochIdHex, err)
          return undefined
        }
        throw err
      }
      const keys = store.captured()
      return keys !== undefined && toHex(keys.epochId) === epochIdHex ? keys : undefined
    },
  })
  const opener = new Opener({ unwrap, pinIds: ring.pinIds, store: cache })
  return { opener, cache, unwrap, limiter, ring }
}
