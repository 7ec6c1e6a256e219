/**
 * The durable outbox: sealed `sealwire/1` messages waiting for the broker's PUBACK, in the
 * `outbox` table of `agent.db`. It holds **sealed bytes only** (never a plaintext reading or a
 * key: {@link Outbox.enqueue} refuses bytes that do not start as a sealed message).
 *
 * - **Group commit**: {@link Outbox.enqueue} and {@link Outbox.ack} share transactions
 *   (`maxBatch` items or `maxDelayMs`, whichever first); a call's promise settles after the commit
 *   that holds it, and all items of one call commit together or not at all.
 * - **Order**: rows are keyed by sequence number, and sequence numbers must grow from call to
 *   call, so rows become visible in order and the transport's cursor ({@link Outbox.peek} after
 *   the last sequence number it took) never misses one.
 * - **Limits** by message count and by bytes. When a call does not fit: `reject-new` refuses it
 *   ({@link OutboxFullError} with a retry-after hint, nothing of the call stored); `drop-oldest`
 *   deletes the oldest data messages until it fits (reason `full`). Announcements are never
 *   dropped.
 * - **TTL**: {@link Outbox.expire} deletes data messages older than `ttlMs`, in queue order
 *   (reason `ttl`), and unpublished announcements that nothing needs any more past the same age.
 * - Every drop is counted by reason in `drop_counter`, so the counts survive restarts.
 * - **Announcements**: an epoch's announcement is stored once, and kept, even after its own
 *   PUBACK, while any data message of its epoch is queued and while its epoch is the current one
 *   (the epoch of the latest announcement), so the transport can re-publish it
 *   ({@link Outbox.announcementFor}) before that epoch's data on every new connection. A data
 *   message whose epoch has no announcement in the outbox is refused.
 *
 * @example
 * ```ts
 * const { announcement, message } = sealer.seal(reading, () => seq.next())
 * await store.outbox.enqueue([
 *   ...(announcement ? [{ seq: announcement.seq, epochId, kind: 'announcement', topic: keyTopic, bytes: announcement.bytes }] : []),
 *   { seq: message.seq, epochId, kind: 'data', topic: dataTopic, bytes: message.bytes },
 * ]) // durable now: answer 200
 * for (const row of store.outbox.peek(lastSent, 64)) publish(row) // then: await store.outbox.ack(row.seq)
 * ```
 */
import { EPOCH_ID_BYTES, MAX_SEQUENCE } from '../../../envelope/src/index.ts'
import type { Clock, SqliteStatement } from '../../../platform/src/index.ts'
import type { StateDatabase } from './database.ts'
import { storeDefaults } from './defaults.ts'
import type { FullPolicy } from './defaults.ts'
import { OutboxFullError, StoreError } from './errors.ts'
import { AckRate } from './_ack_rate.ts'
import type { GroupCommit, OpOutcome } from './_group_commit.ts'
import { sealedForm } from './_sealed_bytes.ts'

/** What a row carries: an epoch's key announcement (key topic, retained) or data. */
export type OutboxKind = 'data' | 'announcement'

/** Why messages left the outbox without a PUBACK. */
export type DropReason = 'full' | 'ttl'

/** Messages and bytes dropped for one reason, since the database was created. */
export interface DropCount {
  readonly messages: number
  readonly bytes: number
}

/** Drop counts by reason. */
export type DropCounts = Readonly<Record<DropReason, DropCount>>

/** One sealed message to queue. */
export interface OutboxItem {
  /** The message's device sequence number (its Partial IV). */
  readonly seq: number
  /** The 8-byte epoch id. */
  readonly epochId: Uint8Array
  readonly kind: OutboxKind
  /** The MQTT topic it is published on. */
  readonly topic: string
  /** The sealed message. Read at commit: do not modify it before the promise settles. */
  readonly bytes: Uint8Array
}

/** A queued message, as {@link Outbox.peek} returns it. */
export interface OutboxRow extends OutboxItem {
  /** Wall-clock time of the enqueue call (the store's Clock), ms since 1970. */
  readonly enqueuedAt: number
}

/** How full the outbox is. */
export interface OutboxDepth {
  /** Stored rows (what `maxCount` limits), including announcements kept after their PUBACK. */
  readonly count: number
  /** Stored message bytes (what `maxBytes` limits). */
  readonly bytes: number
  /** Rows still to publish (not acknowledged). */
  readonly pending: number
  /** Age of the oldest row still to publish, ms (0 if the clock went back); null when none. */
  readonly oldestAgeMs: number | null
}

/** Limits and policies of an {@link Outbox} (defaults in `storeDefaults.outbox`). */
export interface OutboxOptions {
  readonly maxCount: number
  readonly maxBytes: number
  readonly policy: FullPolicy
  readonly ttlMs: number
  readonly minRetryAfterMs: number
  readonly maxRetryAfterMs: number
}

/** Listener of drops, for metrics and logs. */
export type DropListener = (reason: DropReason, drop: DropCount) => void

interface EpochEntry {
  readonly epochId: Uint8Array
  /** Queued data rows of the epoch. */
  data: number
  announcementSeq: number | undefined
  announcementSize: number
  announcementAcked: boolean
}

interface DropPlan {
  /** Highest sequence number taken (every data row up to it is taken). */
  through: number
  messages: number
  bytes: number
  perEpoch: Map<string, number>
}

interface Planned {
  readonly item: OutboxItem
  readonly key: string
}

const SCAN_CHUNK = 256

function keyOf(epochId: Uint8Array): string {
  return Buffer.from(epochId.buffer, epochId.byteOffset, epochId.byteLength).toString('hex')
}

function checkItem(item: OutboxItem, index: number, after: number): void {
  const where = `enqueue: item ${index}`
  if (typeof item !== 'object' || item === null) throw new TypeError(`${where} is not an object`)
  if (!Number.isSafeInteger(item.seq) || item.seq < 0 || item.seq > MAX_SEQUENCE) {
    throw new RangeError(`${where}: seq must be an integer from 0 to 2^53 - 1`)
  }
  if (item.seq <= after) {
    throw new RangeError(
      `${where}: seq ${item.seq} is not above ${after} (sequence numbers must grow from item to item and call to call)`,
    )
  }
  if (!(item.epochId instanceof Uint8Array) || item.epochId.length !== EPOCH_ID_BYTES) {
    throw new TypeError(`${where}: epochId must be ${EPOCH_ID_BYTES} bytes`)
  }
  if (item.kind !== 'data' && item.kind !== 'announcement') {
    throw new TypeError(`${where}: kind must be 'data' or 'announcement'`)
  }
  if (typeof item.topic !== 'string' || item.topic.length === 0) {
    throw new TypeError(`${where}: topic must be a non-empty string`)
  }
  if (!(item.bytes instanceof Uint8Array))
    throw new TypeError(`${where}: bytes must be a Uint8Array`)
  const form = sealedForm(item.bytes)
  if (form === undefined) {
    throw new TypeError(
      `${where}: bytes are not a sealed sealwire/1 message (the outbox stores sealed bytes only)`,
    )
  }
  if (item.kind === 'announcement' && form !== 'full') {
    throw new TypeError(`${where}: an announcement is a full-form (COSE_Encrypt) message`)
  }
}

/**
 * The outbox of sealed messages. Made by `openAgentStore`; one per `agent.db`, in one process.
 *
 * @example
 * ```ts
 * store.outbox.depth() // { count: 0, bytes: 0, pending: 0, oldestAgeMs: null }
 * ```
 */
export class Outbox {
  readonly #db: StateDatabase
  readonly #commit: GroupCommit
  readonly #clock: Clock
  readonly #options: OutboxOptions
  readonly #ackRate = new AckRate()

  // In-memory mirror of what is committed (reloaded from the table after a rollback).
  #count = 0
  #bytes = 0
  #retained = 0
  #epochs = new Map<string, EpochEntry>()
  #current: string | undefined
  #lastSeq = -1
  #drops: Record<DropReason, { messages: number; bytes: number }> = {
    full: { messages: 0, bytes: 0 },
    ttl: { messages: 0, bytes: 0 },
  }
  /** Highest sequence number accepted by enqueue (committed or waiting). */
  #acceptedSeq = -1
  /** Sequence numbers whose ack waits for the next commit (peek hides them). */
  #pendingAcks = new Set<number>()
  #stateDirty = false
  #committedListeners = new Set<(lastSeq: number) => void>()
  #dropListeners = new Set<DropListener>()
  #notify: { lastSeq?: number; drops: [DropReason, DropCount][] } = { drops: [] }

  readonly #s: {
    insert: SqliteStatement
    deleteData: SqliteStatement<{ epoch_id: Uint8Array; size: number }>
    findAnnouncementBySeq: SqliteStatement<{ epoch_id: Uint8Array; acked: number }>
    markAcked: SqliteStatement
    deleteRow: SqliteStatement
    scanData: SqliteStatement<{
      seq: number
      epoch_id: Uint8Array
      size: number
      enqueued_at: number
    }>
    deleteDataThrough: SqliteStatement
    addDrops: SqliteStatement
    writeState: SqliteStatement
    peek: SqliteStatement<RawRow>
    announcement: SqliteStatement<RawRow>
    oldest: SqliteStatement<{ enqueued_at: number }>
    enqueuedAt: SqliteStatement<{ enqueued_at: number }>
  }

  /** @internal Use `openAgentStore`. */
  constructor(
    db: StateDatabase,
    commit: GroupCommit,
    clock: Clock,
    options: Partial<OutboxOptions> = {},
  ) {
    const o = { ...storeDefaults.outbox, ...options }
    for (const [name, v] of [
      ['maxCount', o.maxCount],
      ['maxBytes', o.maxBytes],
      ['minRetryAfterMs', o.minRetryAfterMs],
      ['maxRetryAfterMs', o.maxRetryAfterMs],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new RangeError(`${name} must be a positive integer, got ${String(v)}`)
    }
    if (!Number.isSafeInteger(o.ttlMs) || o.ttlMs < 0) {
      throw new RangeError(`ttlMs must be an integer ≥ 0, got ${String(o.ttlMs)}`)
    }
    if (o.policy !== 'reject-new' && o.policy !== 'drop-oldest') {
      throw new RangeError(`policy must be 'reject-new' or 'drop-oldest', got ${String(o.policy)}`)
    }
    if (o.minRetryAfterMs > o.maxRetryAfterMs)
      throw new RangeError('minRetryAfterMs > maxRetryAfterMs')
    this.#db = db
    this.#commit = commit
    this.#clock = clock
    this.#options = Object.freeze({
      maxCount: o.maxCount,
      maxBytes: o.maxBytes,
      policy: o.policy,
      ttlMs: o.ttlMs,
      minRetryAfterMs: o.minRetryAfterMs,
      maxRetryAfterMs: o.maxRetryAfterMs,
    })
    const q = db.sqlite
    this.#s = {
      insert: q.prepare(
        'INSERT INTO outbox (seq, epoch_id, kind, topic, bytes, size, enqueued_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      deleteData: q.prepare(
        "DELETE FROM outbox WHERE seq = ? AND kind = 'data' RETURNING epoch_id, size",
      ),
      findAnnouncementBySeq: q.prepare(
        "SELECT epoch_id, acked FROM outbox WHERE seq = ? AND kind = 'announcement'",
      ),
      markAcked: q.prepare('UPDATE outbox SET acked = 1 WHERE seq = ?'),
      deleteRow: q.prepare('DELETE FROM outbox WHERE seq = ?'),
      scanData: q.prepare(
        "SELECT seq, epoch_id, size, enqueued_at FROM outbox WHERE kind = 'data' AND seq > ? ORDER BY seq LIMIT ?",
      ),
      deleteDataThrough: q.prepare("DELETE FROM outbox WHERE kind = 'data' AND seq <= ?"),
      addDrops: q.prepare(
        'UPDATE drop_counter SET messages = messages + ?, bytes = bytes + ? WHERE reason = ?',
      ),
      writeState: q.prepare(
        'UPDATE agent_state SET last_seq = max(coalesce(last_seq, -1), ?), current_epoch = coalesce(?, current_epoch) WHERE id = 1',
      ),
      peek: q.prepare(
        'SELECT seq, epoch_id, kind, topic, bytes, enqueued_at FROM outbox WHERE seq > ? AND acked = 0 ORDER BY seq LIMIT ?',
      ),
      announcement: q.prepare(
        "SELECT seq, epoch_id, kind, topic, bytes, enqueued_at FROM outbox WHERE kind = 'announcement' AND epoch_id = ?",
      ),
      oldest: q.prepare('SELECT enqueued_at FROM outbox WHERE acked = 0 ORDER BY seq LIMIT 1'),
      enqueuedAt: q.prepare('SELECT enqueued_at FROM outbox WHERE seq = ?'),
    }
    this.#reload()
    this.#acceptedSeq = this.#lastSeq
    commit.onRollback(() => this.#reload())
    commit.onBeforeCommit(() => this.#writeState())
    commit.onCommit(() => this.#emit())
  }

  /** The limits and policies in force. */
  get options(): OutboxOptions {
    return this.#options
  }

  /**
   * Queues `items` durably: resolves after the transaction holding all of them has committed
   * (an HTTP 200 may be sent then). Items must be in increasing sequence order, above every
   * sequence number of earlier calls; a data item's epoch must have its announcement in the outbox
   * or earlier in the same call. A second announcement of an epoch already stored is ignored.
   *
   * @throws {OutboxFullError} `ERR_OUTBOX_FULL` under `reject-new` when the call does not fit.
   * @throws {StoreError} `ERR_OUTBOX_TOO_LARGE` (the call exceeds the limits on its own),
   *   `ERR_OUTBOX_NO_ANNOUNCEMENT`, `ERR_STORE_WRITE`, `ERR_STORE_CLOSED`.
   * @throws {TypeError | RangeError} a malformed item, or sequence numbers out of order.
   * @example
   * ```ts
   * await outbox.enqueue([{ seq, epochId, kind: 'data', topic, bytes }])
   * ```
   */
  enqueue(items: readonly OutboxItem[]): Promise<void> {
    try {
      if (!Array.isArray(items)) throw new TypeError('enqueue: items must be an array')
      let after = this.#acceptedSeq
      let bytes = 0
      items.forEach((item, i) => {
        checkItem(item, i, after)
        after = item.seq
        bytes += item.bytes.length
      })
      if (items.length > this.#options.maxCount || bytes > this.#options.maxBytes) {
        throw new StoreError(
          'ERR_OUTBOX_TOO_LARGE',
          `one call of ${items.length} messages and ${bytes} bytes exceeds the outbox limits ` +
            `(${this.#options.maxCount} messages, ${this.#options.maxBytes} bytes)`,
        )
      }
      if (items.length === 0) return Promise.resolve()
      this.#acceptedSeq = after
    } catch (err) {
      return Promise.reject(err)
    }
    const enqueuedAt = this.#clock.now()
    const batch = items.slice()
    return this.#commit.submit(batch.length, () => this.#runEnqueue(batch, enqueuedAt))
  }

  /**
   * Removes acknowledged messages (PUBACK received); resolves once the deletion is committed.
   * An ack-only commit is not fsynced (README "Durability"): a power cut may undo it, which
   * only re-sends the message (a duplicate the consumer drops).
   * Unknown sequence numbers are ignored (already acknowledged or dropped). An announcement is
   * only marked acknowledged while its epoch still needs it, and deleted when it no longer does.
   *
   * @example
   * ```ts
   * client.on('puback', (seq) => void outbox.ack(seq).catch(log))
   * ```
   */
  ack(seqs: number | readonly number[]): Promise<void> {
    const list = typeof seqs === 'number' ? [seqs] : [...seqs]
    for (const seq of list) {
      if (!Number.isSafeInteger(seq))
        return Promise.reject(new RangeError('ack: seq must be an integer'))
    }
    if (list.length === 0) return Promise.resolve()
    for (const seq of list) this.#pendingAcks.add(seq)
    // Losing an acknowledgement in a power cut only means a duplicate re-send: no fsync needed.
    return this.#commit.submit(
      list.length,
      () => {
        this.#applyPendingAcks()
        return { ok: true, value: undefined }
      },
      { sync: 'normal' },
    )
  }

  /**
   * Up to `limit` messages still to publish with a sequence number above `afterSeq`, in order
   * (announcements before their epoch's data, since they come first in sequence). Rows whose ack
   * is waiting for its commit are left out.
   *
   * @example
   * ```ts
   * const rows = outbox.peek(-1, 64) // from the start, after a reconnect
   * ```
   */
  peek(afterSeq: number, limit: number): OutboxRow[] {
    if (!Number.isSafeInteger(limit) || limit < 1)
      throw new RangeError('peek: limit must be a positive integer')
    if (typeof afterSeq !== 'number' || Number.isNaN(afterSeq))
      throw new RangeError('peek: afterSeq must be a number')
    const rows = this.#s.peek.all(Math.trunc(afterSeq), limit).map(toRow)
    return this.#pendingAcks.size === 0 ? rows : rows.filter((r) => !this.#pendingAcks.has(r.seq))
  }

  /**
   * The stored announcement of `epochId` (published or not), for re-publishing before that
   * epoch's data on a new connection; `undefined` when the outbox no longer needs it.
   *
   * @example
   * ```ts
   * const a = outbox.announcementFor(row.epochId)
   * if (a && !announcedOnThisConnection.has(hex(row.epochId))) publish(a, { retain: true })
   * ```
   */
  announcementFor(epochId: Uint8Array): OutboxRow | undefined {
    if (!(epochId instanceof Uint8Array))
      throw new TypeError('announcementFor: epochId must be a Uint8Array')
    const row = this.#s.announcement.get(epochId)
    return row === undefined ? undefined : toRow(row)
  }

  /** Count, bytes, rows still to publish and the oldest one's age. */
  depth(): OutboxDepth {
    const oldest = this.#s.oldest.get()
    return {
      count: this.#count,
      bytes: this.#bytes,
      pending: this.#count - this.#retained,
      oldestAgeMs:
        oldest === undefined ? null : Math.max(0, this.#clock.now() - oldest.enqueued_at),
    }
  }

  /** Drops by reason since the database was created (persistent). */
  drops(): DropCounts {
    return {
      full: { ...this.#drops.full },
      ttl: { ...this.#drops.ttl },
    }
  }

  /** The current epoch (of the latest announcement committed), hex; undefined before any. */
  get currentEpochId(): string | undefined {
    return this.#current
  }

  /** The highest sequence number committed to the outbox (ever; survives its deletion). */
  get lastSeq(): number | undefined {
    return this.#lastSeq < 0 ? undefined : this.#lastSeq
  }

  /**
   * Deletes data messages older than `ttlMs` (by the store's Clock), in queue order: it stops at
   * the first one still young. Counted as reason `ttl`. Resolves with what it dropped, after the
   * commit.
   *
   * @example
   * ```ts
   * clock.advance(ttlMs + 1)
   * await outbox.expire() // { messages: n, bytes: b }
   * ```
   */
  expire(): Promise<DropCount> {
    return this.#commit.submit(0, () => ({ ok: true, value: this.#runExpire() }))
  }

  /** Calls `fn(lastSeq)` after each commit that added messages (the transport's wake-up). */
  onCommitted(fn: (lastSeq: number) => void): () => void {
    this.#committedListeners.add(fn)
    return () => this.#committedListeners.delete(fn)
  }

  /** Calls `fn(reason, count)` after each commit that dropped messages. */
  onDropped(fn: DropListener): () => void {
    this.#dropListeners.add(fn)
    return () => this.#dropListeners.delete(fn)
  }

  // ---- inside a transaction ----

  #runEnqueue(items: readonly OutboxItem[], enqueuedAt: number): OpOutcome<void> {
    const planned: Planned[] = []
    const announcedHere = new Set<string>()
    let addBytes = 0
    for (const item of items) {
      const key = keyOf(item.epochId)
      const stored = this.#epochs.get(key)?.announcementSeq !== undefined
      if (item.kind === 'announcement') {
        if (stored || announcedHere.has(key)) continue // stored once
        announcedHere.add(key)
      } else if (!stored && !announcedHere.has(key)) {
        return {
          ok: false,
          error: new StoreError(
            'ERR_OUTBOX_NO_ANNOUNCEMENT',
            `data message ${item.seq} belongs to epoch ${key}, whose announcement is not in the outbox ` +
              '(enqueue the announcement first, or start a new epoch)',
          ),
        }
      }
      planned.push({ item, key })
      addBytes += item.bytes.length
    }
    const refused = this.#makeRoom(planned.length, addBytes)
    if (refused !== undefined) return { ok: false, error: refused }
    for (const { item, key } of planned) {
      this.#s.insert.run(
        item.seq,
        item.epochId,
        item.kind,
        item.topic,
        item.bytes,
        item.bytes.length,
        enqueuedAt,
      )
      const entry = this.#entry(key, item.epochId)
      if (item.kind === 'announcement') {
        entry.announcementSeq = item.seq
        entry.announcementSize = item.bytes.length
        entry.announcementAcked = false
        const previous = this.#current
        this.#current = key
        if (previous !== undefined && previous !== key) this.#collect(previous)
      } else {
        entry.data++
      }
      this.#count++
      this.#bytes += item.bytes.length
    }
    const last = planned.at(-1)?.item.seq ?? items.at(-1)!.seq
    if (last > this.#lastSeq) this.#lastSeq = last
    this.#stateDirty = true
    this.#notify.lastSeq = this.#lastSeq
    return { ok: true, value: undefined }
  }

  /**
   * Makes room for `count` more rows of `bytes`: nothing to do when they fit; under `reject-new`
   * the refusal; under `drop-oldest` the oldest data rows are dropped (reason `full`), or, when
   * even dropping every data row would not be enough, the refusal with nothing written.
   */
  #makeRoom(count: number, bytes: number): OutboxFullError | undefined {
    const o = this.#options
    let overCount = this.#count + count - o.maxCount
    let overBytes = this.#bytes + bytes - o.maxBytes
    if (overCount <= 0 && overBytes <= 0) return undefined
    const limit = overCount > 0 ? 'count' : 'bytes'
    if (o.policy === 'reject-new') return this.#fullError(limit, overCount, overBytes)
    // Messages whose PUBACK waits in this same batch are leaving anyway: not drops.
    this.#applyPendingAcks()
    overCount = this.#count + count - o.maxCount
    overBytes = this.#bytes + bytes - o.maxBytes
    if (overCount <= 0 && overBytes <= 0) return undefined
    const plan = this.#planDrop((d) => d.messages < overCount || d.bytes < overBytes)
    if (plan.messages < overCount || plan.bytes < overBytes) {
      return this.#fullError(limit, overCount, overBytes)
    }
    this.#applyDrop(plan, 'full')
    return undefined
  }

  #fullError(limit: 'count' | 'bytes', overCount: number, overBytes: number): OutboxFullError {
    const average = this.#count > 0 ? this.#bytes / this.#count : 1
    const need = Math.max(overCount, Math.ceil(overBytes / Math.max(1, average)), 1)
    const o = this.#options
    return new OutboxFullError(
      limit,
      this.#ackRate.retryAfterMs(
        need,
        this.#clock.monotonic(),
        o.minRetryAfterMs,
        o.maxRetryAfterMs,
      ),
    )
  }

  #runExpire(): DropCount {
    if (this.#options.ttlMs === 0) return { messages: 0, bytes: 0 }
    this.#applyPendingAcks()
    const now = this.#clock.now()
    const ttl = this.#options.ttlMs
    const plan = this.#planDrop((_, row) => now - row.enqueued_at > ttl)
    this.#applyDrop(plan, 'ttl')
    const stale = this.#expireAnnouncements(now - ttl)
    return { messages: plan.messages + stale.messages, bytes: plan.bytes + stale.bytes }
  }

  /**
   * An announcement never published, of an epoch that is not the current one and has no queued
   * data, is kept until published; past the TTL it goes too (reason `ttl`), so a device offline
   * for months does not pile up one announcement per epoch.
   */
  #expireAnnouncements(cutoff: number): DropCount {
    let messages = 0
    let bytes = 0
    for (const [key, entry] of this.#epochs) {
      if (entry.data > 0 || key === this.#current || entry.announcementSeq === undefined) continue
      if (entry.announcementAcked) continue
      const row = this.#s.enqueuedAt.get(entry.announcementSeq)
      if (row === undefined || row.enqueued_at >= cutoff) continue
      this.#s.deleteRow.run(entry.announcementSeq)
      this.#epochs.delete(key)
      this.#count--
      this.#bytes -= entry.announcementSize
      messages++
      bytes += entry.announcementSize
    }
    if (messages > 0) {
      this.#s.addDrops.run(messages, bytes, 'ttl')
      this.#drops.ttl.messages += messages
      this.#drops.ttl.bytes += bytes
      this.#notify.drops.push(['ttl', { messages, bytes }])
    }
    return { messages, bytes }
  }

  /**
   * Scans data rows in sequence order, taking each while `more(takenSoFar, row)` holds. Writes
   * nothing: {@link #applyDrop} deletes what was taken.
   */
  #planDrop(more: (taken: DropCount, row: { enqueued_at: number }) => boolean): DropPlan {
    const plan: DropPlan = { through: -1, messages: 0, bytes: 0, perEpoch: new Map() }
    for (;;) {
      const rows = this.#s.scanData.all(plan.through, SCAN_CHUNK)
      for (const row of rows) {
        if (!more(plan, row)) return plan
        plan.through = row.seq
        plan.messages++
        plan.bytes += row.size
        const key = keyOf(row.epoch_id)
        plan.perEpoch.set(key, (plan.perEpoch.get(key) ?? 0) + 1)
      }
      if (rows.length < SCAN_CHUNK) return plan
    }
  }

  /** Deletes the planned data rows (every data row up to `through`) and counts them. */
  #applyDrop(plan: DropPlan, reason: DropReason): void {
    if (plan.messages === 0) return
    this.#s.deleteDataThrough.run(plan.through)
    this.#s.addDrops.run(plan.messages, plan.bytes, reason)
    this.#count -= plan.messages
    this.#bytes -= plan.bytes
    this.#drops[reason].messages += plan.messages
    this.#drops[reason].bytes += plan.bytes
    for (const [key, n] of plan.perEpoch) {
      const entry = this.#epochs.get(key)
      if (entry === undefined) continue
      entry.data -= n
      this.#collect(key)
    }
    this.#notify.drops.push([reason, { messages: plan.messages, bytes: plan.bytes }])
  }

  #applyPendingAcks(): void {
    if (this.#pendingAcks.size === 0) return
    const seqs = [...this.#pendingAcks].sort((a, b) => a - b)
    this.#pendingAcks.clear()
    let acked = 0
    for (const seq of seqs) {
      const data = this.#s.deleteData.get(seq)
      if (data !== undefined) {
        acked++
        this.#count--
        this.#bytes -= data.size
        const key = keyOf(data.epoch_id)
        const entry = this.#epochs.get(key)
        if (entry !== undefined) {
          entry.data--
          this.#collect(key)
        }
        continue
      }
      const announcement = this.#s.findAnnouncementBySeq.get(seq)
      if (announcement === undefined || announcement.acked === 1) continue
      acked++
      const key = keyOf(announcement.epoch_id)
      const entry = this.#epochs.get(key)
      this.#s.markAcked.run(seq)
      if (entry !== undefined) {
        entry.announcementAcked = true
        this.#retained++
        this.#collect(key)
      }
    }
    if (acked > 0) this.#ackRate.record(acked, this.#clock.monotonic())
  }

  /** Deletes the epoch's acknowledged announcement once nothing needs it. */
  #collect(key: string): void {
    const entry = this.#epochs.get(key)
    if (entry === undefined || entry.data > 0 || key === this.#current) return
    if (entry.announcementSeq !== undefined) {
      if (!entry.announcementAcked) return // still to publish
      this.#s.deleteRow.run(entry.announcementSeq)
      this.#count--
      this.#bytes -= entry.announcementSize
      this.#retained--
    }
    this.#epochs.delete(key)
  }

  #entry(key: string, epochId: Uint8Array): EpochEntry {
    let entry = this.#epochs.get(key)
    if (entry === undefined) {
      entry = {
        epochId: Uint8Array.from(epochId),
        data: 0,
        announcementSeq: undefined,
        announcementSize: 0,
        announcementAcked: false,
      }
      this.#epochs.set(key, entry)
    }
    return entry
  }

  #writeState(): void {
    if (!this.#stateDirty) return
    this.#stateDirty = false
    const current = this.#current === undefined ? null : Buffer.from(this.#current, 'hex')
    this.#s.writeState.run(this.#lastSeq, current)
  }

  #emit(): void {
    const { lastSeq, drops } = this.#notify
    this.#notify = { drops: [] }
    for (const [reason, drop] of drops) for (const fn of this.#dropListeners) fn(reason, drop)
    if (lastSeq !== undefined) for (const fn of this.#committedListeners) fn(lastSeq)
  }

  /** Rebuilds the in-memory mirror from the committed table. */
  #reload(): void {
    const q = this.#db.sqlite
    this.#notify = { drops: [] }
    this.#stateDirty = false
    this.#pendingAcks.clear()
    const totals = q
      .prepare<{ c: number; b: number; r: number }>(
        'SELECT count(*) AS c, coalesce(sum(size), 0) AS b, coalesce(sum(acked), 0) AS r FROM outbox',
      )
      .get()!
    this.#count = totals.c
    this.#bytes = totals.b
    this.#retained = totals.r
    this.#epochs = new Map()
    for (const row of q
      .prepare<{ epoch_id: Uint8Array; n: number }>(
        "SELECT epoch_id, count(*) AS n FROM outbox WHERE kind = 'data' GROUP BY epoch_id",
      )
      .all()) {
      this.#entry(keyOf(row.epoch_id), row.epoch_id).data = row.n
    }
    for (const row of q
      .prepare<{ seq: number; epoch_id: Uint8Array; size: number; acked: number }>(
        "SELECT seq, epoch_id, size, acked FROM outbox WHERE kind = 'announcement'",
      )
      .all()) {
      const entry = this.#entry(keyOf(row.epoch_id), row.epoch_id)
      entry.announcementSeq = row.seq
      entry.announcementSize = row.size
      entry.announcementAcked = row.acked === 1
    }
    const state = q
      .prepare<{ current_epoch: Uint8Array | null; last_seq: number | null }>(
        'SELECT current_epoch, last_seq FROM agent_state WHERE id = 1',
      )
      .get()!
    this.#current = state.current_epoch === null ? undefined : keyOf(state.current_epoch)
    const max = q.prepare<{ m: number | null }>('SELECT max(seq) AS m FROM outbox').get()!.m
    this.#lastSeq = Math.max(state.last_seq ?? -1, max ?? -1)
    for (const row of q
      .prepare<{ reason: DropReason; messages: number; bytes: number }>(
        'SELECT reason, messages, bytes FROM drop_counter',
      )
      .all()) {
      this.#drops[row.reason] = { messages: row.messages, bytes: row.bytes }
    }
  }
}

interface RawRow {
  seq: number
  epoch_id: Uint8Array
  kind: OutboxKind
  topic: string
  bytes: Uint8Array
  enqueued_at: number
}

function toRow(r: RawRow): OutboxRow {
  return {
    seq: r.seq,
    epochId: r.epoch_id,
    kind: r.kind,
    topic: r.topic,
    bytes: r.bytes,
    enqueuedAt: r.enqueued_at,
  }
}
