/**
 * `jose` JWE in compact serialization, RSA-OAEP-256 + A256GCM (RFC 7516, RFC 7518 §4.3): a fresh
 * CEK and an RSA wrap per message, as JWE does by design. The key is imported once as a
 * `CryptoKey`; each call is awaited before the next (sequential, one in flight).
 *
 * @example
 * ```ts
 * const { step } = await joseCompactEncrypt.prepare(payload, ctx)
 * ```
 */
import { CompactEncrypt, compactDecrypt, importPKCS8, importSPKI } from 'jose'
import type { Candidate, Prepared } from './bench_context.ts'
import { assertSameBytes } from './bench_context.ts'

const ALG = 'RSA-OAEP-256'
const ENC = 'A256GCM'

/** jose CompactEncrypt, RSA-OAEP-256 + A256GCM. */
export const joseCompactEncrypt: Candidate = {
  id: 'jose-jwe',
  label: 'jose JWE compact (RSA-OAEP-256 + A256GCM)',
  op: 'seal',
  baseline: false,
  async prepare(payload, ctx): Promise<Prepared> {
    const publicKey = await importSPKI(ctx.publicPem, ALG)
    const header = { alg: ALG, enc: ENC }
    const seal = () => new CompactEncrypt(payload).setProtectedHeader(header).encrypt(publicKey)
    const sample = await seal()
    const { plaintext } = await compactDecrypt(sample, await importPKCS8(ctx.privatePem, ALG))
    assertSameBytes(plaintext, payload, 'jose')
    // The compact serialization is ASCII: characters = bytes.
    return {
      step: { kind: 'async', run: async () => (await seal()).length },
      overheadBytes: sample.length - payload.length,
    }
  },
}
