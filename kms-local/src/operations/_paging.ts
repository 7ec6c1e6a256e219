/**
 * Opaque `Marker`s of the list operations: the base64url of the last item returned. A marker
 * that is not one of ours is an `InvalidMarkerException`.
 *
 * @example
 * ```ts
 * const { items, next } = page(sortedNames, input.Marker, 50)
 * ```
 */
import { KmsApiError } from '../errors.ts'

/**
 * One page of a sorted list of unique strings, after the item the marker names.
 *
 * @example
 * ```ts
 * page(['a', 'b', 'c'], undefined, 2) // { items: ['a', 'b'], next: <marker of 'b'> }
 * ```
 */
export function page(
  sorted: readonly string[],
  marker: string | undefined,
  limit: number,
): { items: string[]; next: string | undefined } {
  let start = 0
  if (marker !== undefined) {
    const after = /^[A-Za-z0-9_-]+$/.test(marker)
      ? Buffer.from(marker, 'base64url').toString('utf8')
      : ''
    if (!after.startsWith('m:')) throw new KmsApiError('InvalidMarkerException', 'Invalid marker')
    const last = after.slice(2)
    start = sorted.findIndex((s) => s > last)
    if (start === -1) start = sorted.length
  }
  const items = sorted.slice(start, start + limit)
  const more = start + limit < sorted.length
  const next = more ? Buffer.from(`m:${items.at(-1)!}`, 'utf8').toString('base64url') : undefined
  return { items, next }
}
