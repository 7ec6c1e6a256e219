/**
 * `--state memory|redis://…` → a {@link ConsumerState}.
 *
 * @example
 * ```ts
 * const state = await stateFromSpec(settings.state, { windowSize: settings.replayWindow })
 * ```
 */
import { shown } from '../../../platform/src/index.ts'
import { safeUrl } from '../sinks/_safe_url.ts'
import type { ConsumerState } from './consumer_state.ts'
import { StateError } from './errors.ts'
import { MemoryConsumerState } from './memory_consumer_state.ts'
import type { MemoryConsumerStateOptions } from './memory_consumer_state.ts'
import { RedisConsumerState } from './redis_consumer_state.ts'
import type { RedisConsumerStateOptions } from './redis_consumer_state.ts'

/** Options of {@link stateFromSpec}: those of either implementation. */
export type StateSpecOptions = MemoryConsumerStateOptions & RedisConsumerStateOptions

/**
 * Opens the state `spec` names: `memory`, or `redis://[user:password@]host[:port][/db]`
 * (`rediss://` for TLS). A Redis is connected and pinged before this resolves.
 *
 * @throws {StateError} `ERR_CONFIG` for any other spec or an option out of range (exit 78),
 *   `ERR_STATE_UNAVAILABLE` when Redis does not answer.
 */
export async function stateFromSpec(
  spec: string,
  options: StateSpecOptions = {},
): Promise<ConsumerState> {
  if (typeof spec !== 'string') throw new TypeError('spec: expected a string')
  try {
    if (spec === 'memory') return new MemoryConsumerState(options)
    if (/^rediss?:\/\//i.test(spec)) {
      let url: URL
      try {
        url = new URL(spec)
      } catch {
        throw new StateError('ERR_CONFIG', `--state: ${shown(safeUrl(spec))} is not a valid URL`)
      }
      if (url.hostname === '') {
        throw new StateError('ERR_CONFIG', `--state: ${shown(safeUrl(spec))} names no host`)
      }
      return await RedisConsumerState.connect(spec, options)
    }
  } catch (err) {
    // An option out of range (a RangeError from the constructors) is a setting, not a bug here.
    if (err instanceof RangeError || err instanceof TypeError) {
      throw new StateError('ERR_CONFIG', `--state: ${err.message}`, { cause: err })
    }
    throw err
  }
  throw new StateError(
    'ERR_CONFIG',
    `--state: expected "memory" or redis://host[:port][/db], got ${shown(safeUrl(spec))}`,
  )
}
