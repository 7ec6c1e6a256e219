/**
 * The one device-id rule, the topic layout and its AWS IoT Core limits, and pin helpers.
 */
import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { deriveEpochKeys, selectAead } from '../../envelope/src/index.ts'
import {
  assertPin,
  deviceIdFromTopic,
  deviceIdProblem,
  isDeviceId,
  isPinHex,
  MAX_TOPIC_BYTES,
  MAX_TOPIC_PREFIX_LENGTH,
  MAX_TOPIC_SLASHES,
  parseExpectedPin,
  topicFiltersFor,
  topicPrefixProblem,
  topicsFor,
} from '../../device-bundle/src/index.ts'
import { caught } from '../helpers/index.ts'

describe('the device-id rule', () => {
  it('accepts 1 to 128 characters of A-Z a-z 0-9 . _ -, not beginning with - or .', () => {
    for (const id of ['a', 'dev-0001', 'Dev.2_B', '0', '_x', 'a-', 'a.', 'x'.repeat(128)]) {
      expect(deviceIdProblem(id), id).toBeUndefined()
      expect(isDeviceId(id)).toBe(true)
    }
  })

  const refused: Array<[string, unknown, RegExp]> = [
    ['empty', '', /may contain only/],
    ['129 characters', 'a'.repeat(129), /1 to 128 characters/],
    ['a slash', 'a/b', /may contain only/],
    ['a space', ' a', /may contain only/],
    ['non-ASCII', 'dév', /may contain only/],
    ['a control character', 'a\u0007', /may contain only/],
    ['an MQTT wildcard', 'a+', /may contain only/],
    ['"."', '.', /cannot be "\." or "\.\."/],
    ['".."', '..', /cannot be "\." or "\.\."/],
    ['a leading "-"', '-rf', /cannot begin with "-" or "\."/],
    ['a leading "."', '.hidden', /cannot begin with "-" or "\."/],
    ['not a string', 42, /may contain only/],
  ]
  for (const [name, id, message] of refused) {
    it(`refuses ${name}`, () => {
      expect(deviceIdProblem(id)).toMatch(message)
      expect(isDeviceId(id)).toBe(false)
    })
  }

  it('every id it accepts passes the envelope device-id check (property)', () => {
    const aead = selectAead()
    const cek = randomBytes(32)
    const wrapped = randomBytes(256)
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/), (id) => {
        expect(isDeviceId(id)).toBe(true)
        expect(deriveEpochKeys(cek, wrapped, id, aead).deviceId).toBe(id)
      }),
      { numRuns: 200 },
    )
  })
})

describe('topic layout', () => {
  it('puts data and key topics under the prefix and the device id', () => {
    expect(topicsFor('sealwire', 'dev-1')).toEqual({
      data: 'sealwire/dev-1/data',
      key: 'sealwire/dev-1/key',
    })
    expect(topicFiltersFor('acme/line7')).toEqual({
      data: 'acme/line7/+/data',
      key: 'acme/line7/+/key',
    })
  })

  it('the longest prefix with the longest id is exactly AWS IoT Core limits', () => {
    const prefix = [...Array<string>(5).fill('p'.repeat(20)), 'p'.repeat(17)].join('/')
    expect(prefix.length).toBe(MAX_TOPIC_PREFIX_LENGTH)
    expect(topicPrefixProblem(prefix)).toBeUndefined()
    const { data, key } = topicsFor(prefix, 'd'.repeat(128))
    expect(Buffer.byteLength(data)).toBe(MAX_TOPIC_BYTES)
    expect(Buffer.byteLength(key)).toBeLessThan(MAX_TOPIC_BYTES)
    expect(data.split('/').length - 1).toBe(MAX_TOPIC_SLASHES)
  })

  const badPrefixes: Array<[string, string, RegExp]> = [
    ['a wildcard', 'a/#', /must be topic levels/],
    ['a single-level wildcard', 'a/+/b', /must be topic levels/],
    ['a leading $', '$aws/things', /must be topic levels/],
    ['an empty level', 'a//b', /must be topic levels/],
    ['a trailing slash', 'a/', /must be topic levels/],
    ['123 bytes', 'p'.repeat(123), /is 123 bytes; at most 122.*256 bytes/],
    ['7 levels', 'a/b/c/d/e/f/g', /has 7 levels; at most 6.*7 slashes/],
  ]
  for (const [name, prefix, message] of badPrefixes) {
    it(`refuses a prefix with ${name}`, async () => {
      expect(topicPrefixProblem(prefix)).toMatch(message)
      expect(await caught(() => topicsFor(prefix, 'dev-1'))).toBeInstanceOf(RangeError)
    })
  }

  it('reads the device id back from a topic of the layout, and nothing else', () => {
    expect(deviceIdFromTopic('sealwire/dev-1/data', 'sealwire')).toEqual({
      deviceId: 'dev-1',
      kind: 'data',
    })
    expect(deviceIdFromTopic('a/b/gw.2/key', 'a/b')).toEqual({ deviceId: 'gw.2', kind: 'key' })
    for (const topic of [
      'sealwire/dev-1/status',
      'sealwire/a/b/data',
      'other/dev-1/data',
      'sealwire/-x/data',
      'sealwire/data',
      'sealwiree/dev-1/data',
    ]) {
      expect(deviceIdFromTopic(topic, 'sealwire'), topic).toBeUndefined()
    }
  })
})

describe('pins', () => {
  const pin = 'ab'.repeat(32)

  it('parses an operator pin in any case, with colons', () => {
    expect(parseExpectedPin(pin.toUpperCase().match(/../g)!.join(':'))).toBe(pin)
    expect(isPinHex(pin)).toBe(true)
    expect(isPinHex(pin.toUpperCase())).toBe(false)
  })

  it('refuses a malformed pin with ERR_USAGE naming the flag', async () => {
    expect(await caught(() => parseExpectedPin('abc', '--pin'))).toMatchObject({
      code: 'ERR_USAGE',
      message: '--pin needs the SHA-256 of the SPKI: 64 hex digits',
    })
  })

  it('assertPin throws ERR_KEY_PIN_MISMATCH naming both pins', async () => {
    expect(() => assertPin(pin, pin, 'x')).not.toThrow()
    expect(await caught(() => assertPin(pin, 'cd'.repeat(32), 'the key'))).toMatchObject({
      code: 'ERR_KEY_PIN_MISMATCH',
      message: `the key has pin sha256:${pin}, expected sha256:${'cd'.repeat(32)}`,
    })
  })
})
