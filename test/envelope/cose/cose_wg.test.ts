import { createPrivateKey, createPublicKey } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createKeyWrapperWithSeed,
  createLocalUnwrap,
  decodeCoseMessage,
  defaultDecodeLimits,
  encodeEncStructure,
  EnvelopeError,
  parseEnvelope,
  parseRecipientKey,
  selectAead,
  UnsupportedAlgorithmError,
} from '../../../envelope/src/index.ts'
import type { CoseMessage } from '../../../envelope/src/index.ts'
import { hex, readVector, toHexString, vectorsDir } from '../../helpers/vectors.ts'

interface CoseExample {
  title: string
  fail?: boolean
  input: {
    plaintext: string
    enveloped?: { external?: string; recipients: { key: Record<string, string> }[] }
    encrypted?: { external?: string; recipients: { key: Record<string, string> }[] }
    rng_stream: string[]
  }
  intermediates: { AAD_hex: string; CEK_hex: string }
  output: { cbor: string }
}

const b64u = (h: string) => Buffer.from(h, 'hex').toString('base64url')
const limits = { ...defaultDecodeLimits, allowedTags: [16, 96] }
// The AES-GCM rows of the COSE algorithm registry (RFC 9053 §4.1): key bytes by alg id. The
// profile accepts only 3; this generic check exists to run the WG examples through our layers.
const GCM_KEY_BYTES: Record<number, number> = { 1: 16, 2: 24, 3: 32 }

/** Opens a COSE WG direct-key example with our COSE structure code, Enc_structure and AEAD. */
function openDirect(bytes: Uint8Array, key: Uint8Array, external: Uint8Array, untagged: 16 | 96) {
  const msg: CoseMessage = decodeCoseMessage(bytes, limits, { untagged })
  const alg = msg.protectedMap.get(1) ?? msg.unprotected.get(1)
  if (typeof alg !== 'number' || !(alg in GCM_KEY_BYTES))
    throw new UnsupportedAlgorithmError('content', alg)
  const iv = msg.unprotected.get(5)
  if (!(iv instanceof Uint8Array)) throw new Error('example without an IV')
  const aad = encodeEncStructure(
    msg.tag === 16 ? 'Encrypt0' : 'Encrypt',
    msg.aadProtected,
    external,
  )
  const aead = selectAead()
  return { aad, plaintext: aead.open(aead.importKey(key), iv, aad, msg.ciphertext) }
}

function exampleKey(ex: CoseExample): Uint8Array {
  const k = (ex.input.enveloped ?? ex.input.encrypted)!.recipients[0]!.key.k!
  return Uint8Array.from(Buffer.from(k, 'base64url'))
}

describe('COSE WG rsa-oaep-examples/ps256-128gcm-01 (RSA-OAEP-256, alg -41)', () => {
  const ex = readVector<CoseExample>('cose/rsa-oaep-examples/ps256-128gcm-01.json')
  const jwkHex = ex.input.enveloped!.recipients[0]!.key
  const priv = createPrivateKey({
    format: 'jwk',
    key: {
      kty: 'RSA',
      n: b64u(jwkHex.n_hex!),
      e: b64u(jwkHex.e_hex!),
      d: b64u(jwkHex.d_hex!),
      p: b64u(jwkHex.p_hex!),
      q: b64u(jwkHex.q_hex!),
      dp: b64u(jwkHex.dP_hex!),
      dq: b64u(jwkHex.dQ_hex!),
      qi: b64u(jwkHex.qi_hex!),
    },
  })
  const msg = decodeCoseMessage(hex(ex.output.cbor), limits)
  const recipient = msg.recipients![0]!

  it('decodes, and its recipient says alg -41', () => {
    expect(msg.tag).toBe(96)
    expect(recipient.unprotected.get(1)).toBe(-41)
    expect(recipient.ciphertext.length).toBe(256)
  })

  it('unwraps to its CEK_hex with the unwrap used in tests', async () => {
    const cek = await createLocalUnwrap(priv)(recipient.ciphertext, new Uint8Array(8))
    expect(toHexString(cek).toUpperCase()).toBe(ex.intermediates.CEK_hex)
  })

  it('our fixed-seed wrap reproduces its recipient ciphertext byte for byte (seed = rng_stream[2])', () => {
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' })
    const wrapper = createKeyWrapperWithSeed(parseRecipientKey(spki), hex(ex.input.rng_stream[2]!))
    const wrapped = wrapper.wrapSync!(hex(ex.intermediates.CEK_hex))
    expect(toHexString(wrapped)).toBe(toHexString(recipient.ciphertext))
  })

  it('its content opens through our Enc_structure and AEAD, and its AAD is AAD_hex', () => {
    const { aad, plaintext } = openDirect(
      hex(ex.output.cbor),
      hex(ex.intermediates.CEK_hex),
      new Uint8Array(0),
      96,
    )
    expect(toHexString(aad).toUpperCase()).toBe(ex.intermediates.AAD_hex)
    expect(Buffer.from(plaintext).toString()).toBe(ex.input.plaintext)
  })
})

describe.each([
  ['aes-gcm-examples/aes-gcm-03.json', 96],
  ['aes-gcm-examples/aes-gcm-enc-03.json', 16],
] as const)('COSE WG A256GCM example %s', (file, tag) => {
  const ex = readVector<CoseExample>(`cose/${file}`)

  it('decodes and decrypts through our structure code to its plaintext', () => {
    const { aad, plaintext } = openDirect(
      hex(ex.output.cbor),
      exampleKey(ex),
      new Uint8Array(0),
      tag,
    )
    expect(toHexString(aad).toUpperCase()).toBe(ex.intermediates.AAD_hex)
    expect(Buffer.from(plaintext).toString()).toBe(ex.input.plaintext)
  })
})

const suites = [
  ['enveloped-tests', 96],
  ['encrypted-tests', 16],
] as const

describe.each(suites)('COSE WG %s', (dir, tag) => {
  const files = readdirSync(resolve(vectorsDir, 'cose', dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
  const load = (f: string) => readVector<CoseExample>(`cose/${dir}/${f}`)
  const external = (ex: CoseExample) =>
    hex((ex.input.enveloped ?? ex.input.encrypted)!.external ?? '')

  it('every fail example is rejected by our COSE layers, each for its own reason', () => {
    const fails = files.filter((f) => load(f).fail)
    expect(fails.length).toBe(6)
    const codes: Record<string, string> = {}
    for (const f of fails) {
      const ex = load(f)
      try {
        openDirect(hex(ex.output.cbor), exampleKey(ex), external(ex), tag)
        codes[f] = 'accepted'
      } catch (err) {
        expect(err, f).toBeInstanceOf(EnvelopeError)
        codes[f] = (err as EnvelopeError).code
      }
    }
    const p = dir === 'enveloped-tests' ? 'env' : 'enc'
    expect(codes).toEqual({
      [`${p}-fail-01.json`]: 'ERR_ENVELOPE_MALFORMED', // CBOR tag 995
      [`${p}-fail-02.json`]: 'ERR_DECRYPTION_FAILED', // changed authentication tag
      [`${p}-fail-03.json`]: 'ERR_ENVELOPE_UNSUPPORTED_ALG', // alg -999
      [`${p}-fail-04.json`]: 'ERR_ENVELOPE_UNSUPPORTED_ALG', // alg "Unknown"
      [`${p}-fail-06.json`]: 'ERR_DECRYPTION_FAILED', // a protected header added after sealing
      [`${p}-fail-07.json`]: 'ERR_DECRYPTION_FAILED', // a protected header removed
    })
  })

  it('every pass example opens to its plaintext', () => {
    const passes = files.filter((f) => !load(f).fail)
    expect(passes.length).toBe(4)
    for (const f of passes) {
      const ex = load(f)
      const { plaintext } = openDirect(hex(ex.output.cbor), exampleKey(ex), external(ex), tag)
      expect(Buffer.from(plaintext).toString(), f).toBe(ex.input.plaintext)
    }
  })

  it('the sealwire/1 profile rejects every example (none is one of its messages)', () => {
    const outcomes = files.map((f) => {
      try {
        parseEnvelope(hex(load(f).output.cbor), limits)
        return `${f}: parsed`
      } catch (err) {
        expect(err, f).toBeInstanceOf(EnvelopeError)
        return `${f}: ${(err as EnvelopeError).code}: ${(err as Error).message}`
      }
    })
    const p = dir === 'enveloped-tests' ? 'env' : 'enc'
    const alg = (a: string) =>
      `ERR_ENVELOPE_UNSUPPORTED_ALG: sealwire/1: unsupported content algorithm ${a}`
    expect(outcomes).toEqual([
      `aes-gcm-01.json: ${alg('1')}`,
      `${p}-fail-01.json: ERR_ENVELOPE_MALFORMED: CBOR decode error: tag 995 is not allowed`,
      `${p}-fail-02.json: ${alg('1')}`,
      `${p}-fail-03.json: ${alg('-999')}`,
      `${p}-fail-04.json: ${alg('string')}`,
      `${p}-fail-06.json: ${alg('1')}`,
      `${p}-fail-07.json: ${alg('1')}`,
      `${p}-pass-01.json: ERR_ENVELOPE_INVALID: sealwire/1: protected header must be exactly {1: 3}`,
      `${p}-pass-02.json: ${alg('1')}`,
      `${p}-pass-03.json: ERR_ENVELOPE_INVALID: sealwire/1: a message must be tagged COSE_Encrypt0 (16) or COSE_Encrypt (96)`,
    ])
  })
})
