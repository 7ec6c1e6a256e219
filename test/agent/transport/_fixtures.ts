/**
 * Test fixtures of the transport: queued messages with recognisable payloads, a poll-until
 * helper, and a probe for the Mosquitto of the machine (127.0.0.1:1883).
 */
import { randomBytes } from 'node:crypto'
import { connect } from 'node:net'
import type { NewQueuedMessage } from '../../../agent/src/transport/index.ts'

export const DEVICE = 'dev-1'

/** A fresh prefix, so runs against a shared broker never meet. */
export function uniquePrefix(): string {
  return `sealwire-test/${randomBytes(6).toString('hex')}`
}

export function topicsOf(prefix: string, device = DEVICE): { data: string; key: string } {
  return { data: `${prefix}/${device}/data`, key: `${prefix}/${device}/key` }
}

export function epochId(n: number): Uint8Array {
  const id = new Uint8Array(8)
  new DataView(id.buffer).setUint32(4, n)
  return id
}

/** A payload that names its message: `m:<n>` padded to `size` bytes. */
function payloadOf(n: number, size = 300): Uint8Array {
  const p = new Uint8Array(size).fill(0x2e)
  p.set(Buffer.from(`m:${n}:`))
  return p
}

/** The `n` in a payload made by {@link payloadOf}, or undefined. */
export function idOf(payload: Uint8Array): number | undefined {
  const m = /^m:(\d+):/.exec(Buffer.from(payload).subarray(0, 24).toString('latin1'))
  return m === null ? undefined : Number(m[1])
}

export function announcementOf(prefix: string, epoch: number): NewQueuedMessage {
  return {
    kind: 'announcement',
    topic: topicsOf(prefix).key,
    epochId: epochId(epoch),
    payload: Buffer.from(`announcement of epoch ${epoch}`),
  }
}

export function dataOf(prefix: string, epoch: number, n: number, size = 300): NewQueuedMessage {
  return {
    kind: 'data',
    topic: topicsOf(prefix).data,
    epochId: epochId(epoch),
    payload: payloadOf(n, size),
  }
}

/** Polls `condition` every few ms until true; throws after `timeoutMs` with `what`. */
export async function until(
  condition: () => boolean,
  what: string | (() => string),
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    }
    await new Promise((r) => setTimeout(r, 5))
  }
}

/** Lets pending I/O and promise callbacks run. */
export function settle(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** True when something accepts TCP on 127.0.0.1:1883 within `timeoutMs`. */
export function mosquittoAnswers(timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port: 1883 })
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      s.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}
