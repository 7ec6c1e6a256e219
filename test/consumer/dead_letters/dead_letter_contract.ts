/**
 * The contract every {@link DeadLetterStore} must pass (`consumer/src/dead_letters/README.md`
 * states it): put, list order (oldest `at` first, ties in put order), update, remove, count by
 * reason, bytes kept exactly, copies in and out, the replay pattern (remove while listing, over
 * more than one page), concurrent puts, a reopen over the same storage, the size limit, caller
 * bugs and close.
 *
 * @example
 * ```ts
 * deadLetterContract('DirectoryDeadLetterStore', async () => {
 *   const dir = await tempDir()
 *   return { open: (o) => DirectoryDeadLetterStore.open(dir, o) }
 * }, { persistent: true })
 * ```
 */
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { DEAD_LETTER_REASONS } from '../../../consumer/src/dead_letters/index.ts'
import type {
  DeadLetter,
  DeadLetterStore,
  NewDeadLetter,
} from '../../../consumer/src/dead_letters/index.ts'
import { caught } from '../../helpers/index.ts'

/** One storage for one test. */
export interface DeadLetterStoreUnderTest {
  /** A store over this storage; called again in a test, it is a restart over the same storage. */
  open(options?: { readonly maxLetterBytes?: number }): Promise<DeadLetterStore>
}

/** What the implementation promises beyond the core. */
export interface DeadLetterTraits {
  /** Letters survive a reopen. */
  readonly persistent: boolean
}

let n = 0
/** A letter with every field set. */
export function letter(extra: Partial<NewDeadLetter> = {}): NewDeadLetter {
  n++
  return {
    topic: `sealwire/dev-${n % 3}/data`,
    bytes: Uint8Array.from([0xd0, 0x83, n & 0xff, ...randomBytes(40)]),
    reason: DEAD_LETTER_REASONS[n % DEAD_LETTER_REASONS.length]!,
    detail: `detail ${n}: "quoted" ü`,
    at: 1_700_000_000_000 + n,
    ...extra,
  }
}

async function all(store: DeadLetterStore): Promise<DeadLetter[]> {
  const out: DeadLetter[] = []
  for await (const l of store.list()) out.push(l)
  return out
}

const fields = (l: NewDeadLetter) => ({
  topic: l.topic,
  bytes: Buffer.from(l.bytes).toString('hex'),
  reason: l.reason,
  detail: l.detail,
  at: l.at,
})

/** Registers the contract's tests; `fresh` gives one new, empty storage per test. */
export function deadLetterContract(
  name: string,
  fresh: () => Promise<DeadLetterStoreUnderTest>,
  traits: DeadLetterTraits,
): void {
  const opened: DeadLetterStore[] = []
  const open = async (t: DeadLetterStoreUnderTest, options?: { maxLetterBytes?: number }) => {
    const store = await t.open(options)
    opened.push(store)
    return store
  }
  const store = async () => open(await fresh())

  afterEach(async () => {
    while (opened.length > 0) await opened.pop()!.close()
  })

  describe(`DeadLetterStore contract: ${name}`, () => {
    it('put returns the letter with an id; list gives it back, every field exact', async () => {
      const s = await store()
      const l = letter()
      const kept = await s.put(l)
      expect(typeof kept.id).toBe('string')
      expect(kept.id.length).toBeGreaterThan(0)
      expect(fields(kept)).toEqual(fields(l))
      const listed = await all(s)
      expect(listed).toHaveLength(1)
      expect(listed[0]!.id).toBe(kept.id)
      expect(fields(listed[0]!)).toEqual(fields(l))
      expect(listed[0]!.bytes).toBeInstanceOf(Uint8Array)
    })

    it('keeps bytes exactly: every byte value, empty, 1 MiB of random', async () => {
      const s = await store()
      const cases = [
        Uint8Array.from({ length: 256 }, (_, i) => i),
        new Uint8Array(0),
        Uint8Array.from(randomBytes(1024 * 1024)),
        Uint8Array.of(0x0a, 0x0d, 0x00, 0x22, 0x5c), // newline, CR, NUL, quote, backslash
      ]
      for (const bytes of cases) await s.put(letter({ bytes }))
      const listed = await all(s)
      expect(listed.map((l) => Buffer.compare(l.bytes, cases[listed.indexOf(l)]!))).toEqual([
        0, 0, 0, 0,
      ])
    })

    it('lists oldest at first, ties in put order', async () => {
      const s = await store()
      const ats = [3000, 1000, 2000, 1000, 0, 3000]
      const kept = []
      for (const [i, at] of ats.entries()) kept.push(await s.put(letter({ at, detail: `#${i}` })))
      expect((await all(s)).map((l) => l.detail)).toEqual(['#4', '#1', '#3', '#2', '#0', '#5'])
    })

    it('update changes reason and detail only; an unknown id is not an error', async () => {
      const s = await store()
      const a = await s.put(letter({ reason: 'epoch-unknown' }))
      const b = await s.put(letter())
      await s.update(a.id, 'kms-unavailable', 'KMS answered 503')
      await s.update('no-such-id', 'malformed', 'x')
      await s.update('999999', 'malformed', 'x')
      const [la, lb] = await all(s)
      expect(fields(la!)).toEqual({
        ...fields(a),
        reason: 'kms-unavailable',
        detail: 'KMS answered 503',
      })
      expect(la!.id).toBe(a.id)
      expect(fields(lb!)).toEqual(fields(b))
    })

    it('remove is true once, then false; unknown and malformed ids are false', async () => {
      const s = await store()
      const a = await s.put(letter())
      const b = await s.put(letter())
      expect(await s.remove(a.id)).toBe(true)
      expect(await s.remove(a.id)).toBe(false)
      for (const id of ['', 'x', '../etc/passwd', '999999', '-1', '1e3']) {
        expect(await s.remove(id)).toBe(false)
      }
      expect((await all(s)).map((l) => l.id)).toEqual([b.id])
      await s.update(a.id, 'malformed', 'gone') // removed: nothing happens
      expect((await all(s)).map((l) => l.id)).toEqual([b.id])
    })

    it('count gives letters by reason; none → {}', async () => {
      const s = await store()
      expect(await s.count()).toEqual({})
      await s.put(letter({ reason: 'malformed' }))
      await s.put(letter({ reason: 'malformed' }))
      const u = await s.put(letter({ reason: 'unknown-kid' }))
      await s.put(letter({ reason: 'sink-failed' }))
      expect(await s.count()).toEqual({ malformed: 2, 'unknown-kid': 1, 'sink-failed': 1 })
      await s.update(u.id, 'malformed', 'x')
      await s.remove((await all(s)).find((l) => l.reason === 'sink-failed')!.id)
      expect(await s.count()).toEqual({ malformed: 3 })
    })

    it('every reason can be kept', async () => {
      const s = await store()
      for (const reason of DEAD_LETTER_REASONS) await s.put(letter({ reason }))
      expect(Object.keys(await s.count()).sort()).toEqual([...DEAD_LETTER_REASONS].sort())
    })

    it('the replay pattern: remove each letter as the listing reaches it, over several pages', async () => {
      const s = await store()
      const count = 250
      for (let i = 0; i < count; i++) await s.put(letter({ at: 5_000 + (i % 17), detail: `${i}` }))
      const seen = new Set<string>()
      for await (const l of s.list()) {
        expect(seen.has(l.id)).toBe(false)
        seen.add(l.id)
        expect(await s.remove(l.id)).toBe(true)
      }
      expect(seen.size).toBe(count)
      expect(await all(s)).toEqual([])
    })

    it('keeps copies: changing what was put or what was listed changes nothing stored', async () => {
      const s = await store()
      const bytes = Uint8Array.of(1, 2, 3)
      const kept = await s.put(letter({ bytes }))
      bytes.fill(9)
      ;(kept.bytes as Uint8Array).fill(8)
      const [first] = await all(s)
      ;(first!.bytes as Uint8Array).fill(7)
      expect([...(await all(s))[0]!.bytes]).toEqual([1, 2, 3])
    })

    it('concurrent puts get distinct ids and are all kept', async () => {
      const s = await store()
      const kept = await Promise.all(Array.from({ length: 50 }, () => s.put(letter({ at: 1 }))))
      expect(new Set(kept.map((l) => l.id)).size).toBe(50)
      expect((await all(s)).length).toBe(50)
    })

    it.runIf(traits.persistent)('a reopened store has the same letters and ids', async () => {
      const t = await fresh()
      const first = await open(t)
      const a = await first.put(letter())
      const b = await first.put(letter())
      await first.update(b.id, 'sink-failed', 'PostgreSQL down')
      await first.close()
      const second = await open(t)
      const listed = await all(second)
      expect(listed.map((l) => l.id)).toEqual([a.id, b.id])
      expect(fields(listed[1]!)).toEqual({
        ...fields(b),
        reason: 'sink-failed',
        detail: 'PostgreSQL down',
      })
      expect(await second.remove(a.id)).toBe(true)
    })

    it('refuses a letter over maxLetterBytes (ERR_DEAD_LETTER_TOO_LARGE), keeping nothing', async () => {
      const s = await open(await fresh(), { maxLetterBytes: 100 })
      await s.put(letter({ bytes: new Uint8Array(100) }))
      const err = await caught(s.put(letter({ bytes: new Uint8Array(101) })))
      expect(err.code).toBe('ERR_DEAD_LETTER_TOO_LARGE')
      expect(err.message).toBe('a 101-byte message is over the 100-byte limit')
      expect(await all(s)).toHaveLength(1)
    })

    it('rejects a letter of the wrong shape as a caller bug, keeping nothing', async () => {
      const s = await store()
      const cases: [Partial<Record<keyof NewDeadLetter, unknown>>, ErrorConstructor, RegExp][] = [
        [{ reason: 'nope' }, RangeError, /^reason: not a dead-letter reason: "nope"$/],
        [{ topic: 'a\u0000b' }, RangeError, /^topic: contains U\+0000$/],
        [{ detail: 'a\u0000b' }, RangeError, /^detail: contains U\+0000$/],
        [{ bytes: [1, 2] }, TypeError, /^bytes: expected a Uint8Array$/],
        [{ at: -1 }, RangeError, /^at: expected a safe integer ≥ 0/],
        [{ at: 1.5 }, RangeError, /^at: /],
        [{ topic: 5 }, TypeError, /^topic: expected a string$/],
      ]
      for (const [bad, type, message] of cases) {
        const err = await caught(s.put({ ...letter(), ...bad } as NewDeadLetter))
        expect(err).toBeInstanceOf(type)
        expect(err.message).toMatch(message)
      }
      const kept = await s.put(letter())
      expect(await caught(s.update(kept.id, 'bad' as never, 'x'))).toBeInstanceOf(RangeError)
      expect((await all(s)).map((l) => l.id)).toEqual([kept.id])
    })

    it('refuses calls after close (ERR_DEAD_LETTERS_CLOSED); close twice is fine', async () => {
      const s = await store()
      await s.close()
      await s.close()
      const err = await caught(s.put(letter()))
      expect(err.code).toBe('ERR_DEAD_LETTERS_CLOSED')
      expect((await caught(s.count())).code).toBe('ERR_DEAD_LETTERS_CLOSED')
    })

    it('has a description', async () => {
      const s = await store()
      expect(s.description.length).toBeGreaterThan(0)
    })
  })
}
