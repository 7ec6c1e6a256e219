/**
 * When the outbox fails: a failed read ends the connection's session with ERR_TRANSPORT_SOURCE
 * and the publisher reconnects (with backoff) and reads again; a failed ack leaves the messages
 * queued, to be sent again on the next connection (a duplicate, never a loss). Also the state
 * events of one connection's life.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  MemoryOutboxSource,
  MqttPublisher,
  loadBrokerSettings,
} from '../../../agent/src/transport/index.ts'
import type { ConnectionState, TransportErrorInfo } from '../../../agent/src/transport/index.ts'
import { DEVICE, announcementOf, dataOf, idOf, until, uniquePrefix } from './_fixtures.ts'
import { StubBroker } from './_stub_broker.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** A memory source whose next `failPeeks` reads and `failAcks` acks throw. */
class FlakySource extends MemoryOutboxSource {
  failPeeks = 0
  failAcks = 0
  override async peek(afterSeq: number, limit: number) {
    if (this.failPeeks > 0) {
      this.failPeeks--
      throw new Error('disk I/O error')
    }
    return super.peek(afterSeq, limit)
  }
  override async ack(seqs: readonly number[]) {
    if (this.failAcks > 0) {
      this.failAcks--
      throw new Error('database is locked')
    }
    return super.ack(seqs)
  }
}

async function setup(source: MemoryOutboxSource) {
  const stub = await StubBroker.start('ack')
  cleanups.push(() => stub.close())
  const settings = await loadBrokerSettings({ url: stub.url, clientId: DEVICE })
  const publisher = new MqttPublisher(source, settings, {
    windowSize: 8,
    backoff: { initialMs: 5, maxMs: 10, stableMs: 60_000 },
  })
  const errors: TransportErrorInfo[] = []
  const states: ConnectionState[] = []
  publisher.on('error', (e) => errors.push(e))
  publisher.on('state', (e) => states.push(e.state))
  cleanups.push(() => publisher.stop({ drainMs: 0 }))
  return { stub, publisher, errors, states }
}

describe('outbox failures', () => {
  it('reconnects and reads again after a failed read', async () => {
    const prefix = uniquePrefix()
    const source = new FlakySource()
    source.append(announcementOf(prefix, 1))
    for (let i = 0; i < 20; i++) source.append(dataOf(prefix, 1, i))
    source.failPeeks = 1
    const { stub, publisher, errors } = await setup(source)
    publisher.start()
    await until(() => source.size === 0, 'an empty outbox')
    expect(errors[0]).toMatchObject({ code: 'ERR_TRANSPORT_SOURCE' })
    expect(errors[0]!.message).toMatch(/outbox read failed: disk I\/O error/)
    expect(stub.connections).toBe(2)
    expect(new Set(stub.publishes.map((p) => idOf(p.payload))).size).toBe(21)
  })

  it('keeps messages whose ack failed, and sends them again on the next connection', async () => {
    const prefix = uniquePrefix()
    const source = new FlakySource()
    source.failAcks = 1
    const { stub, publisher, errors } = await setup(source)
    publisher.start()
    await until(() => publisher.stats().state === 'connected', 'connected')
    source.append(announcementOf(prefix, 1))
    await until(() => errors.length === 1, 'the failed ack')
    expect(errors[0]).toMatchObject({ code: 'ERR_TRANSPORT_SOURCE' })
    expect(errors[0]!.message).toMatch(/outbox ack failed: database is locked/)
    for (let i = 0; i < 5; i++) source.append(dataOf(prefix, 1, i))
    await until(() => source.size === 1, 'the five acknowledged')
    stub.dropAll()
    await until(() => source.size === 0, 'the announcement acknowledged on the new connection')
    expect(stub.publishes.filter((p) => p.retain)).toHaveLength(2)
  })
})

describe('state events', () => {
  it('goes idle → connecting → connected → stopping → stopped', async () => {
    const { publisher, states } = await setup(new MemoryOutboxSource())
    expect(publisher.stats().state).toBe('idle')
    publisher.start()
    await until(() => publisher.stats().state === 'connected', 'connected')
    await publisher.stop()
    expect(states).toEqual(['connecting', 'connected', 'stopping', 'stopped'])
    expect(() => publisher.start()).toThrow(/already started or stopped/)
  })

  it('stop() before start() just marks it stopped', async () => {
    const { publisher, states } = await setup(new MemoryOutboxSource())
    await publisher.stop()
    expect(states).toEqual(['stopped'])
  })
})
