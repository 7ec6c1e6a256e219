/**
 * The contract every `Hsm` implementation passes (STYLE §2.4): the note's AES-256 flow (import a
 * wrapping public key, generate, wrap) checked by unwrapping with node:crypto, and the refusals
 * with their codes. Run by `pkcs11_hsm.test.ts` and `http_hsm.test.ts`.
 */
import { constants, generateKeyPairSync, privateDecrypt } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { beforeAll, expect, it } from 'vitest'
import type { Hsm, WrapAlgorithm } from '../../hsm/src/index.ts'
import { WRAP_ALGORITHMS } from '../../hsm/src/index.ts'
import { caught } from '../helpers/index.ts'
import { uniqueLabel } from './_softhsm.ts'

/** Unwraps an `RSAES_OAEP_SHA_*` wrapped key with the KMS side's private key. */
export function oaepUnwrap(privateKey: KeyObject, algorithm: WrapAlgorithm, wrapped: Uint8Array) {
  return privateDecrypt(
    {
      key: privateKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: algorithm.endsWith('SHA_256') ? 'sha256' : 'sha1',
    },
    wrapped,
  )
}

/** Registers the contract's tests for the HSM `get()` returns (set up by the caller). */
export function hsmContract(get: () => Hsm): void {
  const kmsSide = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const spki = kmsSide.publicKey.export({ type: 'spki', format: 'der' })
  let oaepAlgorithms: WrapAlgorithm[] = []

  beforeAll(async () => {
    const caps = await get().capabilities()
    oaepAlgorithms = caps.wrapAlgorithms.filter((a) => a.startsWith('RSAES_OAEP'))
  })

  it('offers known wrapping algorithms, at least one RSAES-OAEP', async () => {
    const caps = await get().capabilities()
    expect(caps.wrapAlgorithms.length).toBeGreaterThan(0)
    for (const a of caps.wrapAlgorithms) expect(WRAP_ALGORITHMS).toContain(a)
    expect(oaepAlgorithms.length).toBeGreaterThan(0)
  })

  it('wraps a generated AES-256 key: the KMS side unwraps the same 32 bytes each time', async () => {
    const hsm = get()
    const wrapAlias = uniqueLabel('wrap')
    const keyAlias = uniqueLabel('aes')
    await hsm.importWrappingKey(wrapAlias, spki)
    await hsm.importWrappingKey(wrapAlias, spki) // the same key again: a no-op
    await hsm.generateAes256(keyAlias)
    const seen = new Set<string>()
    for (const algorithm of oaepAlgorithms) {
      for (let i = 0; i < 2; i++) {
        const wrapped = await hsm.wrapKey(keyAlias, wrapAlias, algorithm)
        expect(wrapped.length).toBe(256)
        const key = oaepUnwrap(kmsSide.privateKey, algorithm, wrapped)
        expect(key.length).toBe(32)
        seen.add(key.toString('hex'))
      }
    }
    expect(seen.size).toBe(1)
    await hsm.forgetWrappingKey(wrapAlias)
  })

  it('never overwrites a key: a taken alias is ERR_HSM_KEY_EXISTS', async () => {
    const hsm = get()
    const keyAlias = uniqueLabel('aes')
    await hsm.generateAes256(keyAlias)
    const err = await caught(hsm.generateAes256(keyAlias))
    expect(err.code).toBe('ERR_HSM_KEY_EXISTS')
    expect(err.message).toContain(keyAlias)
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey
    const wrapAlias = uniqueLabel('wrap')
    await hsm.importWrappingKey(wrapAlias, spki)
    const swapped = await caught(
      hsm.importWrappingKey(wrapAlias, other.export({ type: 'spki', format: 'der' })),
    )
    expect(swapped.code).toBe('ERR_HSM_KEY_EXISTS')
    await hsm.forgetWrappingKey(wrapAlias)
  })

  it('names the missing key: ERR_HSM_KEY_NOT_FOUND', async () => {
    const hsm = get()
    const wrapAlias = uniqueLabel('wrap')
    await hsm.importWrappingKey(wrapAlias, spki)
    const err = await caught(hsm.wrapKey('no-such-key', wrapAlias, oaepAlgorithms[0]!))
    expect(err.code).toBe('ERR_HSM_KEY_NOT_FOUND')
    expect(err.message).toContain('no-such-key')
    await hsm.forgetWrappingKey(wrapAlias)
  })

  it('refuses a label outside the rule before reaching the HSM', async () => {
    const err = await caught(get().generateAes256('has space'))
    expect(err).toBeInstanceOf(RangeError)
  })
}
