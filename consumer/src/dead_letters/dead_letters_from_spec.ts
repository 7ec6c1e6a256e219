/**
 * `--dead-letters DIR | postgres://…` → a {@link DeadLetterStore}.
 *
 * @example
 * ```ts
 * const letters = await deadLettersFromSpec('/var/lib/sealwire/dead-letters')
 * ```
 */
import { shown } from '../../../platform/src/index.ts'
import { isPostgresUrl } from '../sinks/_postgres.ts'
import { safeUrl } from '../sinks/_safe_url.ts'
import type { DeadLetterStore } from './dead_letter_store.ts'
import { DirectoryDeadLetterStore } from './directory_dead_letter_store.ts'
import type { DirectoryDeadLetterStoreOptions } from './directory_dead_letter_store.ts'
import { DeadLetterError } from './errors.ts'
import { PostgresDeadLetterStore } from './postgres_dead_letter_store.ts'
import type { PostgresDeadLetterStoreOptions } from './postgres_dead_letter_store.ts'

/** Options of {@link deadLettersFromSpec}, by kind. */
export interface DeadLetterSpecOptions {
  readonly directory?: DirectoryDeadLetterStoreOptions
  readonly postgres?: PostgresDeadLetterStoreOptions
}

/**
 * Opens the store `spec` names: `postgres://…` / `postgresql://…`, or a folder path (created if
 * missing). Any other `scheme://` is refused rather than taken for a folder name.
 *
 * @throws {DeadLetterError} `ERR_CONFIG` for a bad spec or option (exit 78), or the open's own
 *   errors.
 */
export async function deadLettersFromSpec(
  spec: string,
  options: DeadLetterSpecOptions = {},
): Promise<DeadLetterStore> {
  if (typeof spec !== 'string') throw new TypeError('spec: expected a string')
  try {
    if (isPostgresUrl(spec)) return await PostgresDeadLetterStore.open(spec, options.postgres)
    if (spec === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
      throw new DeadLetterError(
        'ERR_CONFIG',
        `expected a folder or postgres://…, got ${shown(safeUrl(spec))}`,
      )
    }
    return await DirectoryDeadLetterStore.open(spec, options.directory)
  } catch (err) {
    // Every configuration error names the flag it came from.
    if (err instanceof DeadLetterError && err.code === 'ERR_CONFIG') {
      throw new DeadLetterError('ERR_CONFIG', `--dead-letters: ${err.message}`, { cause: err })
    }
    throw err
  }
}
