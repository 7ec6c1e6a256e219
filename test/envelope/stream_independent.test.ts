import { constants, createDecipheriv, createHash, privateDecrypt, randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { sealBytes } from '../../envelope/src/index.ts'
import { repoRoot } from '../helpers/index.ts'
import { fixedPrivateKey, goldenRandom, goldenWrapper, wrapper } from './_stream_fixture.ts'

// An independent reader of the stream format, written from envelope/STREAM.md alone with
// node:crypto only: no decoder, opener or helper of ours.
function independentOpen(file: Buffer): Buffer {
  if (file.subarray(0, 8).toString('latin1') !== 'sealwire') throw new Error('magic')
  if (file[8] !== 1 || file[9] !== 3) throw new Error('format/suite')
  const S = file.readUInt32BE(10)
  const fileId = file.subarray(14, 30)
  const L = file.readUInt16BE(38)
  const header = file.subarray(0, 40 + L)
  const cek = privateDecrypt(
    { key: fixedPrivateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    file.subarray(40, 40 + L),
  )
  const aad = createHash('sha256').update(header).digest()
  const body = file.subarray(header.length)
  const out: Buffer[] = []
  for (let i = 0, at = 0; ; i++) {
    const final = body.length - at <= S + 16
    const seg = body.subarray(at, at + S + 16)
    const nonce = Buffer.concat([fileId.subarray(0, 7), Buffer.alloc(4), Buffer.of(final ? 1 : 0)])
    nonce.writeUInt32BE(i, 7)
    const d = createDecipheriv('aes-256-gcm', cek, nonce)
    d.setAAD(aad)
    d.setAuthTag(seg.subarray(seg.length - 16))
    out.push(d.update(seg.subarray(0, seg.length - 16)), d.final())
    at += seg.length
    if (final) return Buffer.concat(out)
  }
}

const EXAMPLE_PLAINTEXT = Buffer.from(Array.from({ length: 520 }, (_, i) => 0x61 + (i % 26)))

function exampleFromSpec(): Buffer {
  const md = readFileSync(join(repoRoot, 'envelope/STREAM.md'), 'utf8')
  const block = /<!-- example-stream -->\n```\n([0-9a-f\n]+)```/.exec(md)
  if (!block) throw new Error('STREAM.md has no example block')
  return Buffer.from(block[1]!.replace(/\n/g, ''), 'hex')
}

describe('independent reader of the stream format (node:crypto only)', () => {
  it('reproduces the example bytes of STREAM.md §7 from its fixed inputs', async () => {
    const file = await sealBytes(EXAMPLE_PLAINTEXT, {
      wrapper: goldenWrapper,
      random: goldenRandom(),
      segmentBytes: 512,
    })
    expect(Buffer.from(file).toString('hex')).toBe(exampleFromSpec().toString('hex'))
  })

  it('opens the example of STREAM.md', () => {
    expect(independentOpen(exampleFromSpec()).equals(EXAMPLE_PLAINTEXT)).toBe(true)
  })

  it.each([0, 1, 511, 512, 513, 4000])('opens a %i-byte stream of ours', async (n) => {
    const data = randomBytes(n)
    const file = Buffer.from(await sealBytes(data, { wrapper, segmentBytes: 512 }))
    expect(independentOpen(file).equals(data)).toBe(true)
  })
})
