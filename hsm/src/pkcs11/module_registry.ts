/**
 * One loaded PKCS#11 module per library path in a process. `C_Initialize` may run once per
 * process and `C_Login` holds for every session of the application on a token, so two users of
 * one module in one process (the station's `byok` then a consumer in a test, two consumers) share
 * the load and the login: reference-counted, finalized and logged out when the last one leaves.
 *
 * @example
 * ```ts
 * const lease = leaseModule('/usr/lib/softhsm/libsofthsm2.so')
 * // … lease.module.getSlots(true) …
 * lease.release()
 * ```
 */
import * as graphene from 'graphene-pk11'
import { createHash, timingSafeEqual } from 'node:crypto'
import { HsmError } from '../errors.ts'

interface Entry {
  readonly module: graphene.Module
  users: number
  /** Logged-in users per slot handle (hex), and the SHA-256 of the PIN that logged in. */
  readonly logins: Map<string, { users: number; pin: Buffer }>
}

const loaded = new Map<string, Entry>()

/** A use of a loaded module. */
export interface ModuleLease {
  readonly module: graphene.Module
  /** Logs in as the user on the token of `session`'s slot (once per process and token). */
  login(session: graphene.Session, slotKey: string, pin: string): void
  /** Undoes one {@link login}; the last one logs out. */
  logout(session: graphene.Session, slotKey: string): void
  /** Releases the lease; the last one finalizes the module. */
  release(): void
}

/** The `CKR_*` name in a PKCS#11 error, or `'unknown'`. */
export function ckrOf(err: unknown): string {
  const m = /CKR_[A-Z0-9_]+/.exec(err instanceof Error ? err.message : String(err))
  return m?.[0] ?? 'unknown'
}

/**
 * Loads (or shares) the module at `path`.
 *
 * @throws {HsmError} `ERR_HSM_UNAVAILABLE` when the library does not load or initialize.
 * @example
 * ```ts
 * const { module } = leaseModule(hsmDefaults.pkcs11Module)
 * ```
 */
export function leaseModule(path: string): ModuleLease {
  let entry = loaded.get(path)
  if (entry === undefined) {
    let module: graphene.Module
    try {
      module = graphene.Module.load(path, 'sealwire')
      module.initialize()
    } catch (err) {
      throw new HsmError(
        'ERR_HSM_UNAVAILABLE',
        `PKCS#11 module ${path} does not load: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      )
    }
    entry = { module, users: 0, logins: new Map() }
    loaded.set(path, entry)
  }
  const e = entry
  e.users++
  let released = false
  return {
    module: e.module,
    login(session, slotKey, pin) {
      const digest = createHash('sha256').update(pin).digest()
      const current = e.logins.get(slotKey)
      if (current !== undefined && current.users > 0) {
        // Logged in already (PKCS#11 logins are per application and token): a second user must
        // still know the PIN, or it would ride on the first one's login.
        if (!timingSafeEqual(current.pin, digest)) throw new Error('CKR_PIN_INCORRECT')
        current.users++
        return
      }
      try {
        session.login(pin, graphene.UserType.USER)
      } catch (err) {
        if (ckrOf(err) !== 'CKR_USER_ALREADY_LOGGED_IN') throw err
      }
      e.logins.set(slotKey, { users: 1, pin: digest })
    },
    logout(session, slotKey) {
      const current = e.logins.get(slotKey)
      if (current === undefined) return
      current.users--
      if (current.users === 0) {
        e.logins.delete(slotKey)
        try {
          session.logout()
        } catch {
          // Already logged out (the token was removed): nothing to undo.
        }
      }
    },
    release() {
      if (released) return
      released = true
      e.users--
      if (e.users === 0) {
        loaded.delete(path)
        try {
          e.module.finalize()
        } catch {
          // Finalizing a module whose token went away: nothing left to free.
        }
      }
    },
  }
}
