/**
 * Raw AES-256-GCM through node:crypto, with no framing at all: the floor any envelope pays for.
 * The key is a secret `KeyObject` made once (as sealwire's node backend holds its epoch key); the
 * nonce is a fixed random prefix ‖ a 64-bit counter (no RNG call per message); no AAD. Seal returns
 * the ciphertext and the tag as node:crypto hands them out (no copy into one buffer); open
 * decrypts one of a pool of distinct pre-sealed messages, each a (nonce, ciphertext, tag) triple
 * kept apart, so nothing has to be parsed or split. Its overhead counts the 12-byte nonce (a
 * receiver needs it) and the 16-byte tag: 28 B, the least any AES-GCM message carries.
 *
 * @example
 * ```ts
 * const { step } = await rawGcmSeal.prepare(payload, ctx)
 * ```
 */
import type { KeyObject } from 'node:crypto'
import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto'
import type { Candidate, Prepared } from './bench_context.ts'
import { assertSameBytes, openPoolSize } from './bench_context.ts'

const CIPHER = 'aes-256-gcm'
const TAG_BYTES = 16
const NONCE_BYTES = 12
const PREFIX_BYTES = 4
const TWO_32 = 0x1_0000_0000

interface Sealed {
  readonly nonce: Buffer
  readonly ct: Buffer
  readonly tag: Buffer
}

function createRawGcm() {
  const key: KeyObject = createSecretKey(randomBytes(32))
  const nonce = Buffer.alloc(NONCE_BYTES)
  randomBytes(PREFIX_BYTES).copy(nonce)
  let counter = 0
  const nextNonce = () => {
    nonce.writeUInt32BE(Math.floor(counter / TWO_32), PREFIX_BYTES)
    nonce.writeUInt32BE(counter >>> 0, PREFIX_BYTES + 4)
    counter++
  }
  /**
   * Seals and returns the output length (ciphertext + tag), without gathering the bytes: the
   * timed step. The same three calls as `seal`, whose output the round-trip check decrypts.
   */
  const sealLength = (plaintext: Uint8Array): number => {
    nextNonce()
    const c = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
    return c.update(plaintext).length + c.final().length + c.getAuthTag().length
  }
  /** Seals and keeps the pieces (for the open pool and the round-trip check). */
  const seal = (plaintext: Uint8Array): Sealed => {
    nextNonce()
    const c = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES })
    const ct = Buffer.concat([c.update(plaintext), c.final()])
    return { nonce: Buffer.from(nonce), ct, tag: c.getAuthTag() }
  }
  const open = ({ nonce: iv, ct, tag }: Sealed): Uint8Array => {
    const d = createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES })
    d.setAuthTag(tag)
    const body = d.update(ct)
    const rest = d.final()
    return rest.length ? Buffer.concat([body, rest]) : body
  }
  return { sealLength, seal, open }
}

/** Raw AES-256-GCM encrypt: the seal floor. */
export const rawGcmSeal: Candidate = {
  id: 'raw-gcm-seal',
  label: 'raw AES-256-GCM encrypt (node:crypto, no framing)',
  op: 'seal',
  baseline: false,
  floor: true,
  async prepare(payload): Promise<Prepared> {
    const { sealLength, seal, open } = createRawGcm()
    const sample = seal(payload)
    assertSameBytes(open(sample), payload, 'raw AES-GCM')
    if (sealLength(payload) !== payload.length + TAG_BYTES) {
      throw new Error('raw AES-GCM: unexpected output length')
    }
    return {
      step: { kind: 'sync', run: () => sealLength(payload) },
      overheadBytes: NONCE_BYTES + sample.ct.length + sample.tag.length - payload.length,
    }
  },
}

/** Raw AES-256-GCM decrypt over distinct messages: the open floor. */
export const rawGcmOpen: Candidate = {
  id: 'raw-gcm-open',
  label: 'raw AES-256-GCM decrypt (node:crypto, no framing)',
  op: 'open',
  baseline: false,
  floor: true,
  async prepare(payload): Promise<Prepared> {
    const { seal, open } = createRawGcm()
    const poolSize = openPoolSize(payload.length)
    const pool: Sealed[] = []
    while (pool.length < poolSize) pool.push(seal(payload))
    for (const sealed of [pool[0]!, pool[poolSize - 1]!]) {
      assertSameBytes(open(sealed), payload, 'raw AES-GCM open')
    }
    let i = 0
    const run = () => {
      const sealed = pool[i]!
      i = (i + 1) % poolSize
      return open(sealed).length
    }
    return {
      step: { kind: 'sync', run },
      overheadBytes: NONCE_BYTES + pool[0]!.ct.length + pool[0]!.tag.length - payload.length,
    }
  },
}
