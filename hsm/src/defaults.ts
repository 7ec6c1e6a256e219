/**
 * Every default of `hsm/`, in one typed object (STYLE §4.1).
 *
 * @example
 * ```ts
 * const timeoutMs = options.timeoutMs ?? hsmDefaults.httpTimeoutMs
 * ```
 */

/** Tunables of the HSM clients; every one has a default here. */
export interface HsmDefaults {
  /** The PKCS#11 module of Debian's `softhsm2` package. */
  readonly pkcs11Module: string
  /** Time for one HTTP API request (connect and answer), in milliseconds. */
  readonly httpTimeoutMs: number
  /** Largest HTTP answer or request body the client and the stand-in accept, in bytes. */
  readonly httpMaxBodyBytes: number
  /** Labels (aliases): 1 to 64 of `A-Z a-z 0-9 . _ -`. */
  readonly labelPattern: RegExp
}

/**
 * The defaults.
 *
 * @example
 * ```ts
 * new Pkcs11Hsm({ module: hsmDefaults.pkcs11Module, tokenLabel: 'station', pin })
 * ```
 */
export const hsmDefaults: HsmDefaults = Object.freeze({
  pkcs11Module: '/usr/lib/softhsm/libsofthsm2.so',
  httpTimeoutMs: 10_000,
  httpMaxBodyBytes: 64 * 1024,
  labelPattern: /^[A-Za-z0-9._-]{1,64}$/,
})
