/**
 * {@link ConsumerState} in Redis (ioredis 5), shared by every instance of one share group: replay
 * windows checked and marked by Lua scripts that run atomically on the server
 * (`_redis_scripts.ts`), announcements as hashes with a TTL, new-epoch budgets as counters per
 * window (INCR + PEXPIRE in one MULTI).
 *
 * Keys (every one starts with `keyPrefix`, default `sealwire:`; `{…}` is a Redis Cluster hash tag,
 * so one device's keys share a slot):
 *
 * | key | type | holds |
 * |---|---|---|
 * | `<p>replay:{<device>}:h` | hash | `h` highest number marked, `w` window size |
 * | `<p>replay:{<device>}:b` | string | the window's bitmap, bit `seq mod w` |
 * | `<p>ann:{<device>}:<epoch hex>` | hash | `t` topic, `b` sealed bytes, `r` receivedAt; PEXPIRE `announcementTtlMs` |
 * | `<p>budget:{<device>}:<windowMs>:<index>` | string | new epochs of the device in window `index` |
 * | `<p>budget:total:<windowMs>:<index>` | string | new epochs of everyone in window `index` |
 *
 * Replay windows never expire: forgetting one would let a replay through a JSONL sink (the
 * PostgreSQL sink would still store it once). One device costs about `windowSize / 8` bytes.
 *
 * Talks to one Redis server (`redis://`, `rediss://` for TLS); the keys are ready for a Cluster
 * (hash tags), but `stats()` scans one node and the client is not a `Cluster` client.
 *
 * @example
 * ```ts
 * const state = await RedisConsumerState.connect('redis://127.0.0.1:6379', { keyPrefix: 'plant-7:' })
 * if ((await state.seen('dev-1', 42)) === 'new') { … await state.markDelivered('dev-1', 42) }
 * await state.close()
 * ```
 */
import { Redis } from 'ioredis'
import { plain, shown } from '../../../platform/src/index.ts'
import { safeUrl } from '../sinks/_safe_url.ts'
import type {
  ConsumerState,
  EpochBudget,
  MarkResult,
  ReplayVerdict,
  StoredAnnouncement,
} from './consumer_state.ts'
import {
  assertAnnouncement,
  assertDeviceId,
  assertEpochIdHex,
  assertSeq,
  assertTime,
  assertWindowMs,
  checkTtlMs,
  checkWindowSize,
} from './_checks.ts'
import { stateDefaults } from './defaults.ts'
import { StateError } from './errors.ts'
import { MARK_LUA, PUT_ANNOUNCEMENT_LUA, SEEN_LUA, WINDOW_MISMATCH } from './_redis_scripts.ts'

/** Options of {@link RedisConsumerState}. */
export interface RedisConsumerStateOptions {
  /** Default {@link stateDefaults}.keyPrefix (`sealwire:`). */
  readonly keyPrefix?: string
  /** Default 4096; every instance on one Redis must use the same value. */
  readonly windowSize?: number
  /** Default 7 days; 0 keeps announcements forever. */
  readonly announcementTtlMs?: number
  /** {@link RedisConsumerState.connect} only: connection and per-command timeouts, in ms. */
  readonly connectTimeoutMs?: number
  readonly commandTimeoutMs?: number
  /** Connection errors as ioredis reports them between commands (for a log); default ignored. */
  readonly onError?: (err: Error) => void
}

/** The client with the scripts of `_redis_scripts.ts` defined on it. */
interface ScriptedRedis extends Redis {
  swSeen(meta: string, bits: string, seq: string, size: string): Promise<number>
  swMark(meta: string, bits: string, seq: string, size: string): Promise<[string, number, number]>
  swPutAnnouncement(
    key: string,
    topic: string,
    bytes: Buffer,
    receivedAt: string,
    ttlMs: string,
  ): Promise<number>
}

const VERDICTS: readonly ReplayVerdict[] = ['new', 'duplicate', 'too-old']

/** Escapes the glob characters of a key prefix for SCAN's MATCH. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** The Redis {@link ConsumerState}. */
export class RedisConsumerState implements ConsumerState {
  readonly description: string
  readonly #redis: ScriptedRedis
  readonly #prefix: string
  readonly #windowSize: number
  readonly #size: string
  readonly #ttlMs: number
  #closed = false

  /**
   * Connects to `url` (`redis://[user:password@]host[:port][/db]`, `rediss://…` for TLS) and
   * checks that it answers.
   *
   * @throws {StateError} `ERR_STATE_UNAVAILABLE` when it does not (the message names the URL
   *   without credentials).
   */
  static async connect(
    url: string,
    options: RedisConsumerStateOptions = {},
  ): Promise<RedisConsumerState> {
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: options.connectTimeoutMs ?? stateDefaults.connectTimeoutMs,
      commandTimeout: options.commandTimeoutMs ?? stateDefaults.commandTimeoutMs,
      // A command waits through a few reconnects, then fails: the pipeline holds the MQTT
      // acknowledgement and tries again, rather than hanging on a Redis that is gone.
      maxRetriesPerRequest: 3,
    })
    const onError = options.onError ?? (() => undefined)
    redis.on('error', onError)
    try {
      await redis.connect()
      await redis.ping()
    } catch (err) {
      redis.disconnect()
      throw new StateError(
        'ERR_STATE_UNAVAILABLE',
        `${safeUrl(url)}: ${plain((err as Error).message ?? err)}`,
        { cause: err },
      )
    }
    return new RedisConsumerState(redis, options)
  }

  /**
   * Wraps a client (which this object then owns: `close()` quits it). Prefer
   * {@link RedisConsumerState.connect}.
   */
  constructor(redis: Redis, options: RedisConsumerStateOptions = {}) {
    this.#prefix = options.keyPrefix ?? stateDefaults.keyPrefix
    if (typeof this.#prefix !== 'string') throw new TypeError('keyPrefix: expected a string')
    this.#windowSize = checkWindowSize(options.windowSize ?? stateDefaults.windowSize)
    this.#size = String(this.#windowSize)
    this.#ttlMs = checkTtlMs(options.announcementTtlMs ?? stateDefaults.announcementTtlMs)
    const { host, port, db, tls, path } = redis.options
    const where = path ? `unix:${path}` : `${tls ? 'rediss' : 'redis'}://${host}:${port}/${db ?? 0}`
    this.description = `${where} (prefix ${shown(this.#prefix)})`
    redis.defineCommand('swSeen', { numberOfKeys: 2, lua: SEEN_LUA })
    redis.defineCommand('swMark', { numberOfKeys: 2, lua: MARK_LUA })
    redis.defineCommand('swPutAnnouncement', { numberOfKeys: 1, lua: PUT_ANNOUNCEMENT_LUA })
    this.#redis = redis as ScriptedRedis
  }

  async #run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new StateError('ERR_STATE_CLOSED', 'the consumer state is closed')
    try {
      return await op()
    } catch (err) {
      const message = String((err as Error)?.message ?? err)
      if (message.includes(WINDOW_MISMATCH)) {
        throw new StateError(
          'ERR_STATE_WINDOW_MISMATCH',
          `${what}: the replay window was created with another size (${plain(message)}); every instance must use the same windowSize`,
          { cause: err },
        )
      }
      throw new StateError('ERR_STATE_UNAVAILABLE', `redis ${what}: ${plain(message)}`, {
        cause: err,
      })
    }
  }

  #replayKeys(deviceId: string): [string, string] {
    const base = `${this.#prefix}replay:{${deviceId}}:`
    return [`${base}h`, `${base}b`]
  }

  #announcementKey(deviceId: string, epochIdHex: string): string {
    return `${this.#prefix}ann:{${deviceId}}:${epochIdHex}`
  }

  async putAnnouncement(a: StoredAnnouncement): Promise<boolean> {
    assertAnnouncement(a)
    const key = this.#announcementKey(a.deviceId, a.epochIdHex)
    const bytes = Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength)
    const stored = await this.#run('putAnnouncement', () =>
      this.#redis.swPutAnnouncement(key, a.topic, bytes, String(a.receivedAt), String(this.#ttlMs)),
    )
    return stored === 1
  }

  async getAnnouncement(
    deviceId: string,
    epochIdHex: string,
  ): Promise<StoredAnnouncement | undefined> {
    assertDeviceId(deviceId)
    assertEpochIdHex(epochIdHex)
    const key = this.#announcementKey(deviceId, epochIdHex)
    const fields = await this.#run('getAnnouncement', () => this.#redis.hgetallBuffer(key))
    const { t, b, r } = fields
    if (t === undefined || b === undefined || r === undefined) return undefined
    return {
      deviceId,
      epochIdHex,
      topic: t.toString('utf8'),
      bytes: Uint8Array.from(b),
      receivedAt: Number(r.toString('latin1')),
    }
  }

  async seen(deviceId: string, seq: number): Promise<ReplayVerdict> {
    assertDeviceId(deviceId)
    assertSeq(seq)
    const [meta, bits] = this.#replayKeys(deviceId)
    const code = await this.#run('seen', () =>
      this.#redis.swSeen(meta, bits, String(seq), this.#size),
    )
    const verdict = VERDICTS[code]
    if (verdict === undefined) {
      throw new StateError('ERR_STATE_UNAVAILABLE', `redis seen: unexpected answer ${shown(code)}`)
    }
    return verdict
  }

  async markDelivered(deviceId: string, seq: number): Promise<MarkResult> {
    assertDeviceId(deviceId)
    assertSeq(seq)
    const [meta, bits] = this.#replayKeys(deviceId)
    const [highest, gap, newly] = await this.#run('markDelivered', () =>
      this.#redis.swMark(meta, bits, String(seq), this.#size),
    )
    return { highest: Number(highest), gap: Number(gap), newly: newly === 1 }
  }

  async countNewEpoch(deviceId: string, nowMs: number, windowMs: number): Promise<EpochBudget> {
    assertDeviceId(deviceId)
    assertTime('nowMs', nowMs)
    assertWindowMs(windowMs)
    const index = Math.floor(nowMs / windowMs)
    const deviceKey = `${this.#prefix}budget:{${deviceId}}:${windowMs}:${index}`
    const totalKey = `${this.#prefix}budget:total:${windowMs}:${index}`
    // The counters outlive their window by one more window: slack for instances whose clocks
    // disagree a little, and the key expires by itself (no sweep).
    const ttlMs = (index + 1) * windowMs - nowMs + windowMs
    const replies = await this.#run('countNewEpoch', async () => {
      const out = await this.#redis
        .multi()
        .incr(deviceKey)
        .pexpire(deviceKey, ttlMs)
        .incr(totalKey)
        .pexpire(totalKey, ttlMs)
        .exec()
      if (out === null) throw new Error('transaction aborted')
      for (const [err] of out) if (err) throw err
      return out
    })
    return { device: Number(replies[0]![1]), total: Number(replies[2]![1]) }
  }

  async stats(): Promise<{ readonly devices: number; readonly announcements: number }> {
    const p = globEscape(this.#prefix)
    const [devices, announcements] = await this.#run('stats', () =>
      Promise.all([this.#countKeys(`${p}replay:*:h`), this.#countKeys(`${p}ann:*`)]),
    )
    return { devices, announcements }
  }

  async #countKeys(match: string): Promise<number> {
    let cursor = '0'
    let count = 0
    do {
      const [next, keys] = await this.#redis.scan(cursor, 'MATCH', match, 'COUNT', 1000)
      cursor = next
      count += keys.length
    } while (cursor !== '0')
    return count
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#redis.quit()
    } catch {
      this.#redis.disconnect()
    }
  }
}
