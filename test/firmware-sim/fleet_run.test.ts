/**
 * CI-sized fleet runs end to end (README "npm start"): real provisioning, real agents in host
 * processes on emulated hardware behind flaky links, the real consumer, every fault kind; the
 * verifier must find nothing lost, duplicated or nonce-repeating, and the report must hold the
 * run's numbers. Once against the embedded aedes, once against the machine's Mosquitto (MQTT 5).
 *
 * The runner starts the built programs (`dist/`): `npm run build` first (CI does).
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { fleetDefaults, runFleet } from '../../firmware-sim/src/index.ts'
import type { FleetResult } from '../../firmware-sim/src/index.ts'
import { cleanupTempDirs, repoRoot, skipWithout, tempDir } from '../helpers/index.ts'

const built = existsSync(join(repoRoot, 'dist/firmware-sim/src/fleet/host_cli.js'))

async function mosquittoAnswers(): Promise<boolean> {
  try {
    const c = await mqtt.connectAsync('mqtt://127.0.0.1:1883', {
      protocolVersion: 5,
      connectTimeout: 2_000,
      reconnectPeriod: 0,
    })
    await c.endAsync(true)
    return true
  } catch {
    return false
  }
}

let mosquitto = false
beforeAll(async () => {
  mosquitto = await mosquittoAnswers()
})
afterEach(cleanupTempDirs)

function checkRun(r: FleetResult, devices: number): void {
  const v = r.verdict
  expect(v.failures).toEqual([])
  expect(v.ok).toBe(true)
  expect(r.drain.complete).toBe(true)
  expect(v.lost).toBe(0)
  expect(v.duplicated).toBe(0)
  expect(v.nonceRepeats).toBe(0)
  expect(v.unexplainedGaps).toBe(0)
  expect(v.devices).toBe(devices)
  expect(v.confirmed).toBe(r.load.confirmed)
  expect(v.confirmed).toBeGreaterThan(devices * 5)
  // one Decrypt per epoch, epochs = every device at least once
  expect(v.epochs).toBeGreaterThanOrEqual(devices)
  expect(v.decryptCalls).toBe(v.epochs)
  // every fault kind was injected, and the stuck noise source was caught by the agent
  const kinds = new Set(r.run.faults.map((f) => f.kind))
  for (const k of ['link', 'power', 'entropy', 'entropy-detected', 'repair'])
    expect(kinds).toContain(k)
  expect(Object.keys(r.load.refused).some((c) => c.startsWith('ERR_ENTROPY_'))).toBe(true)
}

function checkReport(r: FleetResult): void {
  const html = readFileSync(r.reportPath!, 'utf8')
  expect(html.startsWith('<!DOCTYPE html>')).toBe(true)
  expect(html).toContain(`${r.verdict.confirmed}`)
  expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/)
  expect((html.match(/<svg/g) ?? []).length).toBe((html.match(/<\/svg>/g) ?? []).length)
  expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(3)
}

describe('a fleet run', () => {
  it.skipIf(skipWithout(built, 'the built programs (npm run build)'))(
    'against the embedded aedes: 24 devices, 30 s, every fault → nothing lost, duplicated or repeated',
    async () => {
      const dir = await tempDir('sealwire-fleet-test-')
      const r = await runFleet(
        {
          ...fleetDefaults,
          devices: 24,
          durationSec: 30,
          rate: 4,
          devicesPerHost: 4,
          seed: 3,
          epochMessages: 20,
          report: join(dir, 'report.html'),
        },
        { progress: { write: () => true } },
      )
      checkRun(r, 24)
      expect(r.broker).toMatch(/^embedded aedes/)
      checkReport(r)
    },
    240_000,
  )

  it.skipIf(skipWithout(built, 'the built programs (npm run build)'))(
    'against Mosquitto on 127.0.0.1:1883 (MQTT 5): 100 devices, 45 s, every fault → nothing lost, duplicated or repeated',
    async (ctx) => {
      if (skipWithout(mosquitto, 'Mosquitto answering MQTT 5 on 127.0.0.1:1883')) return ctx.skip()
      const dir = await tempDir('sealwire-fleet-test-')
      const r = await runFleet(
        {
          ...fleetDefaults,
          devices: 100,
          durationSec: 45,
          rate: 1,
          devicesPerHost: 20,
          seed: 5,
          epochMessages: 15,
          brokerUrl: 'mqtt://127.0.0.1:1883',
          report: join(dir, 'report.html'),
        },
        { progress: { write: () => true } },
      )
      checkRun(r, 100)
      expect(r.broker).toContain('(MQTT 5)')
      checkReport(r)
    },
    300_000,
  )
})
