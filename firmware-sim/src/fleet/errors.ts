/**
 * The fleet runner's errors: one class, stable codes (README "Exit codes").
 *
 * @example
 * ```ts
 * throw new FleetError('ERR_FLEET_PROVISION', 'sealwire-provision batch exited with 4: …')
 * ```
 */
import { CodedError } from '../../../platform/src/index.ts'

/** Every code a fleet run fails with. */
export type FleetErrorCode =
  /** A built program is missing: `npm run build` has not run. */
  | 'ERR_FLEET_NOT_BUILT'
  /** `sealwire-provision` failed (its error line is quoted). */
  | 'ERR_FLEET_PROVISION'
  /** The consumer did not start or died during the run. */
  | 'ERR_FLEET_CONSUMER'
  /** A device host process failed to start its devices. */
  | 'ERR_FLEET_HOST'
  /** The broker given with `--broker` does not answer. */
  | 'ERR_FLEET_BROKER'
  /** `--work-dir` names a folder that is not empty. */
  | 'ERR_FLEET_WORK_DIR'

/** A fleet run could not be carried out (as opposed to a run whose verdict failed). */
export class FleetError extends CodedError<FleetErrorCode> {}
