/**
 * A frozen lookup table with a null prototype, so `'toString' in table` is false and a key from
 * the wire can only hit an entry that was listed.
 *
 * @example
 * ```ts
 * const t = table({ a: 1 })
 * lookup(t, 'constructor') // undefined
 * ```
 */
export function table<T extends Record<string, unknown>>(entries: T): Readonly<T> {
  return Object.freeze(Object.assign(Object.create(null) as T, entries))
}

/**
 * Reads an entry of a {@link table} by an untrusted key.
 *
 * @example
 * ```ts
 * lookup(KEY_SPECS, 'RSA_2048')?.modulusBits // 2048
 * ```
 */
export function lookup<T extends Record<string, unknown>>(
  t: Readonly<T>,
  key: string,
): T[keyof T] | undefined {
  return Object.hasOwn(t, key) ? (t[key as keyof T] as T[keyof T]) : undefined
}
