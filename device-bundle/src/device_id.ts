/**
 * The one device-id rule of sealwire. A device id is a folder name on the station, an MQTT topic
 * level, the envelope's `external_aad` and a CSV cell, so one rule serves all four:
 *
 * - 1 to {@link MAX_DEVICE_ID_LENGTH} characters of `A-Z a-z 0-9 . _ -` (ASCII only, so the length
 *   in bytes is the length in characters, the same on every file system and in every topic);
 * - not beginning with `-` (a folder `-rf` reads as an option to `rm`, `tar`, `cp`) or `.` (`.`
 *   and `..` name existing folders; any other leading dot makes a hidden folder that `ls` and
 *   shell globs skip, so a device would go unshipped).
 *
 * Every id this rule admits passes the envelope's own device-id check (1 to 256 UTF-8 bytes), and
 * leaves room for the topic layout under AWS IoT Core's limits (see `topics.ts`). Uniqueness
 * ignoring case (two ids that would share a folder on a case-insensitive file system) is the
 * caller's check over a set of ids.
 *
 * @example
 * ```ts
 * deviceIdProblem('dev-0001') // undefined: valid
 * deviceIdProblem('-rf') // 'cannot begin with "-" or "." …'
 * ```
 */

/** The longest device id, in characters (= bytes: the alphabet is ASCII). */
export const MAX_DEVICE_ID_LENGTH = 128

const ALPHABET = /^[A-Za-z0-9._-]{1,128}$/

/**
 * Why `id` is not a valid device id (a phrase that reads after the id), or `undefined` when it is.
 *
 * @example
 * ```ts
 * `device_id ${shown(id)} ${deviceIdProblem(id)}` // device_id "dev/1" may contain only A-Z a-z 0-9 . _ - (1 to 128 characters)
 * ```
 */
export function deviceIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || !ALPHABET.test(id)) {
    return `may contain only A-Z a-z 0-9 . _ - (1 to ${MAX_DEVICE_ID_LENGTH} characters)`
  }
  if (id === '.' || id === '..') return 'cannot be "." or ".."'
  if (id.startsWith('-') || id.startsWith('.')) {
    return 'cannot begin with "-" or "." (an option to shell tools, or a hidden folder)'
  }
  return undefined
}

/**
 * True when `id` is a valid device id.
 *
 * @example
 * ```ts
 * isDeviceId('gw-0042') // true
 * isDeviceId('.hidden') // false
 * ```
 */
export function isDeviceId(id: unknown): id is string {
  return deviceIdProblem(id) === undefined
}
