/**
 * The wire tap on an in-process aedes broker (port 0): it records every message of a prefix's
 * data and key topics with the epoch id and sequence number read from the header, without a key.
 * First with messages sealed here by a Sealer (exact expectations), then with the real agent
 * (`sealwire-agent run` on Bun) publishing through a flaky link that is cut mid-run.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import mqtt from 'mqtt'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import {
  createKeyWrapper,
  createLocalUnwrap,
  decodeRecords,
  epochIdOf,
  Opener,
  parseEnvelope,
  parseRecipientKey,
  Sealer,
  toHex,
} from '../../envelope/src/index.ts'
import { startFlakyLink } from '../../firmware-sim/src/link/index.ts'
import {
  describeWireMessage,
  verifyFleet,
  VerifyError,
  WireTap,
} from '../../firmware-sim/src/verify/index.ts'
import type {
  ConfirmedReading,
  DeliveredRecord,
  WireMessage,
} from '../../firmware-sim/src/verify/index.ts'
import { AedesHarness } from '../agent/transport/_aedes.ts'
import { makeDevice } from '../agent/_device.ts'
import { startAgent } from '../consumer/_agent.ts'
import { mosquittoBinary, OwnMosquitto } from '../agent/chaos/_mosquitto.ts'
import { cleanupTempDirs, skipWithout, tempDir } from '../helpers/index.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(cleanupTempDirs)

const prefix = (): string => `tap-${randomUUID().slice(0, 8)}`
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function broker(): Promise<AedesHarness> {
  const b = new AedesHarness()
  await b.start()
  cleanups.push(() => b.close())
  return b
}

async function publisher(url: string): Promise<mqtt.MqttClient> {
  const c = await mqtt.connectAsync(url, {
    protocolVersion: 4,
    clientId: `pub-${randomUUID().slice(0, 8)}`,
  })
  cleanups.push(() => c.endAsync(true))
  return c
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

function sealerFor(deviceId: string): Sealer {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  return new Sealer({
    wrapper: createKeyWrapper(parseRecipientKey(spki)),
    deviceId,
    random: (n) => new Uint8Array(randomBytes(n)),
  })
}

describe('describeWireMessage', () => {
  it('reads device, kind, form, epoch id and seq without a key; a full message’s epoch id from its wrapped CEK', () => {
    const sealer = sealerFor('dev-7')
    let seq = 41
    const first = sealer.seal(new TextEncoder().encode('{}'), () => ++seq, 'full')
    const full = describeWireMessage('p/dev-7/data', first.message.bytes, { prefix: 'p', at: 5 })!
    const ann = describeWireMessage('p/dev-7/key', first.announcement!.bytes, {
      prefix: 'p',
      at: 5,
      retain: true,
    })!
    const compact = sealer.seal(new TextEncoder().encode('{}'), () => ++seq, 'compact').message
    const c = describeWireMessage('p/dev-7/data', compact.bytes, { prefix: 'p', at: 6 })!
    const epochId = toHex(first.announcement!.epochId)
    expect(ann).toEqual({
      deviceId: 'dev-7',
      topic: 'p/dev-7/key',
      kind: 'key',
      form: 'full',
      epochId,
      seq: 42,
      payloadSha256: sha(first.announcement!.bytes),
      size: first.announcement!.bytes.length,
      retain: true,
      at: 5,
    })
    expect(full).toMatchObject({ kind: 'data', form: 'full', epochId, seq: 43, retain: false })
    expect(c).toMatchObject({ kind: 'data', form: 'compact', epochId, seq: 44 })
    const parsed = parseEnvelope(first.message.bytes, {
      maxBytes: 65_536,
      maxDepth: 6,
      maxItems: 64,
      allowedTags: [16, 96],
    })
    expect(parsed.form === 'full' && toHex(epochIdOf(parsed.wrapped))).toBe(epochId)
  })

  it('records a payload that is not an envelope with its error code, and ignores topics outside the layout', () => {
    const m = describeWireMessage('p/dev-7/data', Uint8Array.of(1, 2, 3), { prefix: 'p', at: 1 })
    expect(m).toMatchObject({ deviceId: 'dev-7', kind: 'data', size: 3 })
    expect(m!.problem).toMatch(/^ERR_ENVELOPE_/)
    expect(m!.seq).toBeUndefined()
    expect(describeWireMessage('q/dev-7/data', Uint8Array.of(1), { prefix: 'p', at: 1 })).toBe(
      undefined,
    )
  })
})

describe('WireTap with sealed messages', () => {
  it('sees every message of the prefix, retained announcements flagged, and nothing of another prefix', async () => {
    const b = await broker()
    const p = prefix()
    const pub = await publisher(b.url)
    const sealer = sealerFor('dev-1')
    let seq = 0
    const out = sealer.seal(new TextEncoder().encode('a'), () => ++seq)
    // Published before the tap exists: only the retained announcement reaches it.
    await pub.publishAsync(`${p}/dev-1/key`, Buffer.from(out.announcement!.bytes), {
      qos: 1,
      retain: true,
    })
    await pub.publishAsync(`${p}/dev-1/data`, Buffer.from(out.message.bytes), { qos: 1 })
    const tap = await WireTap.start({ brokerUrl: b.url, topicPrefix: p })
    cleanups.push(() => tap.stop())
    await until(() => tap.messages.length === 1, 'the retained announcement')
    const sent: Uint8Array[] = []
    for (let i = 0; i < 20; i++) {
      const m = sealer.seal(new TextEncoder().encode(`r${i}`), () => ++seq).message
      sent.push(m.bytes)
      await pub.publishAsync(`${p}/dev-1/data`, Buffer.from(m.bytes), { qos: 1 })
    }
    await pub.publishAsync(`other-${p}/dev-1/data`, Buffer.from(sent[0]!), { qos: 1 })
    await pub.publishAsync(`${p}/dev-1/data`, Buffer.from(sent[0]!), { qos: 1 }) // a redelivery
    await until(() => tap.messages.length === 22, 'every message')
    await new Promise((r) => setTimeout(r, 50))
    await tap.stop()
    const epochId = toHex(out.announcement!.epochId)
    const ms: readonly WireMessage[] = tap.messages
    expect(ms).toHaveLength(22)
    expect(ms[0]).toMatchObject({ kind: 'key', retain: true, seq: 1, epochId, form: 'full' })
    expect(ms.slice(1, 21).map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3))
    expect(ms.slice(1).every((m) => m.kind === 'data' && m.epochId === epochId)).toBe(true)
    expect(ms.slice(1, 21).map((m) => m.payloadSha256)).toEqual(sent.map(sha))
    expect(tap.stats).toEqual({ messages: 22, disconnects: 0 })
    // No consumer here: every data message the tap saw is undelivered, which the verifier flags.
    const v = verifyFleet({
      confirmed: [],
      delivered: [],
      wire: ms,
      kms: { decryptCalls: 1 },
      deadLetters: [],
    })
    expect(v).toMatchObject({ nonceRepeats: 0, redeliveries: 1, epochs: 1, unexplainedGaps: 20 })
    expect(v.failures).toEqual(['unexplained-gaps'])
  })

  it('fails to start with ERR_WIRE_TAP when no broker answers', async () => {
    const b = await broker()
    const url = b.url
    await b.stop()
    const err = await WireTap.start({ brokerUrl: url, topicPrefix: 'p' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(VerifyError)
    expect((err as VerifyError).code).toBe('ERR_WIRE_TAP')
    expect((err as VerifyError).message).toMatch(
      new RegExp(`^wire tap: cannot subscribe at ${url}: `),
    )
  }, 15_000)
})

describe('WireTap with the real agent through a flaky link', () => {
  it('sees the epoch, contiguous sequence numbers and, after a cut, the same announcement again: no nonce repeat', async () => {
    const b = await broker()
    const p = prefix()
    const tap = await WireTap.start({ brokerUrl: b.url, topicPrefix: p })
    cleanups.push(() => tap.stop())
    const link = await startFlakyLink({ target: { host: '127.0.0.1', port: b.port } })
    cleanups.push(() => link.close())
    const dir = await tempDir('wire-tap-agent-')
    const device = await makeDevice(dir, 'dev-agent-1', p)
    const agent = await startAgent(dir, device.deviceId, `mqtt://127.0.0.1:${link.port}`, {
      SEALWIRE_BROKER_PROTOCOL_VERSION: '4',
      SEALWIRE_TRANSPORT_BACKOFF_INITIAL_MS: '50',
      SEALWIRE_TRANSPORT_BACKOFF_MAX_MS: '200',
    })
    cleanups.push(async () => void (await agent.stop()))
    const confirmed: ConfirmedReading[] = []
    const post = async (value: number): Promise<void> => {
      await agent.post([{ stream: 'n', value }])
      confirmed.push({ deviceId: device.deviceId, stream: 'n', value, confirmedAt: Date.now() })
    }
    for (let i = 0; i < 10; i++) await post(i)
    await until(
      () => tap.messages.filter((m) => m.kind === 'data').length === 10,
      'ten data messages',
    )
    link.set({ kind: 'cut' })
    for (let i = 10; i < 20; i++) await post(i)
    await until(
      () => tap.messages.filter((m) => m.kind === 'data').length >= 20,
      'twenty data messages',
      20_000,
    )
    const keys = tap.messages.filter((m) => m.kind === 'key')
    const data = tap.messages.filter((m) => m.kind === 'data')
    expect(link.stats.cuts).toBe(1)
    expect(link.stats.connections).toBeGreaterThanOrEqual(2)
    // One epoch; its announcement re-published (same bytes) on the new connection.
    expect(new Set(tap.messages.map((m) => m.epochId)).size).toBe(1)
    expect(keys.length).toBeGreaterThanOrEqual(2)
    expect(new Set(keys.map((m) => m.payloadSha256)).size).toBe(1)
    const dataSeqs = [...new Set(data.map((m) => m.seq!))].sort((x, y) => x - y)
    expect(dataSeqs).toEqual(Array.from({ length: 20 }, (_, i) => keys[0]!.seq! + 1 + i))
    // Every PUBLISH the broker routed on the prefix reached the tap, byte for byte.
    const routed = b.seen.filter((s) => s.topic.startsWith(`${p}/`)).map((s) => sha(s.payload))
    expect(tap.messages.map((m) => m.payloadSha256).sort()).toEqual(routed.sort())
    // A consumer in miniature: open what the broker routed with the device's private key,
    // once per (seq, index) as the consumer's sink does; then the verifier on the whole run.
    const opener = new Opener({ unwrap: createLocalUnwrap(device.privateKey) })
    const delivered: DeliveredRecord[] = []
    const stored = new Set<number>()
    for (const s of b.seen.filter((x) => x.topic.startsWith(`${p}/`))) {
      if (s.topic.endsWith('/key')) {
        await opener.openAnnouncement(s.payload, device.deviceId)
        continue
      }
      const o = await opener.open(s.payload, device.deviceId)
      if (stored.has(o.seq)) continue
      stored.add(o.seq)
      decodeRecords(o.plaintext).forEach((r, index) =>
        delivered.push({
          deviceId: device.deviceId,
          seq: o.seq,
          index,
          stream: r.stream,
          time: r.time,
          clock: r.clock,
          value: r.value,
          epochId: toHex(o.epochId),
          receivedAt: Date.now(),
        }),
      )
    }
    const v = verifyFleet({
      confirmed,
      delivered,
      wire: tap.messages,
      kms: { decryptCalls: 1 },
      deadLetters: [],
    })
    expect(v).toMatchObject({
      ok: true,
      confirmed: 20,
      delivered: 20,
      lost: 0,
      duplicated: 0,
      nonceRepeats: 0,
      sequenceReuses: 0,
      unexplainedGaps: 0,
      epochs: 1,
    })
    expect(v.redeliveries).toBe(tap.messages.length - 21)
    // Dropping one delivered line is caught: the reading is lost and its message undelivered.
    const w = verifyFleet({
      confirmed,
      delivered: delivered.filter((r) => r.value !== 13),
      wire: tap.messages,
      kms: { decryptCalls: 1 },
      deadLetters: [],
    })
    expect(w.failures).toEqual(['lost', 'unexplained-gaps'])
    expect([w.lost, w.unexplainedGaps]).toEqual([1, 1])
  }, 60_000)
})

const mosquitto = mosquittoBinary()

describe.skipIf(skipWithout(mosquitto !== undefined, 'mosquitto'))(
  'WireTap on Mosquitto (MQTT 5)',
  () => {
    it('sees every message while a shared subscription of one member takes them too', async () => {
      const own = new OwnMosquitto(mosquitto!, await tempDir('wire-tap-mosquitto-'))
      await own.start()
      cleanups.push(() => own.kill9())
      const p = prefix()
      const tap = await WireTap.start({ brokerUrl: own.url, topicPrefix: p, protocolVersion: 5 })
      cleanups.push(() => tap.stop())
      const shared = await mqtt.connectAsync(own.url, {
        protocolVersion: 5,
        clientId: `shared-${randomUUID().slice(0, 8)}`,
      })
      cleanups.push(() => shared.endAsync(true))
      let sharedGot = 0
      shared.on('message', () => sharedGot++)
      await shared.subscribeAsync(`$share/g/${p}/+/data`, { qos: 1 })
      const pub = await mqtt.connectAsync(own.url, {
        protocolVersion: 5,
        clientId: `pub-${randomUUID().slice(0, 8)}`,
      })
      cleanups.push(() => pub.endAsync(true))
      const sealer = sealerFor('dev-m')
      let seq = 100
      for (let i = 0; i < 50; i++) {
        const out = sealer.seal(new TextEncoder().encode(`${i}`), () => ++seq)
        if (out.announcement) {
          await pub.publishAsync(`${p}/dev-m/key`, Buffer.from(out.announcement.bytes), {
            qos: 1,
            retain: true,
          })
        }
        await pub.publishAsync(`${p}/dev-m/data`, Buffer.from(out.message.bytes), { qos: 1 })
      }
      await until(() => tap.messages.length === 51 && sharedGot === 50, 'all messages at both')
      expect(tap.messages.map((m) => m.seq)).toEqual(Array.from({ length: 51 }, (_, i) => 101 + i))
      expect(tap.messages[0]).toMatchObject({ kind: 'key', form: 'full', retain: false })
    }, 30_000)
  },
)
