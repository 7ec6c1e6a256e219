/**
 * Outbox items for the store tests: fake sealed messages (the right head, any body) and epoch ids.
 * Kept apart from the fixture so the crash child process loads nothing else.
 */
import type { OutboxItem } from '../../../agent/src/store/index.ts'

/** True when the tests run on Bun. */
export const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined'

const COMPACT_HEAD = [0xd0, 0x83, 0x43, 0xa1, 0x01, 0x03]
const FULL_HEAD = [0xd8, 0x60, 0x84, 0x43, 0xa1, 0x01, 0x03]

/** Bytes of `size` (≥ 8) that start like a sealed message of the given form; the rest is `fill`. */
export function sealedBytes(form: 'compact' | 'full', size: number, fill = 0x5a): Uint8Array {
  const head = form === 'compact' ? COMPACT_HEAD : FULL_HEAD
  const bytes = new Uint8Array(size).fill(fill)
  bytes.set(head)
  return bytes
}

/** The 8-byte epoch id number `n`. */
export function epoch(n: number): Uint8Array {
  const id = new Uint8Array(8)
  new DataView(id.buffer).setUint32(4, n)
  return id
}

/** The hex of {@link epoch}(n). */
export function epochHex(n: number): string {
  return Buffer.from(epoch(n)).toString('hex')
}

/** A data item of `size` bytes. */
export function data(seq: number, epochN = 1, size = 100): OutboxItem {
  return {
    seq,
    epochId: epoch(epochN),
    kind: 'data',
    topic: 'sealwire/dev-1/data',
    bytes: sealedBytes('compact', size, seq & 0xff),
  }
}

/** An announcement item of `size` bytes. */
export function announcement(seq: number, epochN = 1, size = 300): OutboxItem {
  return {
    seq,
    epochId: epoch(epochN),
    kind: 'announcement',
    topic: 'sealwire/dev-1/key',
    bytes: sealedBytes('full', size, seq & 0xff),
  }
}
