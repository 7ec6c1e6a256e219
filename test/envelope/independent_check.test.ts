import { createDecipheriv, hkdfSync, privateDecrypt, constants, createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fixedPrivateKey, goldenDeviceId, goldenPlaintext, goldenSealer } from './_fixture.ts'

// An independent reading of our bytes: no decoder, codec or crypto of ours. Offsets come from the
// byte layouts in envelope/README.md; Enc_structure is built by hand per RFC 9052 §5.3; the CEK is
// unwrapped with node:crypto privateDecrypt (OAEP-SHA-256), the base IV derived with
// node:crypto hkdfSync, and the content decrypted with createDecipheriv.

const b = (...parts: (number[] | string | Uint8Array)[]) =>
  Buffer.concat(
    parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p as number[]))),
  )

function encStructure(context: 'Encrypt' | 'Encrypt0', deviceId: string): Buffer {
  const ctx = Buffer.from(context)
  const id = Buffer.from(deviceId)
  // 83 = array(3); 60+n = text(n); 43 a10103 = bstr(3) {1: 3}; 40+n = bstr(n) (n < 24 here)
  return b([0x83, 0x60 + ctx.length], ctx, [0x43, 0xa1, 0x01, 0x03, 0x40 + id.length], id)
}

function gcmOpen(cek: Buffer, nonce: Buffer, aad: Buffer, sealed: Buffer): Buffer {
  const d = createDecipheriv('aes-256-gcm', cek, nonce)
  d.setAAD(aad)
  d.setAuthTag(sealed.subarray(sealed.length - 16))
  return Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()])
}

function nonceFor(cek: Buffer, seq: number): Buffer {
  const baseIv = Buffer.from(hkdfSync('sha256', cek, Buffer.alloc(0), 'sealwire/1 base iv', 12))
  const piv = Buffer.alloc(12)
  piv.writeUIntBE(seq, 6, 6)
  return Buffer.from(baseIv.map((x, i) => x ^ piv[i]!))
}

describe('independent check of sealwire/1 bytes', () => {
  const sealer = goldenSealer()
  let seq = 41
  const first = sealer.seal(goldenPlaintext, () => ++seq)
  const ann = Buffer.from(first.announcement!.bytes)
  const compact = Buffer.from(first.message.bytes)
  const full = Buffer.from(sealer.seal(goldenPlaintext, () => ++seq, 'full').message.bytes)

  // Full form: d8 60 84 43 a10103 a1 06 41 <piv> 58 <len> <ct> 81 83 40 a2 01 38 28 04 48 <kid:8> 59 01 00 <wrapped:256>
  const wrapped = ann.subarray(ann.length - 256)
  const cek = privateDecrypt(
    { key: fixedPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    wrapped,
  )

  it('the full form has the documented layout, and the recipient is alg -41 with the 8-byte pin id', () => {
    expect(ann.subarray(0, 10).toString('hex')).toBe('d8608443a10103a10641')
    expect(ann[10]).toBe(42) // Partial IV = seq 42, one byte
    const recipient = ann.subarray(ann.length - 256 - 3 - 8 - 9, ann.length - 256 - 3)
    expect(recipient.subarray(0, 9).toString('hex')).toBe('818340a20138280448')
    expect(ann.subarray(ann.length - 259, ann.length - 256).toString('hex')).toBe('590100')
    expect(cek.length).toBe(32)
  })

  it('the announcement decrypts with the hand-built Enc_structure("Encrypt") to the metadata map', () => {
    const ctLen = ann[12]!
    expect(ann[11]).toBe(0x58)
    const sealed = ann.subarray(13, 13 + ctLen)
    const meta = gcmOpen(cek, nonceFor(cek, 42), encStructure('Encrypt', goldenDeviceId), sealed)
    // {1: "gw-0042", 2: 42, 3: 3, 4: "0.1.0"}
    expect(meta.toString('hex')).toBe(
      b(
        [0xa4, 0x01, 0x67],
        'gw-0042',
        [0x02, 0x18, 0x2a, 0x03, 0x03, 0x04, 0x65],
        '0.1.0',
      ).toString('hex'),
    )
  })

  it('the compact message: kid = SHA-256(wrapped)[:8], and it decrypts with Enc_structure("Encrypt0")', () => {
    // d0 83 43 a10103 a2 04 48 <epoch id:8> 06 41 <piv> 58 <len> <ct>
    expect(compact.subarray(0, 9).toString('hex')).toBe('d08343a10103a20448')
    const epochId = createHash('sha256').update(wrapped).digest().subarray(0, 8)
    expect(compact.subarray(9, 17).toString('hex')).toBe(epochId.toString('hex'))
    expect(compact.subarray(17, 20).toString('hex')).toBe('06412b') // label 6, bstr(1), 43
    expect(compact[20]).toBe(0x58)
    const sealed = compact.subarray(22)
    expect(sealed.length).toBe(compact[21])
    const pt = gcmOpen(cek, nonceFor(cek, 43), encStructure('Encrypt0', goldenDeviceId), sealed)
    expect(pt.toString()).toBe('{"t":21.5,"rh":40}')
    expect(compact.length - goldenPlaintext.length).toBe(22 + 16)
  })

  it('a full data message decrypts the same way', () => {
    expect(full.subarray(0, 11).toString('hex')).toBe('d8608443a10103a106412c')
    const sealed = full.subarray(13, 13 + full[12]!)
    const pt = gcmOpen(cek, nonceFor(cek, 44), encStructure('Encrypt', goldenDeviceId), sealed)
    expect(pt.toString()).toBe('{"t":21.5,"rh":40}')
  })

  it('moving the compact message to another device id fails the tag', () => {
    const sealed = compact.subarray(22)
    expect(() =>
      gcmOpen(cek, nonceFor(cek, 43), encStructure('Encrypt0', 'gw-0043'), sealed),
    ).toThrow('Unsupported state or unable to authenticate data')
  })
})
