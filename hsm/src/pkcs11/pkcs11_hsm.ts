/**
 * The {@link Hsm} over PKCS#11 (OASIS PKCS#11 v2.40), through `graphene-pk11` (pkcs11js), the
 * standard every production HSM speaks; tested against SoftHSM2.
 *
 * - The token is found by its label among the slots with a token present; the session is
 *   read-write and logged in as the user with the PIN given (read by the caller from an
 *   environment variable or a file, never from the command line).
 * - Generated keys are token objects labelled with the alias, `CKA_PRIVATE`, `CKA_SENSITIVE` and
 *   `CKA_EXTRACTABLE` (extractable **only wrapped**: a sensitive key's value is never readable).
 *   Imported wrapping keys are session objects (`CKA_TOKEN` false) with only `CKA_WRAP`.
 * - `RSAES_OAEP_SHA_*` is `C_WrapKey` with `CKM_RSA_PKCS_OAEP`. `RSA_AES_KEY_WRAP_SHA_*` is
 *   composed, since SoftHSM2 2.6.1 has no `CKM_RSA_AES_KEY_WRAP` and pkcs11js has no marshalling
 *   of its parameters: a session AES-256 key is generated in the token, the target is wrapped
 *   under it with `CKM_AES_KEY_WRAP_PAD` (RFC 5649), the AES key is wrapped with
 *   `CKM_RSA_PKCS_OAEP`, and the AES key is destroyed: `OAEP(aes) || KWP(aes, key)`, the same
 *   bytes as `CKM_RSA_AES_KEY_WRAP`. Nothing leaves the token in the clear.
 * - Which OAEP hashes the token takes is probed once with a throw-away public key:
 *   SoftHSM2 2.6.1 answers `CKR_ARGUMENTS_BAD` to SHA-256 parameters (SHA-1 only).
 * - {@link Pkcs11Hsm.decrypt}: `CKM_RSA_PKCS_OAEP` with SHA-256 when the token takes it, else
 *   raw RSA (`CKM_RSA_X_509`) in the token and OAEP decoding in process (`oaepDecodeSha256`,
 *   constant-time in its checks); every failure of the ciphertext is the opaque
 *   `DecryptionFailedError`.
 *
 * Calls are synchronous PKCS#11 calls (pkcs11js): an RSA key generation blocks the event loop
 * for its duration (about 0.1–1 s for RSA-2048 in SoftHSM2).
 *
 * @example
 * ```ts
 * const hsm = await Pkcs11Hsm.open({ module: hsmDefaults.pkcs11Module, tokenLabel: 'station', pin })
 * const spki = await hsm.generateRsa('fleet-rsa', 2048)
 * await hsm.close()
 * ```
 */
import * as graphene from 'graphene-pk11'
import { generateKeyPairSync } from 'node:crypto'
import { DecryptionFailedError } from '../../../envelope/src/index.ts'
import { checkLabel } from '../check_label.ts'
import { oaepDecodeSha256 } from '../crypto/oaep_decode.ts'
import { rsaSpkiOf, rsaSpkiParts } from '../crypto/rsa_spki.ts'
import { HsmError } from '../errors.ts'
import type { Hsm, HsmCapabilities, RsaModulusBits, WrapAlgorithm } from '../hsm.ts'
import { ckrOf, leaseModule } from './module_registry.ts'
import type { ModuleLease } from './module_registry.ts'

/** Options of {@link Pkcs11Hsm.open}. */
export interface Pkcs11HsmOptions {
  /** Path of the PKCS#11 library (`hsmDefaults.pkcs11Module` for SoftHSM2). */
  readonly module: string
  /** `CKA_LABEL` of the token (`softhsm2-util --init-token --label`). */
  readonly tokenLabel: string
  /** The user PIN. Never logged, never in a message. */
  readonly pin: string
}

/** The `CKR_*` answers that mean "this ciphertext does not decrypt" (opaque to the caller). */
const CIPHERTEXT_CKRS: ReadonlySet<string> = new Set([
  'CKR_ENCRYPTED_DATA_INVALID',
  'CKR_ENCRYPTED_DATA_LEN_RANGE',
  'CKR_DATA_INVALID',
  'CKR_DATA_LEN_RANGE',
  'CKR_ARGUMENTS_BAD',
  'CKR_GENERAL_ERROR',
])

/** The `CKR_*` answers that mean the PIN was refused. */
const LOGIN_CKRS: ReadonlySet<string> = new Set([
  'CKR_PIN_INCORRECT',
  'CKR_PIN_INVALID',
  'CKR_PIN_LEN_RANGE',
  'CKR_PIN_LOCKED',
  'CKR_PIN_EXPIRED',
])

const HASHES = Object.freeze({
  sha1: { hash: graphene.MechanismEnum.SHA1, mgf: graphene.RsaMgf.MGF1_SHA1 },
  sha256: { hash: graphene.MechanismEnum.SHA256, mgf: graphene.RsaMgf.MGF1_SHA256 },
})

type OaepHash = keyof typeof HASHES

function oaep(hash: OaepHash): graphene.IAlgorithm {
  return {
    name: 'RSA_PKCS_OAEP',
    params: new graphene.RsaOaepParams(HASHES[hash].hash, HASHES[hash].mgf),
  }
}

/**
 * The bytes in an array of their own (not a view into a pooled or larger buffer, which a caller
 * reading `.buffer` would see whole); the source is zeroed.
 */
function standalone(b: Buffer): Uint8Array {
  const out = new Uint8Array(b.length)
  out.set(b)
  b.fill(0)
  return out
}

const AES_KEY_WRAP_PAD: graphene.IAlgorithm = { name: 'AES_KEY_WRAP_PAD', params: null }
const RSA_X_509: graphene.IAlgorithm = { name: 'RSA_X_509', params: null }

/** An HSM reached through a PKCS#11 module (see the module doc). */
export class Pkcs11Hsm implements Hsm {
  readonly name: string
  readonly #lease: ModuleLease
  readonly #session: graphene.Session
  readonly #slotKey: string
  #caps: HsmCapabilities | undefined
  #closed = false

  private constructor(
    name: string,
    lease: ModuleLease,
    session: graphene.Session,
    slotKey: string,
  ) {
    this.name = name
    this.#lease = lease
    this.#session = session
    this.#slotKey = slotKey
  }

  /**
   * Loads the module, finds the token, opens a session and logs in.
   *
   * @throws {HsmError} `ERR_HSM_UNAVAILABLE` (module, token), `ERR_HSM_LOGIN` (PIN).
   * @example
   * ```ts
   * const hsm = await Pkcs11Hsm.open({ module, tokenLabel: 'station', pin: process.env.PIN! })
   * ```
   */
  static open(options: Pkcs11HsmOptions): Promise<Pkcs11Hsm> {
    let lease: ModuleLease
    try {
      lease = leaseModule(options.module)
    } catch (err) {
      return Promise.reject(err)
    }
    try {
      const slots = lease.module.getSlots(true)
      let slot: graphene.Slot | undefined
      for (let i = 0; i < slots.length; i++) {
        const s = slots.items(i)
        if (s.getToken().label.trim() === options.tokenLabel) {
          slot = s
          break
        }
      }
      if (slot === undefined) {
        throw new HsmError(
          'ERR_HSM_UNAVAILABLE',
          `no PKCS#11 token labelled "${options.tokenLabel}" in ${options.module}`,
        )
      }
      const session = slot.open(
        graphene.SessionFlag.SERIAL_SESSION | graphene.SessionFlag.RW_SESSION,
      )
      const slotKey = slot.handle.toString('hex')
      try {
        lease.login(session, slotKey, options.pin)
      } catch (err) {
        session.close()
        const ckr = ckrOf(err)
        throw new HsmError(
          LOGIN_CKRS.has(ckr) ? 'ERR_HSM_LOGIN' : 'ERR_HSM_OPERATION',
          `token "${options.tokenLabel}" refused the login: ${ckr}`,
        )
      }
      return Promise.resolve(new Pkcs11Hsm(`pkcs11:${options.tokenLabel}`, lease, session, slotKey))
    } catch (err) {
      lease.release()
      if (err instanceof HsmError) return Promise.reject(err)
      return Promise.reject(
        new HsmError('ERR_HSM_UNAVAILABLE', `PKCS#11 token unusable: ${ckrOf(err)}`, {
          cause: err,
        }),
      )
    }
  }

  #open(): graphene.Session {
    if (this.#closed) throw new HsmError('ERR_HSM_UNAVAILABLE', `${this.name} is closed`)
    return this.#session
  }

  /** Runs a PKCS#11 step, turning a `CKR_*` failure into `ERR_HSM_OPERATION`. */
  #run<T>(what: string, step: () => T): T {
    try {
      return step()
    } catch (err) {
      if (err instanceof HsmError) throw err
      throw new HsmError('ERR_HSM_OPERATION', `${this.name}: ${what} failed: ${ckrOf(err)}`, {
        cause: err,
      })
    }
  }

  #find(alias: string, cls: graphene.ObjectClass): graphene.SessionObject | undefined {
    const found = this.#open().find({ class: cls, label: alias })
    return found.length > 0 ? found.items(0) : undefined
  }

  #need(alias: string, cls: graphene.ObjectClass, what: string): graphene.SessionObject {
    checkLabel(alias)
    const o = this.#run(`finding ${what} "${alias}"`, () => this.#find(alias, cls))
    if (o === undefined) {
      throw new HsmError('ERR_HSM_KEY_NOT_FOUND', `${this.name}: no ${what} labelled "${alias}"`)
    }
    return o
  }

  #assertFree(alias: string): void {
    checkLabel(alias)
    const classes = [
      graphene.ObjectClass.SECRET_KEY,
      graphene.ObjectClass.PRIVATE_KEY,
      graphene.ObjectClass.PUBLIC_KEY,
    ]
    for (const cls of classes) {
      if (this.#run('finding keys', () => this.#find(alias, cls)) !== undefined) {
        throw new HsmError(
          'ERR_HSM_KEY_EXISTS',
          `${this.name}: a key labelled "${alias}" exists already`,
        )
      }
    }
  }

  /** Whether an OAEP encryption with `hash` runs (a throw-away public key, session only). */
  #probeOaep(session: graphene.Session, probe: graphene.PublicKey, hash: OaepHash): boolean {
    try {
      session.createCipher(oaep(hash), probe).once(Buffer.alloc(32), Buffer.alloc(256))
      return true
    } catch {
      return false
    }
  }

  capabilities(): Promise<HsmCapabilities> {
    if (this.#caps !== undefined) return Promise.resolve(this.#caps)
    const session = this.#open()
    const caps = this.#run('probing mechanisms', () => {
      const list = session.slot.getMechanisms()
      const names = new Set<string>()
      for (let i = 0; i < list.length; i++) names.add(list.items(i).name)
      const notes: string[] = []
      const hashes: OaepHash[] = []
      if (names.has('RSA_PKCS_OAEP')) {
        const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
        const parts = rsaSpkiParts(publicKey.export({ type: 'spki', format: 'der' }))
        const probe = session
          .create({
            class: graphene.ObjectClass.PUBLIC_KEY,
            keyType: graphene.KeyType.RSA,
            token: false,
            encrypt: true,
            modulus: parts.modulus,
            publicExponent: parts.publicExponent,
          })
          .toType<graphene.PublicKey>()
        try {
          for (const h of ['sha256', 'sha1'] as const) {
            if (this.#probeOaep(session, probe, h)) hashes.push(h)
          }
        } finally {
          probe.destroy()
        }
        if (!hashes.includes('sha256')) {
          notes.push(
            'the token refuses CKM_RSA_PKCS_OAEP with SHA-256 parameters: OAEP with SHA-1 only',
          )
        }
      } else {
        notes.push('the token has no CKM_RSA_PKCS_OAEP: it cannot wrap for KMS')
      }
      const wrap: WrapAlgorithm[] = []
      for (const h of hashes) wrap.push(h === 'sha256' ? 'RSAES_OAEP_SHA_256' : 'RSAES_OAEP_SHA_1')
      if (names.has('AES_KEY_WRAP_PAD') && names.has('AES_KEY_GEN')) {
        for (const h of hashes) {
          wrap.push(h === 'sha256' ? 'RSA_AES_KEY_WRAP_SHA_256' : 'RSA_AES_KEY_WRAP_SHA_1')
        }
        if (!names.has('RSA_AES_KEY_WRAP')) {
          notes.push(
            'the token has no CKM_RSA_AES_KEY_WRAP: RSA-AES key wrap is composed from CKM_AES_KEY_WRAP_PAD and CKM_RSA_PKCS_OAEP',
          )
        }
      } else {
        notes.push('the token has no CKM_AES_KEY_WRAP_PAD: it cannot wrap RSA private keys')
      }
      const decrypt = hashes.includes('sha256')
        ? 'oaep-sha256'
        : names.has('RSA_X_509')
          ? 'raw-rsa'
          : 'none'
      if (decrypt === 'raw-rsa') {
        notes.push(
          'decryption: raw RSA (CKM_RSA_X_509) in the token, OAEP-SHA-256 decoding in process',
        )
      }
      return Object.freeze({
        wrapAlgorithms: Object.freeze(wrap),
        rsaKeyGeneration: names.has('RSA_PKCS_KEY_PAIR_GEN'),
        decrypt,
        notes: Object.freeze(notes),
      } satisfies HsmCapabilities)
    })
    this.#caps = caps
    return Promise.resolve(caps)
  }

  async importWrappingKey(alias: string, spki: Uint8Array): Promise<void> {
    checkLabel(alias)
    let parts: ReturnType<typeof rsaSpkiParts>
    try {
      parts = rsaSpkiParts(spki)
    } catch (err) {
      throw new HsmError('ERR_HSM_OPERATION', `wrapping key "${alias}": ${(err as Error).message}`)
    }
    const existing = this.#run('finding keys', () =>
      this.#find(alias, graphene.ObjectClass.PUBLIC_KEY),
    )
    if (existing !== undefined) {
      const n = Buffer.from(existing.getAttribute({ modulus: null }).modulus as Buffer)
      if (n.equals(parts.modulus)) return
      throw new HsmError('ERR_HSM_KEY_EXISTS', `${this.name}: another key is labelled "${alias}"`)
    }
    this.#assertFree(alias)
    this.#run(`importing wrapping key "${alias}"`, () =>
      this.#open().create({
        class: graphene.ObjectClass.PUBLIC_KEY,
        keyType: graphene.KeyType.RSA,
        token: false,
        label: alias,
        wrap: true,
        encrypt: false,
        verify: false,
        modulus: parts.modulus,
        publicExponent: parts.publicExponent,
      }),
    )
    await Promise.resolve()
  }

  async generateAes256(alias: string): Promise<void> {
    this.#assertFree(alias)
    this.#run(`generating AES-256 key "${alias}"`, () =>
      this.#open().generateKey(graphene.KeyGenMechanism.AES, {
        class: graphene.ObjectClass.SECRET_KEY,
        keyType: graphene.KeyType.AES,
        valueLen: 32,
        token: true,
        private: true,
        label: alias,
        sensitive: true,
        extractable: true,
        encrypt: true,
        decrypt: true,
        wrap: false,
        unwrap: false,
      }),
    )
    await Promise.resolve()
  }

  async generateRsa(alias: string, modulusBits: RsaModulusBits): Promise<Uint8Array> {
    if (modulusBits !== 2048 && modulusBits !== 3072 && modulusBits !== 4096) {
      throw new RangeError('generateRsa: modulusBits must be 2048, 3072 or 4096')
    }
    this.#assertFree(alias)
    const pair = this.#run(`generating RSA-${modulusBits} key pair "${alias}"`, () =>
      this.#open().generateKeyPair(
        graphene.KeyGenMechanism.RSA,
        {
          class: graphene.ObjectClass.PUBLIC_KEY,
          keyType: graphene.KeyType.RSA,
          token: true,
          label: alias,
          modulusBits,
          publicExponent: Buffer.from([1, 0, 1]),
          encrypt: true,
          verify: false,
          wrap: false,
        },
        {
          class: graphene.ObjectClass.PRIVATE_KEY,
          keyType: graphene.KeyType.RSA,
          token: true,
          private: true,
          label: alias,
          sensitive: true,
          extractable: true,
          decrypt: true,
          sign: false,
          unwrap: false,
        },
      ),
    )
    return this.#spkiOf(pair.publicKey)
  }

  #spkiOf(o: graphene.SessionObject): Buffer {
    const a = o.getAttribute({ modulus: null, publicExponent: null })
    return rsaSpkiOf(a.modulus as Buffer, a.publicExponent as Buffer)
  }

  async publicKey(alias: string): Promise<Uint8Array> {
    const o = this.#need(alias, graphene.ObjectClass.PUBLIC_KEY, 'RSA public key')
    await Promise.resolve()
    return this.#run('reading a public key', () => this.#spkiOf(o))
  }

  async wrapKey(
    keyAlias: string,
    wrapKeyAlias: string,
    algorithm: WrapAlgorithm,
  ): Promise<Uint8Array> {
    const caps = await this.capabilities()
    if (!caps.wrapAlgorithms.includes(algorithm)) {
      throw new HsmError('ERR_HSM_UNSUPPORTED', `${this.name} cannot wrap with ${algorithm}`)
    }
    const wrapping = this.#need(wrapKeyAlias, graphene.ObjectClass.PUBLIC_KEY, 'wrapping key')
    const target =
      this.#run('finding keys', () => this.#find(keyAlias, graphene.ObjectClass.SECRET_KEY)) ??
      this.#need(keyAlias, graphene.ObjectClass.PRIVATE_KEY, 'key')
    const session = this.#open()
    const hash: OaepHash = algorithm.endsWith('SHA_256') ? 'sha256' : 'sha1'
    const wrapKey = wrapping.toType<graphene.PublicKey>()
    const key = target.toType<graphene.Key>()
    if (algorithm.startsWith('RSAES_OAEP')) {
      if (target.class !== graphene.ObjectClass.SECRET_KEY) {
        throw new HsmError(
          'ERR_HSM_UNSUPPORTED',
          `${algorithm} wraps secret keys only; "${keyAlias}" is a private key (use RSA_AES_KEY_WRAP_SHA_*)`,
        )
      }
      return this.#run(`wrapping "${keyAlias}"`, () => session.wrapKey(oaep(hash), wrapKey, key))
    }
    return this.#run(`wrapping "${keyAlias}"`, () => {
      const ephemeral = session.generateKey(graphene.KeyGenMechanism.AES, {
        class: graphene.ObjectClass.SECRET_KEY,
        keyType: graphene.KeyType.AES,
        valueLen: 32,
        token: false,
        sensitive: true,
        extractable: true,
        wrap: true,
      })
      try {
        const kwp = session.wrapKey(AES_KEY_WRAP_PAD, ephemeral, key)
        const wrappedAes = session.wrapKey(oaep(hash), wrapKey, ephemeral)
        return Buffer.concat([wrappedAes, kwp])
      } finally {
        ephemeral.destroy()
      }
    })
  }

  async decrypt(alias: string, ciphertext: Uint8Array): Promise<Uint8Array> {
    if (!(ciphertext instanceof Uint8Array)) {
      throw new TypeError('decrypt: ciphertext must be a Uint8Array')
    }
    const caps = await this.capabilities()
    const key = this.#need(alias, graphene.ObjectClass.PRIVATE_KEY, 'RSA private key')
    const k = this.#run('reading a key', () =>
      Buffer.from(key.getAttribute({ modulus: null }).modulus as Buffer),
    ).length
    if (ciphertext.length !== k) throw new DecryptionFailedError()
    const session = this.#open()
    const privateKey = key.toType<graphene.PrivateKey>()
    if (caps.decrypt === 'none') {
      throw new HsmError('ERR_HSM_UNSUPPORTED', `${this.name} cannot decrypt RSA`)
    }
    let out: Buffer
    try {
      out =
        caps.decrypt === 'oaep-sha256'
          ? session
              .createDecipher(oaep('sha256'), privateKey)
              .once(Buffer.from(ciphertext), Buffer.alloc(k))
          : session
              .createDecipher(RSA_X_509, privateKey)
              .once(Buffer.from(ciphertext), Buffer.alloc(k))
    } catch (err) {
      if (CIPHERTEXT_CKRS.has(ckrOf(err))) throw new DecryptionFailedError()
      throw new HsmError('ERR_HSM_OPERATION', `${this.name}: decryption failed: ${ckrOf(err)}`)
    }
    if (caps.decrypt === 'oaep-sha256') return standalone(out)
    // CKM_RSA_X_509 returns the integer's bytes; keep its leading zeros to k bytes.
    const em = Buffer.alloc(k)
    out.copy(em, k - out.length)
    out.fill(0)
    const message = oaepDecodeSha256(em, k)
    em.fill(0)
    if (message === undefined) throw new DecryptionFailedError()
    return standalone(message)
  }

  /**
   * AES-256-GCM encryption under the secret key `alias`, inside the token (`CKM_AES_GCM`, 128-bit
   * tag): `ciphertext || tag`. The material stays in the token; the BYOK check uses it to prove
   * that KMS holds the same key (a blob sealed here opens with KMS `Decrypt`).
   *
   * @example
   * ```ts
   * const sealed = await hsm.encryptAesGcm('fleet-aes', iv, aad, plaintext)
   * ```
   */
  async encryptAesGcm(
    alias: string,
    iv: Uint8Array,
    aad: Uint8Array,
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    const key = this.#need(
      alias,
      graphene.ObjectClass.SECRET_KEY,
      'AES key',
    ).toType<graphene.SecretKey>()
    await Promise.resolve()
    return this.#run(`AES-GCM under "${alias}"`, () =>
      this.#open()
        .createCipher(
          {
            name: 'AES_GCM',
            params: new graphene.AesGcmParams(Buffer.from(iv), Buffer.from(aad), 128),
          },
          key,
        )
        .once(Buffer.from(plaintext), Buffer.alloc(plaintext.length + 16)),
    )
  }

  async forgetWrappingKey(alias: string): Promise<void> {
    checkLabel(alias)
    const o = this.#run('finding keys', () => this.#find(alias, graphene.ObjectClass.PUBLIC_KEY))
    // Only a session object (an imported wrapping key), never a generated token key pair.
    if (o !== undefined && o.getAttribute({ token: null }).token === false) {
      this.#run(`removing wrapping key "${alias}"`, () => o.destroy())
    }
    await Promise.resolve()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      this.#lease.logout(this.#session, this.#slotKey)
      this.#session.close()
    } catch {
      // The token went away: the module release below frees what is left.
    } finally {
      this.#lease.release()
    }
    await Promise.resolve()
  }
}
