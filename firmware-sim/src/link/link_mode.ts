/**
 * What a {@link FlakyLink} does to the bytes between a device and its broker, and the check of a
 * mode given by a caller. `firmware-sim/src/link/README.md` is the contract.
 *
 * @example
 * ```ts
 * link.set({ kind: 'delay', ms: 250 })
 * link.set({ kind: 'blackhole' })
 * link.set({ kind: 'pass' })
 * ```
 */

/**
 * One behaviour of the link:
 * - `pass`: every byte is forwarded at once, both directions;
 * - `delay`: every chunk is forwarded `ms` after it arrived, both directions, order kept;
 * - `blackhole`: connections stay open and nothing is forwarded either way (not even a close):
 *   what arrives is held, and flows when the link leaves the black hole, like TCP retransmission
 *   across a path that came back;
 * - `cut`: every open connection is reset (RST where the runtime can), new ones are accepted; a
 *   one-shot, after which the mode is `pass`;
 * - `refuse`: every open connection is reset and new ones are reset at once.
 */
export type LinkMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'blackhole' }
  | { readonly kind: 'cut' }
  | { readonly kind: 'refuse' }

/** The kinds of {@link LinkMode}. */
export const LINK_MODE_KINDS = Object.freeze([
  'pass',
  'delay',
  'blackhole',
  'cut',
  'refuse',
] as const)

/** Longest delay a link accepts, ms (one hour). */
export const MAX_LINK_DELAY_MS = 3_600_000

/**
 * Returns `mode` as a fresh frozen object when it is a {@link LinkMode}.
 *
 * @throws {TypeError} not an object with a known `kind`.
 * @throws {RangeError} a delay that is not an integer from 0 to {@link MAX_LINK_DELAY_MS}.
 * @example
 * ```ts
 * checkLinkMode({ kind: 'delay', ms: 100 }) // { kind: 'delay', ms: 100 }
 * ```
 */
export function checkLinkMode(mode: unknown): LinkMode {
  const kind = (mode as { kind?: unknown } | null)?.kind
  if (typeof mode !== 'object' || mode === null || !LINK_MODE_KINDS.includes(kind as never)) {
    throw new TypeError(`link mode: kind must be one of ${LINK_MODE_KINDS.join(', ')}`)
  }
  if (kind === 'delay') {
    const ms = (mode as { ms?: unknown }).ms
    if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms < 0 || ms > MAX_LINK_DELAY_MS) {
      throw new RangeError(`link mode: delay ms must be an integer from 0 to ${MAX_LINK_DELAY_MS}`)
    }
    return Object.freeze({ kind, ms })
  }
  return Object.freeze({ kind }) as LinkMode
}

/**
 * A mode as a short label (`pass`, `delay 250ms`, `blackhole`, `cut`, `refuse`), for logs and the
 * fault timeline.
 *
 * @example
 * ```ts
 * describeLinkMode({ kind: 'delay', ms: 250 }) // 'delay 250ms'
 * ```
 */
export function describeLinkMode(mode: LinkMode): string {
  return mode.kind === 'delay' ? `delay ${mode.ms}ms` : mode.kind
}
