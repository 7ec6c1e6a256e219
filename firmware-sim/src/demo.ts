/**
 * The local demo behind `npm start` until the simulated fleet exists: one in-memory RSA-2048 key
 * pair stands in for KMS; 1,000 telemetry readings are sealed in each form, opened, and counted.
 *
 * @example
 * ```sh
 * npm start
 * ```
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import {
  createKeyWrapper,
  createLocalUnwrap,
  encodeCbor,
  EnvelopeError,
  Opener,
  parseRecipientKey,
  Sealer,
  toHex,
} from '../../envelope/src/index.ts'
import type { Form, Sealed } from '../../envelope/src/index.ts'

const READINGS = 1_000
const DEVICE_ID = 'demo-gw-0001'

/** One telemetry reading as CBOR: {ts, temperature, humidity, pressure, battery, samples}. */
function reading(i: number): Uint8Array {
  const samples = Array.from({ length: 24 }, (_, k) =>
    Math.round(2150 + 40 * Math.sin((i + k) / 5)),
  )
  return encodeCbor(
    new Map<string, unknown>([
      ['i', i],
      ['ts', 1_795_000_000 + i * 10],
      ['t_c10', 215 + (i % 17)],
      ['rh', 40 + (i % 23)],
      ['hpa', 1013 - (i % 9)],
      ['batt', 3700 - i],
      ['raw', samples],
    ]),
  )
}

interface Tally {
  form: Form
  sealed: number
  opened: number
  plainBytes: number
  sealedBytes: number
  announcements: number
}

async function run(form: Form, sealer: Sealer, opener: Opener, next: () => number): Promise<Tally> {
  const t: Tally = { form, sealed: 0, opened: 0, plainBytes: 0, sealedBytes: 0, announcements: 0 }
  const queue: { ann?: Sealed; msg: Sealed; plain: Uint8Array }[] = []
  for (let i = 0; i < READINGS; i++) {
    const plain = reading(i)
    const { announcement, message } = sealer.seal(plain, next, form)
    queue.push({ ann: announcement, msg: message, plain })
    t.sealed++
    t.plainBytes += plain.length
    t.sealedBytes += message.bytes.length
  }
  for (const { ann, msg, plain } of queue) {
    if (ann) {
      await opener.openAnnouncement(ann.bytes, DEVICE_ID)
      t.announcements++
    }
    const opened = await opener.open(msg.bytes, DEVICE_ID)
    if (toHex(opened.plaintext) === toHex(plain)) t.opened++
  }
  return t
}

async function main(): Promise<void> {
  const started = performance.now()
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const key = parseRecipientKey(publicKey.export({ format: 'der', type: 'spki' }))
  console.log(`sealwire demo: an in-memory RSA-2048 key stands in for AWS KMS`)
  console.log(`  key pin (SHA-256 of the SPKI): ${toHex(key.pin)}`)
  let seq = 0
  const next = () => ++seq
  const sealer = new Sealer({
    wrapper: createKeyWrapper(key),
    deviceId: DEVICE_ID,
    random: (n) => Uint8Array.from(randomBytes(n)),
    limits: { maxMessages: 500 },
    agentVersion: '0.1.0',
  })
  const opener = new Opener({ unwrap: createLocalUnwrap(privateKey), pinIds: [key.pinId] })

  const rows = [await run('compact', sealer, opener, next), await run('full', sealer, opener, next)]
  console.log('')
  console.log('form     sealed  opened  avg plaintext B  avg message B  overhead B/msg')
  for (const r of rows) {
    const avgPlain = r.plainBytes / r.sealed
    const avgSealed = r.sealedBytes / r.sealed
    console.log(
      `${r.form.padEnd(8)} ${String(r.sealed).padStart(6)}  ${String(r.opened).padStart(6)}  ` +
        `${avgPlain.toFixed(1).padStart(15)}  ${avgSealed.toFixed(1).padStart(13)}  ` +
        `${(avgSealed - avgPlain).toFixed(1).padStart(14)}`,
    )
  }
  const announcements = rows.reduce((a, r) => a + r.announcements, 0)
  console.log('')
  console.log(
    `epochs: ${sealer.stats.epochs} (max 500 messages each), key announcements: ${announcements}, ` +
      `key unwraps (KMS Decrypt calls in the cloud): ${opener.unwraps}`,
  )

  const last = sealer.seal(reading(0), next)
  const tampered = Uint8Array.from(last.message.bytes)
  tampered[tampered.length - 1]! ^= 1
  try {
    await opener.open(tampered, DEVICE_ID)
    console.log('tamper check: FAILED (a modified message opened)')
    process.exitCode = 1
  } catch (err) {
    const code = err instanceof EnvelopeError ? err.code : 'untyped'
    console.log(`tamper check: a message with one flipped bit is refused (${code})`)
  }
  const ok = rows.every((r) => r.opened === READINGS)
  console.log(
    `${ok ? 'ok' : 'FAILED'}: ${rows.reduce((a, r) => a + r.opened, 0)} of ${2 * READINGS} readings opened in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  )
  if (!ok) process.exitCode = 1
}

await main()
