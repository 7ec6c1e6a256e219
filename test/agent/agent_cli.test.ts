/**
 * `sealwire-agent` end to end in process: check-config, refusals with exit 78, and a run against
 * an in-process aedes broker where readings POSTed to the ingest API come out, sealed, on the
 * device's topics and open to exactly what was submitted.
 */
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { main } from '../../agent/src/main.ts'
import { capture, cleanupTempDirs, tempDir } from '../helpers/index.ts'
import { AedesHarness } from './transport/_aedes.ts'
import { uniquePrefix, until } from './transport/_fixtures.ts'
import { DeviceReader, makeDevice } from './_device.ts'

afterEach(cleanupTempDirs)

const QUIET = { SEALWIRE_LOG_LEVEL: 'error' }

async function setup(): Promise<{ root: string; device: Awaited<ReturnType<typeof makeDevice>> }> {
  const root = await tempDir('sealwire-agent-')
  const device = await makeDevice(join(root, 'dev-1'), 'dev-1', uniquePrefix())
  return { root, device }
}

describe('sealwire-agent check-config', () => {
  it('prints one summary line and exits 0 for a good device folder', async () => {
    const { root, device } = await setup()
    const c = capture(QUIET)
    const code = await main(
      ['check-config', '--device', device.dir, '--state', join(root, 'state')],
      c.io,
    )
    expect(c.err()).toBe('')
    expect(code).toBe(0)
    expect(c.out()).toMatch(
      new RegExp(
        `^ok: device dev-1 \\(pin sha256:${device.pin}\\), broker mqtt://127\\.0\\.0\\.1:1883 .*\\n$`,
      ),
    )
    expect(c.out().split('\n')).toHaveLength(2)
  })

  it('refuses each bad setting with exit 78 and one line naming it', async () => {
    const { root, device } = await setup()
    const state = join(root, 'state')
    const cases: [string[], Record<string, string>, RegExp][] = [
      [[], {}, /^error ERR_CONFIG: device \(flags\): is required/],
      [
        ['--device', device.dir, '--http', '0.0.0.0:8787'],
        {},
        /^error ERR_CONFIG: http\.listen \(--http\): "0\.0\.0\.0" is not a loopback address/,
      ],
      [
        ['--device', device.dir],
        { SEALWIRE_OUTBOX_MAX_BYTES: 'lots' },
        /^error ERR_CONFIG: outbox\.maxBytes \(SEALWIRE_OUTBOX_MAX_BYTES\): expected an integer, got "lots"\n$/,
      ],
      [
        ['--device', device.dir],
        { SEALWIRE_OUTBOX_POLICY: 'drop-newest' },
        /^error ERR_CONFIG: outbox\.policy \(SEALWIRE_OUTBOX_POLICY\): /,
      ],
      [
        ['--device', device.dir],
        { SEALWIRE_BATCH_MAX_READINGS: '0' },
        /^error ERR_CONFIG: batch\.maxReadings \(SEALWIRE_BATCH_MAX_READINGS\): Expected integer to be greater or equal to 1\n$/,
      ],
      [
        ['--device', device.dir],
        { SEALWIRE_OUTBOX_MAXBYTES: '1' },
        /^error ERR_CONFIG: SEALWIRE_OUTBOX_MAXBYTES \(environment\): unknown setting/,
      ],
      [['--device', device.dir, '--broker', 'http://x'], {}, /^error ERR_TRANSPORT_CONFIG: /],
      [['--device', join(root, 'nope')], {}, /^error ERR_BUNDLE_MISSING: /],
    ]
    for (const [args, env, line] of cases) {
      const c = capture({ ...QUIET, ...env })
      const code = await main(['check-config', '--state', state, ...args], c.io)
      expect(code, args.join(' ')).toBe(78)
      expect(c.err(), args.join(' ')).toMatch(line)
      expect(c.err().trim().split('\n'), args.join(' ')).toHaveLength(1)
      expect(c.out()).toBe('')
    }
  })

  it('refuses a config file with a bad value, naming the file', async () => {
    const { root, device } = await setup()
    const file = join(root, 'agent.conf.json')
    writeFileSync(file, JSON.stringify({ transport: { windowSize: 0 } }))
    const c = capture(QUIET)
    expect(await main(['check-config', '--device', device.dir, '--config', file], c.io)).toBe(78)
    expect(c.err()).toMatch(
      /^error ERR_CONFIG: transport\.windowSize \(config file ".*agent\.conf\.json"\): Expected integer to be greater or equal to 1\n$/,
    )
  })

  it('refuses a substituted public key (pin mismatch) with exit 78', async () => {
    const { root, device } = await setup()
    const other = await makeDevice(join(root, 'other'), 'dev-1', 'x')
    const { copyFileSync } = await import('node:fs')
    copyFileSync(join(other.dir, 'public_key.der'), join(device.dir, 'public_key.der'))
    const c = capture(QUIET)
    expect(
      await main(['check-config', '--device', device.dir, '--state', join(root, 's')], c.io),
    ).toBe(78)
    expect(c.err()).toMatch(/^error ERR_KEY_PIN_MISMATCH: /)
  })

  it('refuses a TLS private key readable by group or others with exit 78', async () => {
    const { root, device } = await setup()
    const key = join(root, 'client.key')
    writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n')
    chmodSync(key, 0o644)
    const c = capture({ ...QUIET, SEALWIRE_BROKER_TLS_KEY: key, SEALWIRE_BROKER_TLS_CERT: key })
    const code = await main(
      [
        'check-config',
        '--device',
        device.dir,
        '--broker',
        'mqtts://127.0.0.1:8883',
        '--state',
        join(root, 's'),
      ],
      c.io,
    )
    expect(code).toBe(78)
    expect(c.err()).toMatch(/^error ERR_TRANSPORT_KEY_PERMISSIONS: .*client\.key/)
  })
})

describe('sealwire-agent run', () => {
  it('publishes POSTed readings that open to exactly what was submitted', async () => {
    const { root, device } = await setup()
    const broker = new AedesHarness()
    await broker.start()
    const reader = new DeviceReader(device)
    const arrivals: Promise<void>[] = []
    broker.subscribe(`${device.topics.data.split('/')[0]}/#`, (p) => {
      arrivals.push(reader.take(p.topic, new Uint8Array(p.payload as Buffer)))
    })
    const stop = new AbortController()
    const c = capture({ ...QUIET, SEALWIRE_BROKER_PROTOCOL_VERSION: '4' }, false, stop.signal)
    const running = main(
      [
        'run',
        '--device',
        device.dir,
        '--broker',
        broker.url,
        '--state',
        join(root, 'state'),
        '--http',
        '127.0.0.1:0',
      ],
      c.io,
    )
    try {
      await until(
        () => /ingest http:\/\/127\.0\.0\.1:\d+/.test(c.out()),
        'the agent to start',
        10_000,
      )
      const url = /ingest (http:\/\/127\.0\.0\.1:\d+)/.exec(c.out())![1]!
      const sent: { stream: string; value: unknown }[] = []
      for (let i = 0; i < 20; i++) {
        const readings = [
          { stream: 'temp', value: 20 + i / 10 },
          { stream: 'door', value: { open: i % 2 === 0, n: i } },
        ]
        const body =
          i % 2 === 0 ? JSON.stringify(readings) : readings.map((r) => JSON.stringify(r)).join('\n')
        const res = await fetch(`${url}/v1/readings`, {
          method: 'POST',
          headers: { 'content-type': i % 2 === 0 ? 'application/json' : 'application/x-ndjson' },
          body,
        })
        expect(res.status).toBe(200)
        expect(await res.json()).toEqual({ accepted: 2 })
        sent.push(...readings)
      }
      const bad = await fetch(`${url}/v1/readings`, {
        method: 'POST',
        body: '{"stream":"temp","value":1}\n{"stream":"","value":2}',
      })
      expect(bad.status).toBe(400)
      expect(await bad.json()).toEqual({
        error: 'ERR_READING_INVALID',
        message: 'line 2: "stream" must be a string of 1 to 128 UTF-8 bytes',
      })
      await until(() => reader.records.length >= sent.length, 'every reading to arrive', 10_000)
      await Promise.all(arrivals)
      expect(reader.records.map((r) => ({ stream: r.stream, value: r.value }))).toEqual(sent)
      expect(reader.epochs.size).toBe(1)
      expect(new Set(reader.seqs).size).toBe(reader.seqs.length)
      expect([...reader.seqs].sort((a, b) => a - b)).toEqual(reader.seqs)
      const metrics = await (await fetch(`${url}/metrics`)).text()
      expect(metrics).toMatch(/^sealwire_agent_readings_accepted_total\{device="dev-1"\} 40$/m)
      expect(metrics).toMatch(
        /^sealwire_agent_readings_rejected_total\{reason="invalid",device="dev-1"\} 1$/m,
      )
      const health = await fetch(`${url}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({ status: 'ok', device: 'dev-1', entropy: 'ok' })
    } finally {
      stop.abort()
      expect(await running).toBe(0)
      await broker.stop()
    }
    const s = capture()
    expect(await main(['status', '--state', join(root, 'state'), '--json'], s.io)).toBe(0)
    const status = JSON.parse(s.out()) as {
      outbox: { count: number; pending: number }
      bootCount: number
    }
    // Everything was acknowledged; the current epoch's announcement stays for the next connection.
    expect(status.outbox).toMatchObject({ count: 1, pending: 0 })
    expect(status.bootCount).toBe(1)
  })
})

describe('sealwire-agent ingest limits and help', () => {
  it('answers 413 to a body over the limit, then closes the connection', async () => {
    const { root, device } = await setup()
    const stop = new AbortController()
    const c = capture(
      { ...QUIET, SEALWIRE_HTTP_MAX_BODY_BYTES: '1024', SEALWIRE_BROKER_PROTOCOL_VERSION: '4' },
      false,
      stop.signal,
    )
    const running = main(
      [
        'run',
        '--device',
        device.dir,
        '--broker',
        'mqtt://127.0.0.1:9',
        '--state',
        join(root, 's'),
        '--http',
        '127.0.0.1:0',
      ],
      c.io,
    )
    try {
      await until(() => /ingest http:/.test(c.out()), 'the agent to start', 10_000)
      const url = /ingest (http:\/\/127\.0\.0\.1:\d+)/.exec(c.out())![1]!
      const big = JSON.stringify({ stream: 's', value: 'x'.repeat(4096) })
      const res = await fetch(`${url}/v1/readings`, { method: 'POST', body: big })
      expect(res.status).toBe(413)
      expect(await res.json()).toEqual({
        error: 'ERR_READING_INVALID',
        message: 'body over 1024 bytes',
      })
    } finally {
      stop.abort()
      expect(await running).toBe(0)
    }
  })

  it('prints help for every command with exit 0', async () => {
    for (const cmd of ['run', 'check-config', 'status', 'schema']) {
      const c = capture()
      expect(await main([cmd, '--help'], c.io), cmd).toBe(0)
      expect(c.out(), cmd).toMatch(new RegExp(`^usage: sealwire-agent ${cmd}`))
    }
  })
})
