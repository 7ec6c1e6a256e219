/**
 * sealwire itself, through the envelope's public API only: seal in compact and full form in the
 * steady state of one epoch (the RSA wrap happened once, before timing), and open a compact
 * message with the epoch key cached (the announcement was opened before timing).
 *
 * @example
 * ```ts
 * const { step, overheadBytes } = await sealwireCompact.prepare(payload, ctx)
 * ```
 */
import { randomBytes } from 'node:crypto'
import type { Form } from '../../envelope/src/index.ts'
import {
  Opener,
  Sealer,
  createKeyWrapper,
  createLocalUnwrap,
  parseRecipientKey,
} from '../../envelope/src/index.ts'
import type { BenchContext, Candidate, Prepared } from './bench_context.ts'
import { assertSameBytes, openPoolSize } from './bench_context.ts'

const DEVICE_ID = 'bench-device'
/** Sequence number of the message whose size is reported: a realistic one (2-byte Partial IV). */
const REPORTED_SEQ = 1000

function newSealer(ctx: BenchContext): Sealer {
  return new Sealer({
    wrapper: createKeyWrapper(parseRecipientKey(ctx.spkiDer)),
    deviceId: DEVICE_ID,
    random: (n) => randomBytes(n),
    // Steady state: the epoch never closes during the run.
    limits: { maxMessages: 2 ** 32, maxAgeMs: 1e12, maxBytes: 1e15 },
  })
}

/**
 * Starts an epoch (announcement at `REPORTED_SEQ - 1`, first message at `REPORTED_SEQ`), checks
 * that both open, and returns the sealer, the sequence function and the first message's overhead.
 */
async function startEpoch(payload: Uint8Array, ctx: BenchContext, form: Form) {
  const sealer = newSealer(ctx)
  let seq = REPORTED_SEQ - 2
  const nextSeq = () => ++seq
  const { announcement, message } = sealer.seal(payload, nextSeq, form)
  if (!announcement || message.seq !== REPORTED_SEQ) throw new Error('sealwire: no new epoch')
  const opener = new Opener({ unwrap: createLocalUnwrap(ctx.privateKey) })
  await opener.openAnnouncement(announcement.bytes, DEVICE_ID)
  const opened = await opener.open(message.bytes, DEVICE_ID)
  assertSameBytes(opened.plaintext, payload, `sealwire ${form}`)
  return { sealer, nextSeq, overheadBytes: message.bytes.length - payload.length }
}

function sealCandidate(form: Form): Candidate {
  return {
    id: `sealwire-${form}`,
    label: `sealwire seal, ${form}`,
    op: 'seal',
    baseline: false,
    async prepare(payload, ctx): Promise<Prepared> {
      const { sealer, nextSeq, overheadBytes } = await startEpoch(payload, ctx, form)
      const run =
        form === 'compact'
          ? () => sealer.seal(payload, nextSeq).message.bytes.length
          : () => sealer.seal(payload, nextSeq, 'full').message.bytes.length
      return { step: { kind: 'sync', run }, overheadBytes }
    },
  }
}

/** sealwire seal, compact form (COSE_Encrypt0), inside one epoch. */
export const sealwireCompact: Candidate = sealCandidate('compact')

/** sealwire seal, full form (COSE_Encrypt with the wrapped CEK), inside one epoch. */
export const sealwireFull: Candidate = sealCandidate('full')

/** sealwire open of compact messages, epoch key cached (no unwrap while timed). */
export const sealwireOpen: Candidate = {
  id: 'sealwire-open',
  label: 'sealwire open, compact (cached epoch key)',
  op: 'open',
  baseline: false,
  async prepare(payload, ctx): Promise<Prepared> {
    const sealer = newSealer(ctx)
    let seq = REPORTED_SEQ - 2
    const nextSeq = () => ++seq
    const first = sealer.seal(payload, nextSeq)
    const opener = new Opener({ unwrap: createLocalUnwrap(ctx.privateKey) })
    await opener.openAnnouncement(first.announcement!.bytes, DEVICE_ID)
    const poolSize = openPoolSize(payload.length)
    const pool = [first.message.bytes]
    while (pool.length < poolSize) pool.push(sealer.seal(payload, nextSeq).message.bytes)
    for (const bytes of [pool[0]!, pool[poolSize - 1]!]) {
      const opened = await opener.openCompact(bytes, DEVICE_ID)
      assertSameBytes(opened.plaintext, payload, 'sealwire open')
    }
    let i = 0
    // openCompact is asynchronous (the epoch-key store is), so this is an awaited step.
    const run = async () => {
      const bytes = pool[i]!
      i = (i + 1) % poolSize
      return (await opener.openCompact(bytes, DEVICE_ID)).plaintext.length
    }
    return { step: { kind: 'async', run }, overheadBytes: pool[0]!.length - payload.length }
  },
}
