import { describe, expect, it } from 'vitest'
import { createLocalUnwrap, Opener, toHex } from '../../envelope/src/index.ts'
import { fixedPrivateKey, goldenDeviceId, goldenPlaintext, goldenSealer } from './_fixture.ts'

// Golden bytes: with the CEK, the OAEP seed, the key, the device id and the sequence numbers fixed
// (see _fixture.ts), sealing must give exactly these bytes, on Node and on Bun. They were checked
// independently of our decoder by independent_check.test.ts, and are listed in envelope/README.md.
const GOLDEN = {
  announcement:
    'd8608443a10103a106412a58265f8e43bd30a4854684d106b5ff7270882cdc0f80e0ad48835fa7af' +
    '28ec513f1c2d640bfdddcf818340a20138280448c963778ab59460a35901006855c5d442260e5f2a' +
    '122dfc1d56ee1c10191cba3d3e2c727359e0e4bfb042e0d3e8bc8d37e2168c1b7baa8c8065c5c535' +
    'f99b574dddd21e09ce32a4be7620f7800c659f061d2e7fd75124d0f8736af165a4f21885ee7a337c' +
    '03008667bb61d9d363e2acdc47f11fc02615677b631847207318e578aa404fc4534b9e57659941ad' +
    '99eb23e0c6a5ecd2cc5b026089288e756d215ca21ccd06a286104ca849d514b968768cb364f826b3' +
    '93deabf0d372387acdd5b1630f94c084ea78834b385e6ca5de6e62183eff8d22a3cbbfadbbcd606c' +
    '0da96a063c06957da4f59909a2ce98f355b0aafe1fc7db8eeb9f3c0c780c96a9edd7f0e5bcfee9e3' +
    'e4f3649d3fcc6c',
  compact:
    'd08343a10103a20448805da544edcda6be06412b5822f22777fdbdf2be3bebbfc55b3f53417834a6' +
    '797ee555c077ee7263b8c57ff3ab27ec',
  full:
    'd8608443a10103a106412c5822ea7aee3eb19b7b99b37b73575858734db000be391e2c17288aa2c5' +
    'e5640799c5df88818340a20138280448c963778ab59460a35901006855c5d442260e5f2a122dfc1d' +
    '56ee1c10191cba3d3e2c727359e0e4bfb042e0d3e8bc8d37e2168c1b7baa8c8065c5c535f99b574d' +
    'ddd21e09ce32a4be7620f7800c659f061d2e7fd75124d0f8736af165a4f21885ee7a337c03008667' +
    'bb61d9d363e2acdc47f11fc02615677b631847207318e578aa404fc4534b9e57659941ad99eb23e0' +
    'c6a5ecd2cc5b026089288e756d215ca21ccd06a286104ca849d514b968768cb364f826b393deabf0' +
    'd372387acdd5b1630f94c084ea78834b385e6ca5de6e62183eff8d22a3cbbfadbbcd606c0da96a06' +
    '3c06957da4f59909a2ce98f355b0aafe1fc7db8eeb9f3c0c780c96a9edd7f0e5bcfee9e3e4f3649d' +
    '3fcc6c',
}

describe('golden bytes (injected CEK and OAEP seed)', () => {
  const sealer = goldenSealer()
  let seq = 41
  const first = sealer.seal(goldenPlaintext, () => ++seq)
  const full = sealer.seal(goldenPlaintext, () => ++seq, 'full')

  it('the key announcement (seq 42, full form, metadata payload) equals the fixed hex', () => {
    expect(first.announcement!.seq).toBe(42)
    expect(toHex(first.announcement!.bytes)).toBe(GOLDEN.announcement)
  })

  it('the compact message (seq 43) equals the fixed hex', () => {
    expect(first.message.seq).toBe(43)
    expect(toHex(first.message.bytes)).toBe(GOLDEN.compact)
  })

  it('the full message (seq 44) equals the fixed hex', () => {
    expect(full.message.seq).toBe(44)
    expect(toHex(full.message.bytes)).toBe(GOLDEN.full)
  })

  it('the golden messages open to the plaintext and metadata', async () => {
    const opener = new Opener({ unwrap: createLocalUnwrap(fixedPrivateKey) })
    const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'))
    const ann = await opener.openAnnouncement(hex(GOLDEN.announcement), goldenDeviceId)
    expect(ann.metadata).toEqual({
      deviceId: 'gw-0042',
      firstSeq: 42,
      bootCount: 3,
      agentVersion: '0.1.0',
    })
    const c = await opener.openCompact(hex(GOLDEN.compact), goldenDeviceId)
    expect(Buffer.from(c.plaintext).toString()).toBe('{"t":21.5,"rh":40}')
    const f = await opener.open(hex(GOLDEN.full), goldenDeviceId)
    expect([f.seq, Buffer.from(f.plaintext).toString()]).toEqual([44, '{"t":21.5,"rh":40}'])
    expect(opener.unwraps).toBe(1)
  })
})
