/**
 * OrderedAcks over a stand-in for mqtt.js's private `_sendPacket`: a PUBACK goes out only once
 * its message and every message received before it on the connection are done; mqtt.js's
 * completion callback runs at once (it reads on); a new connection drops what was held; other
 * packets pass through untouched.
 */
import { describe, expect, it } from 'vitest'
import { OrderedAcks } from '../../../consumer/src/transport/_ordered_acks.ts'

function fakeClient() {
  const sent: { cmd: string; messageId?: number }[] = []
  const client = {
    _sendPacket(packet: { cmd: string; messageId?: number }, cb?: () => void): void {
      sent.push(packet)
      cb?.()
    },
  }
  return { client, sent }
}

describe('OrderedAcks', () => {
  it('sends PUBACKs in receipt order, each once its message and all before it are done', () => {
    const { client, sent } = fakeClient()
    const acks = new OrderedAcks(client)
    const entries = [1, 2, 3].map((id) => acks.received(id))
    const completions: number[] = []
    for (const id of [1, 2, 3])
      client._sendPacket({ cmd: 'puback', messageId: id }, () => completions.push(id))
    expect(completions).toEqual([1, 2, 3]) // mqtt.js reads on at once
    expect(sent).toEqual([])
    acks.done(entries[1]!)
    acks.done(entries[2]!)
    expect(sent).toEqual([])
    acks.done(entries[0]!)
    expect(sent.map((p) => p.messageId)).toEqual([1, 2, 3])
    expect(acks.pending).toBe(0)
  })

  it('waits for mqtt.js to write the PUBACK when the message is done first', () => {
    const { client, sent } = fakeClient()
    const acks = new OrderedAcks(client)
    const e = acks.received(7)
    acks.done(e)
    expect(sent).toEqual([])
    client._sendPacket({ cmd: 'puback', messageId: 7 })
    expect(sent).toEqual([{ cmd: 'puback', messageId: 7 }])
  })

  it('drops what was held for a connection that closed, and passes other packets through', () => {
    const { client, sent } = fakeClient()
    const acks = new OrderedAcks(client)
    const old = acks.received(1)
    client._sendPacket({ cmd: 'puback', messageId: 1 })
    acks.reset()
    acks.done(old)
    expect(sent).toEqual([])
    client._sendPacket({ cmd: 'subscribe', messageId: 1 })
    client._sendPacket({ cmd: 'puback', messageId: 99 }) // not registered: not ours to hold
    expect(sent.map((p) => p.cmd)).toEqual(['subscribe', 'puback'])
  })

  it('says when a client lacks the hook', () => {
    expect(OrderedAcks.supported({})).toBe(false)
    expect(() => new OrderedAcks({})).toThrow(TypeError)
  })
})
