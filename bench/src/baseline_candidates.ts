/**
 * The minimal hybrid baseline: what a competent engineer writes in an afternoon when told
 * "AES-256-GCM under a data key, wrapped once to RSA, CBOR on the wire". A CBOR map
 * `{kid: 8 bytes, nonce: 12 random bytes, ct: ciphertext ‖ tag}` with a reused key, node:crypto
 * AES-GCM with a `Buffer` key, cbor-x (pure JS, configured without tags) for the framing. No
 * AAD, no device binding, no sequence number, no key announcement: it is the floor that sealwire's
 * seal and open are measured against, not a protocol.
 *
 * Written as a minimal real implementation would be, not slowed down: one nonce buffer refilled
 * by `randomFillSync` (cbor-x copies it into its output), the encoder's output returned as is
 * (cbor-x in default mode does not overwrite a returned buffer).
 *
 * @example
 * ```ts
 * const { step } = await baselineSeal.prepare(payload, ctx)
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto'
import { Decoder } from 'cbor-x/decode'
import { Encoder } from 'cbor-x/encode'
import type { Candidate, Prepared } from './bench_context.ts'
import { assertSameBytes, openPoolSize } from './bench_context.ts'

const TAG_BYTES = 16

interface Envelope {
  kid: Uint8Array
  nonce: Uint8Array
  ct: Uint8Array
}

// `useTag259ForMaps` is a real cbor-x option missing from its type declarations.
const ENCODER_OPTIONS = {
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false,
  variableMapSize: true,
} as ConstructorParameters<typeof Encoder>[0]

/** A baseline sealer: one key, one kid, a fresh random nonce per message. */
function createBaseline() {
  const key = randomBytes(32)
  const kid = randomBytes(8)
  const nonce = Buffer.alloc(12)
  const encoder = new Encoder(ENCODER_OPTIONS)
  const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
  const seal = (plaintext: Uint8Array): Uint8Array => {
    randomFillSync(nonce)
    const cipher = createCipheriv('aes-256-gcm', key, nonce)
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
    return encoder.encode({ kid, nonce, ct } satisfies Envelope)
  }
  const open = (bytes: Uint8Array): Uint8Array => {
    const { nonce: iv, ct } = decoder.decode(bytes) as Envelope
    const decipher = createDecipheriv('aes-256-gcm', key, iv)
    decipher.setAuthTag(ct.subarray(ct.length - TAG_BYTES))
    const body = decipher.update(ct.subarray(0, ct.length - TAG_BYTES))
    const rest = decipher.final()
    return rest.length ? Buffer.concat([body, rest]) : body
  }
  return { seal, open }
}

/** Baseline seal: cbor-x `{kid, nonce, ct}` + node:crypto AES-256-GCM. */
export const baselineSeal: Candidate = {
  id: 'baseline-seal',
  label: 'baseline seal (cbor-x {kid,nonce,ct} + AES-GCM)',
  op: 'seal',
  baseline: true,
  async prepare(payload): Promise<Prepared> {
    const { seal, open } = createBaseline()
    const sample = seal(payload)
    assertSameBytes(open(sample), payload, 'baseline')
    return {
      step: { kind: 'sync', run: () => seal(payload).length },
      overheadBytes: sample.length - payload.length,
    }
  },
}

/** Baseline open: cbor-x decode + node:crypto AES-256-GCM decrypt, over distinct messages. */
export const baselineOpen: Candidate = {
  id: 'baseline-open',
  label: 'baseline open (cbor-x decode + AES-GCM)',
  op: 'open',
  baseline: true,
  async prepare(payload): Promise<Prepared> {
    const { seal, open } = createBaseline()
    const poolSize = openPoolSize(payload.length)
    const pool: Uint8Array[] = []
    while (pool.length < poolSize) pool.push(Uint8Array.from(seal(payload)))
    assertSameBytes(open(pool[0]!), payload, 'baseline open')
    let i = 0
    const run = () => {
      const bytes = pool[i]!
      i = (i + 1) % poolSize
      return open(bytes).length
    }
    return { step: { kind: 'sync', run }, overheadBytes: pool[0]!.length - payload.length }
  },
}
