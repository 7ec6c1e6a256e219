/**
 * The process that crash.test.ts kills with SIGKILL. Run as a script with
 * `SEALWIRE_CRASH_STATE=<dir>`, it opens the store (small K, so reservations happen often), queues
 * its epoch's announcement, then loops forever: bursts of concurrent enqueue calls, each item's
 * number taken from the allocator, and a few acks. It prints one line per event, on stdout, which
 * on Linux is written synchronously to a pipe:
 *
 * - `N <seq>`: `next()` handed out `seq`;
 * - `D <seq>`: the enqueue call holding `seq` resolved (so it is durable);
 * - `a <seq>`: an ack of `seq` was requested; `A <seq>`: that ack resolved.
 *
 * Imported (not run) by the test for {@link CRASH_CHILD} and {@link parseCrashLog}.
 */
import { fileURLToPath } from 'node:url'
import { openAgentStore } from '../../../agent/src/store/index.ts'
import type { OutboxItem } from '../../../agent/src/store/index.ts'
import { announcement, data } from './_items.ts'

/** This script's path. */
export const CRASH_CHILD = fileURLToPath(import.meta.url)

/** The sequence numbers of each kind of event in a child's output. */
export interface CrashLog {
  readonly handed: number[]
  readonly durable: number[]
  readonly ackRequested: number[]
  readonly acked: number[]
}

/** Parses a child's stdout (a last partial line is ignored). */
export function parseCrashLog(text: string): CrashLog {
  const log: CrashLog = { handed: [], durable: [], ackRequested: [], acked: [] }
  const lines = text.split('\n')
  lines.pop()
  for (const line of lines) {
    const [tag, value] = line.split(' ')
    const seq = Number(value)
    if (tag === 'N') log.handed.push(seq)
    else if (tag === 'D') log.durable.push(seq)
    else if (tag === 'a') log.ackRequested.push(seq)
    else if (tag === 'A') log.acked.push(seq)
  }
  return log
}

async function main(stateDir: string): Promise<void> {
  const out = (tag: string, seq: number): void => void process.stdout.write(`${tag} ${seq}\n`)
  const store = await openAgentStore({
    stateDir,
    sequence: { reserveAhead: 13 },
    outbox: { maxDelayMs: 1, maxBatch: 64 },
  })
  const next = (): number => {
    const seq = store.sequence.next()
    out('N', seq)
    return seq
  }
  const epochN = store.sequence.bootCount
  const first = next()
  await store.outbox.enqueue([announcement(first, epochN)])
  out('D', first)
  for (let round = 0; ; round++) {
    const calls: Promise<void>[] = []
    for (let i = 0; i < 20; i++) {
      const items: OutboxItem[] = []
      for (let j = 0; j <= (i + round) % 3; j++) items.push(data(next(), epochN, 64))
      calls.push(
        store.outbox.enqueue(items).then(() => {
          for (const item of items) out('D', item.seq)
        }),
      )
    }
    const acks = store.outbox
      .peek(-1, 8)
      .filter((r) => r.kind === 'data')
      .slice(0, 3)
      .map((r) => r.seq)
    for (const seq of acks) out('a', seq)
    calls.push(store.outbox.ack(acks).then(() => acks.forEach((seq) => out('A', seq))))
    await Promise.all(calls)
  }
}

const stateDir = process.env.SEALWIRE_CRASH_STATE
if (stateDir !== undefined && stateDir !== '') {
  main(stateDir).catch((err: unknown) => {
    process.stderr.write(`crash child: ${String(err)}\n`)
    process.exit(1)
  })
}
