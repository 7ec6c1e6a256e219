/**
 * The readings a fleet run offers: every `tickMs`, each device that is up gets the readings due
 * at `rate` per second, POSTed as one JSON array to its agent's ingest API (`POST /v1/readings`),
 * one request in flight per device. A reading's value is its number in the device's series
 * (0, 1, 2, …), so every reading is unique and the verifier can follow each one. What the agent
 * answered 200 is **confirmed** (durably queued); a refusal (503 while the entropy source has
 * failed, say) is counted by code; a request that got no answer (a power cut mid-request) has an
 * unknown fate and is counted as unanswered — its readings may or may not be delivered, and never
 * count as lost.
 *
 * @example
 * ```ts
 * const load = new LoadGenerator({ rate: 2, tickMs: 250 })
 * load.setUrl('dev-0001', 'http://127.0.0.1:40123')
 * load.tick() // call every tickMs
 * ```
 */
import type { ConfirmedReading } from '../verify/index.ts'

/** The stream name of every simulated reading. */
const SIM_STREAM = 'sim'

/** Largest request a device is sent (readings owed while a request was in flight accumulate). */
const MAX_BATCH = 1_000

/** How long a POST may take before its fate counts as unknown. */
const REQUEST_TIMEOUT_MS = 15_000

interface DeviceLoad {
  url: string | undefined
  next: number
  owed: number
  inFlight: boolean
}

/** Counters of the load. */
export interface LoadCounts {
  offered: number
  confirmed: number
  /** Readings refused, by the ingest API's error code. */
  refused: Record<string, number>
  /** Readings of requests that got no answer. */
  unanswered: number
}

/** Offers readings to the devices' ingest APIs. */
export class LoadGenerator {
  readonly confirmed: ConfirmedReading[] = []
  readonly counts: LoadCounts = { offered: 0, confirmed: 0, refused: {}, unanswered: 0 }
  readonly #rate: number
  readonly #tickMs: number
  readonly #devices = new Map<string, DeviceLoad>()
  readonly #inFlight = new Set<Promise<void>>()
  #running = true

  constructor(options: { rate: number; tickMs: number }) {
    this.#rate = options.rate
    this.#tickMs = options.tickMs
  }

  /** The device's ingest URL (`undefined` while it is down: it is offered nothing). */
  setUrl(id: string, url: string | undefined): void {
    const d = this.#devices.get(id)
    if (d === undefined) {
      this.#devices.set(id, { url, next: 0, owed: 0, inFlight: false })
    } else {
      d.url = url
    }
  }

  /** Sends what is due. */
  tick(): void {
    if (!this.#running) return
    for (const [id, d] of this.#devices) {
      if (d.url === undefined) continue
      d.owed = Math.min(MAX_BATCH, d.owed + (this.#rate * this.#tickMs) / 1000)
      if (d.inFlight) continue
      const n = Math.floor(d.owed)
      if (n < 1) continue
      d.owed -= n
      const p = this.#post(id, d, d.url, n)
      this.#inFlight.add(p)
      void p.finally(() => this.#inFlight.delete(p))
    }
  }

  /** Stops offering and waits for the requests in flight. */
  async stop(): Promise<void> {
    this.#running = false
    await Promise.all([...this.#inFlight])
  }

  async #post(id: string, d: DeviceLoad, url: string, n: number): Promise<void> {
    d.inFlight = true
    const first = d.next
    d.next += n
    const readings: { stream: string; value: number }[] = []
    for (let v = first; v < first + n; v++) readings.push({ stream: SIM_STREAM, value: v })
    this.counts.offered += n
    try {
      const res = await fetch(`${url}/v1/readings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(readings),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      })
      const body = (await res.json().catch(() => ({}))) as { error?: unknown }
      if (res.status === 200) {
        const at = Date.now()
        for (let v = first; v < first + n; v++) {
          this.confirmed.push({ deviceId: id, stream: SIM_STREAM, value: v, confirmedAt: at })
        }
        this.counts.confirmed += n
      } else {
        const code = typeof body.error === 'string' ? body.error : `HTTP ${res.status}`
        this.counts.refused[code] = (this.counts.refused[code] ?? 0) + n
      }
    } catch {
      this.counts.unanswered += n
    } finally {
      d.inFlight = false
    }
  }
}
