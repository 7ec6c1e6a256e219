/**
 * The minimal hybrid baselines: what a competent engineer writes in an afternoon when told
 * "AES-256-GCM under a data key, wrapped once to RSA, CBOR on the wire". A CBOR map
 * `{kid: 8 bytes, nonce: 12 bytes, ct: ciphertext ‖ tag}` with a reused key, node:crypto AES-GCM
 * with a `Buffer` key, cbor-x (pure JS, configured without tags) for the framing. No AAD, no
 * device binding, no sequence number, no key announcement: they are what sealwire's seal and open
 * are measured against, not a protocol.
 *
 * Two ways to pick the nonce, same framing and same bytes on the wire:
 * - **random nonce**: 12 bytes from `randomFillSync` per message (an RNG call per message);
 * - **counter nonce**: a 4-byte random prefix fixed per key, then a 64-bit big-endian message
 *   counter (no RNG call per message; what sealwire's sequence-number nonce also avoids).
 *
 * Both open the same way (the nonce travels in the message), so there is one baseline open.
 *
 * Written as a minimal real implementation would be, not slowed down: one nonce buffer refilled
 * per message (cbor-x copies it into its output), the encoder's output returned as is (cbor-x in
 * default mode does not overwrite a returned buffer).
 *
 * @example
 * ```ts
 * const { step } = await baselineSealCounter.prepare(payload, ctx)
 * ```
 */
import { createCipheriv, createDecipheriv, randomBytes, randomFillSync } from 'node:crypto'
import { Decoder } from 'cbor-x/decode'
import { Encoder } from 'cbor-x/encode'
import type { Candidate, Prepared } from './bench_context.ts'
import { assertSameBytes, openPoolSize } from './bench_context.ts'

const TAG_BYTES = 16
const NONCE_BYTES = 12
/** Random prefix of the counter nonce; the remaining 8 bytes are the counter. */
const PREFIX_BYTES = 4
const TWO_32 = 0x1_0000_0000

type NonceMode = 'random' | 'counter'

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

/** Returns the function that writes the next nonce into `nonce`. */
function nonceSource(mode: NonceMode, nonce: Buffer): () => void {
  if (mode === 'random') return () => randomFillSync(nonce)
  randomFillSync(nonce, 0, PREFIX_BYTES)
  let counter = 0
  return () => {
    // 2^53 messages under one key is out of reach; the high word is written for honesty.
    nonce.writeUInt32BE(Math.floor(counter / TWO_32), PREFIX_BYTES)
    nonce.writeUInt32BE(counter >>> 0, PREFIX_BYTES + 4)
    counter++
  }
}

/** A baseline sealer and opener: one key, one kid, a fresh nonce per message. */
function createBaseline(mode: NonceMode) {
  const key = randomBytes(32)
  const kid = randomBytes(8)
  const nonce = Buffer.alloc(NONCE_BYTES)
  const nextNonce = nonceSource(mode, nonce)
  const encoder = new Encoder(ENCODER_OPTIONS)
  const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })
  const seal = (plaintext: Uint8Array): Uint8Array => {
    nextNonce()
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

function sealCandidate(mode: NonceMode, label: string): Candidate {
  return {
    id: `baseline-seal-${mode}`,
    label,
    op: 'seal',
    baseline: true,
    async prepare(payload): Promise<Prepared> {
      const { seal, open } = createBaseline(mode)
      const first = seal(payload)
      const second = seal(payload)
      assertSameBytes(open(first), payload, `baseline ${mode}`)
      assertSameBytes(open(second), payload, `baseline ${mode}`)
      return {
        step: { kind: 'sync', run: () => seal(payload).length },
        overheadBytes: first.length - payload.length,
      }
    },
  }
}

/** Baseline seal, random nonce: `randomFillSync` + AES-256-GCM + cbor-x `{kid, nonce, ct}`. */
export const baselineSealRandom: Candidate = sealCandidate(
  'random',
  'baseline seal, random nonce (cbor-x {kid,nonce,ct} + AES-GCM)',
)

/** Baseline seal, counter nonce: prefix ‖ 64-bit counter + AES-256-GCM + cbor-x. */
export const baselineSealCounter: Candidate = sealCandidate(
  'counter',
  'baseline seal, counter nonce (cbor-x {kid,nonce,ct} + AES-GCM)',
)

/** Baseline open: cbor-x decode + node:crypto AES-256-GCM decrypt, over distinct messages. */
export const baselineOpen: Candidate = {
  id: 'baseline-open',
  label: 'baseline open (cbor-x decode + AES-GCM)',
  op: 'open',
  baseline: true,
  async prepare(payload): Promise<Prepared> {
    const { seal, open } = createBaseline('counter')
    const poolSize = openPoolSize(payload.length)
    const pool: Uint8Array[] = []
    while (pool.length < poolSize) pool.push(Uint8Array.from(seal(payload)))
    for (const bytes of [pool[0]!, pool[poolSize - 1]!]) {
      assertSameBytes(open(bytes), payload, 'baseline open')
    }
    let i = 0
    const run = () => {
      const bytes = pool[i]!
      i = (i + 1) % poolSize
      return open(bytes).length
    }
    return { step: { kind: 'sync', run }, overheadBytes: pool[0]!.length - payload.length }
  },
}
