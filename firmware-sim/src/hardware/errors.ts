/**
 * Errors of the emulated hardware: one class, {@link HardwareSimError}, with a stable `code`.
 * Caller bugs (a seed that is not an integer, a negative read length) stay plain `TypeError` /
 * `RangeError` (STYLE §3.2).
 *
 * @example
 * ```ts
 * try {
 *   source.setFault(JSON.parse(text))
 * } catch (err) {
 *   if (err instanceof HardwareSimError) console.error(`error ${err.code}: ${err.message}`)
 * }
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/**
 * Every code a {@link HardwareSimError} can carry.
 *
 * - `ERR_SIM_FAULT_INVALID`: a noise fault that does not match the schema (unknown kind, a value
 *   outside 0..255, p outside (0, 1) or equal to ½, a burst longer than its period…).
 * - `ERR_SIM_FIFO`: the FIFO could not be made or opened (no `mkfifo(1)`, path taken, no
 *   permission).
 *
 * @example
 * ```ts
 * const code: HardwareSimErrorCode = 'ERR_SIM_FIFO'
 * ```
 */
export type HardwareSimErrorCode = 'ERR_SIM_FAULT_INVALID' | 'ERR_SIM_FIFO'

/**
 * The emulated hardware refused a fault specification or could not set up its FIFO.
 *
 * @example
 * ```ts
 * throw new HardwareSimError('ERR_SIM_FIFO', 'mkfifo(1) was not found')
 * ```
 */
export class HardwareSimError extends CodedError<HardwareSimErrorCode> {}
