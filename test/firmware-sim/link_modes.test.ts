/**
 * The flaky link's modes over real sockets: a client → link → echo server, so every byte crosses
 * the link twice (up, then down).
 */
import { connect, createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { checkLinkMode, startFlakyLink } from '../../firmware-sim/src/link/index.ts'
import type { FlakyLink } from '../../firmware-sim/src/link/index.ts'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

/** An echo server on a free port, counting its connections. */
async function echoServer(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    accepted++
    sockets.add(s)
    s.on('error', () => {})
    s.on('close', () => sockets.delete(s))
    s.pipe(s)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return { server, port: (server.address() as AddressInfo).port, accepted: () => accepted }
}

async function setup(): Promise<{ link: FlakyLink; echo: Awaited<ReturnType<typeof echoServer>> }> {
  const echo = await echoServer()
  const link = await startFlakyLink({ target: { host: '127.0.0.1', port: echo.port } })
  cleanups.push(() => link.close())
  return { link, echo }
}

/** A client of the link that collects what comes back and how it ended. */
interface Client {
  readonly socket: Socket
  received(): Buffer
  readonly closed: Promise<{ error: string | undefined }>
}

async function client(port: number): Promise<Client> {
  const socket = connect({ host: '127.0.0.1', port })
  const chunks: Buffer[] = []
  let error: string | undefined
  socket.on('data', (c: Buffer) => chunks.push(c))
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message))
  const closed = new Promise<{ error: string | undefined }>((resolve) =>
    socket.on('close', () => resolve({ error })),
  )
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  cleanups.push(async () => {
    socket.destroy()
  })
  return { socket, received: () => Buffer.concat(chunks), closed }
}

async function until(cond: () => boolean, what: string, ms = 3_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('flaky link: pass', () => {
  it('forwards every byte both ways, in order, and counts them', async () => {
    const { link, echo } = await setup()
    const c = await client(link.port)
    const data = Buffer.alloc(200_000)
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff
    c.socket.write(data)
    await until(() => c.received().length === data.length, 'the echo')
    expect(c.received().equals(data)).toBe(true)
    expect(link.stats).toMatchObject({ connections: 1, cuts: 0, refused: 0 })
    expect(link.stats.bytesUp).toBe(200_000)
    expect(link.stats.bytesDown).toBe(200_000)
    expect(echo.accepted()).toBe(1)
    expect(link.mode).toEqual({ kind: 'pass' })
  })
})

describe('flaky link: delay', () => {
  it('forwards each chunk no sooner than ms after it arrived, each way, order kept', async () => {
    const { link } = await setup()
    link.set({ kind: 'delay', ms: 150 })
    const c = await client(link.port)
    const t0 = Date.now()
    for (const part of ['one,', 'two,', 'three']) {
      c.socket.write(part)
      await sleep(20)
    }
    await until(() => c.received().length === 13, 'the delayed echo')
    // Up 150 ms and down 150 ms: the first byte back is at least 300 ms after it was sent.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300)
    expect(c.received().toString()).toBe('one,two,three')
    expect(link.mode).toEqual({ kind: 'delay', ms: 150 })
  })

  it('releases held chunks at once, in order, when the delay is lifted', async () => {
    const { link } = await setup()
    link.set({ kind: 'delay', ms: 10_000 })
    const c = await client(link.port)
    c.socket.write('a')
    c.socket.write('b')
    await sleep(100)
    expect(c.received().length).toBe(0)
    const lifted = Date.now()
    link.set({ kind: 'pass' })
    await until(() => c.received().length === 2, 'the released bytes')
    expect(Date.now() - lifted).toBeLessThan(1_000)
    expect(c.received().toString()).toBe('ab')
  })
})

describe('flaky link: blackhole', () => {
  it('forwards nothing either way and keeps the connection open; the path coming back delivers what was held', async () => {
    const { link, echo } = await setup()
    const c = await client(link.port)
    c.socket.write('before')
    await until(() => c.received().length === 6, 'the first echo')
    link.set({ kind: 'blackhole' })
    const up = link.stats.bytesUp
    c.socket.write('held')
    await sleep(300)
    expect(c.received().toString()).toBe('before')
    expect(link.stats.bytesUp).toBe(up)
    expect(c.socket.destroyed).toBe(false)
    expect(link.open).toBe(1)
    // A connection opened during the black hole gets nothing back either.
    const late = await client(link.port)
    late.socket.write('late')
    await sleep(200)
    expect(late.received().length).toBe(0)
    link.set({ kind: 'pass' })
    await until(() => c.received().toString() === 'beforeheld', 'the held bytes')
    await until(() => late.received().toString() === 'late', 'the late connection')
    expect(echo.accepted()).toBe(2)
  })

  it('holds a close as well: the target sees the end only when the path comes back', async () => {
    const { link } = await setup()
    const c = await client(link.port)
    c.socket.write('x')
    await until(() => c.received().length === 1, 'the echo')
    link.set({ kind: 'blackhole' })
    c.socket.destroy()
    await sleep(150)
    expect(link.open).toBe(1)
    link.set({ kind: 'pass' })
    await until(() => link.open === 0, 'the connection to close')
  })
})

describe('flaky link: cut', () => {
  it('resets every open connection, then passes again and accepts new ones', async () => {
    const { link, echo } = await setup()
    const a = await client(link.port)
    const b = await client(link.port)
    a.socket.write('1')
    b.socket.write('2')
    await until(() => a.received().length === 1 && b.received().length === 1, 'the echoes')
    link.set({ kind: 'cut' })
    const [ea, eb] = await Promise.all([a.closed, b.closed])
    // With resetAndDestroy (Node 16.17+) the link sends a RST: the client sees ECONNRESET.
    const rst = typeof (a.socket as { resetAndDestroy?: unknown }).resetAndDestroy === 'function'
    for (const e of [ea, eb]) expect(e.error).toBe(rst ? 'ECONNRESET' : undefined)
    expect(link.mode).toEqual({ kind: 'pass' })
    expect(link.stats.cuts).toBe(2)
    expect(link.open).toBe(0)
    const c = await client(link.port)
    c.socket.write('again')
    await until(() => c.received().toString() === 'again', 'a new connection to work')
    expect(echo.accepted()).toBe(3)
    expect(link.stats.connections).toBe(3)
  })
})

describe('flaky link: refuse', () => {
  it('resets open connections and closes new ones at once, without reaching the target', async () => {
    const { link, echo } = await setup()
    const a = await client(link.port)
    a.socket.write('1')
    await until(() => a.received().length === 1, 'the echo')
    link.set({ kind: 'refuse' })
    await a.closed
    const b = connect({ host: '127.0.0.1', port: link.port })
    b.on('error', () => {})
    let got = 0
    b.on('data', (d: Buffer) => (got += d.length))
    b.on('connect', () => b.write('hello'))
    await new Promise((resolve) => b.on('close', resolve))
    expect(got).toBe(0)
    expect(echo.accepted()).toBe(1)
    expect(link.stats).toMatchObject({ connections: 1, cuts: 1, refused: 1 })
    expect(link.mode).toEqual({ kind: 'refuse' })
    link.set({ kind: 'pass' })
    const c = await client(link.port)
    c.socket.write('ok')
    await until(() => c.received().toString() === 'ok', 'a connection after refuse')
  })
})

describe('flaky link: lifecycle and checks', () => {
  it('close() resets connections and frees the port', async () => {
    const { link } = await setup()
    const a = await client(link.port)
    const port = link.port
    await link.close()
    await a.closed
    await link.close()
    const again = createServer()
    await new Promise<void>((resolve) => again.listen(port, '127.0.0.1', resolve))
    await new Promise<void>((resolve) => again.close(() => resolve()))
  })

  it('refuses a malformed mode with a titled TypeError or RangeError', async () => {
    expect(() => checkLinkMode({ kind: 'drop' })).toThrow(
      new TypeError('link mode: kind must be one of pass, delay, blackhole, cut, refuse'),
    )
    expect(() => checkLinkMode({ kind: 'delay', ms: -1 })).toThrow(
      new RangeError('link mode: delay ms must be an integer from 0 to 3600000'),
    )
    const { link } = await setup()
    expect(() => link.set({ kind: 'delay', ms: 1.5 })).toThrow(RangeError)
    expect(link.mode).toEqual({ kind: 'pass' })
    await expect(startFlakyLink({ target: { host: '127.0.0.1', port: 0 } })).rejects.toThrow(
      new RangeError('target.port must be an integer from 1 to 65535'),
    )
  })
})
