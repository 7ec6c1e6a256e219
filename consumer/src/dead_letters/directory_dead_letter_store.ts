/**
 * {@link DeadLetterStore} in a folder (`--dead-letters DIR`): one file per letter, written
 * atomically (platform's `writeFileAtomic`: temporary file, fsync, rename, fsync of the folder),
 * in the format of `_letter_file.ts` (normative text: `consumer/README.md`, "Dead letters
 * (format)"). File names sort by the time the message was received, so `list()` is a sorted
 * `readdir` and each letter is read only when the iteration reaches it.
 *
 * One replayer at a time per folder: an `update` racing a `remove` of the same letter from
 * another process can bring the letter back (it is then replayed once more, harmlessly: the
 * sinks are idempotent).
 *
 * @example
 * ```ts
 * const letters = await DirectoryDeadLetterStore.open('/var/lib/sealwire/dead-letters')
 * await letters.put({ topic, bytes, reason: 'epoch-unknown', detail: 'no announcement after 30 s', at })
 * for await (const l of letters.list()) console.log(l.id, l.reason)
 * ```
 */
import { readdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  ensureDir,
  fsyncDir,
  IoError,
  plain,
  readFileBounded,
  removeStaleTemps,
  shown,
  writeFileAtomic,
} from '../../../platform/src/index.ts'
import { assertDetail, assertNewLetter, assertReason } from './_checks.ts'
import {
  decodeLetter,
  encodeLetter,
  idOfFileName,
  isLetterId,
  LETTER_SUFFIX,
  newLetterId,
} from './_letter_file.ts'
import type {
  DeadLetter,
  DeadLetterReason,
  DeadLetterStore,
  NewDeadLetter,
} from './dead_letter_store.ts'
import { deadLetterDefaults } from './defaults.ts'
import { DeadLetterError } from './errors.ts'

/** Options of {@link DirectoryDeadLetterStore.open}. */
export interface DirectoryDeadLetterStoreOptions {
  /** Largest message kept; default 16 MiB. */
  readonly maxLetterBytes?: number
  /** Modes of a folder created here and of each letter; defaults 0700 and 0600. */
  readonly dirMode?: number
  readonly fileMode?: number
}

/** The folder {@link DeadLetterStore}. */
export class DirectoryDeadLetterStore implements DeadLetterStore {
  readonly description: string
  readonly #dir: string
  readonly #maxBytes: number
  readonly #maxFileBytes: number
  readonly #fileMode: number
  #counter = 0
  #closed = false

  private constructor(dir: string, maxBytes: number, fileMode: number) {
    this.#dir = dir
    this.description = dir
    this.#maxBytes = maxBytes
    // base64 is 4/3 of the bytes; the header holds a topic (≤ 64 KiB in MQTT) and a detail line.
    this.#maxFileBytes = Math.ceil(maxBytes / 3) * 4 + 1024 * 1024
    this.#fileMode = fileMode
  }

  /**
   * Opens the folder `dir`, creating it (mode 0700) if missing, and removes temporary files a
   * crash left behind.
   *
   * @throws {DeadLetterError} `ERR_CONFIG` when it cannot be created or is not a folder.
   */
  static async open(
    dir: string,
    options: DirectoryDeadLetterStoreOptions = {},
  ): Promise<DirectoryDeadLetterStore> {
    const d = deadLetterDefaults
    const maxBytes = options.maxLetterBytes ?? d.maxLetterBytes
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
      throw new DeadLetterError(
        'ERR_CONFIG',
        `maxLetterBytes: expected an integer ≥ 1, got ${shown(maxBytes)}`,
      )
    }
    if (typeof dir !== 'string' || dir === '') {
      throw new DeadLetterError('ERR_CONFIG', 'a dead-letter folder is required')
    }
    try {
      await ensureDir(dir, options.dirMode ?? d.dirMode)
      await readdir(dir)
    } catch (err) {
      throw new DeadLetterError(
        'ERR_CONFIG',
        `${shown(dir, 200)}: ${plain((err as Error).message)}`,
        {
          cause: err,
        },
      )
    }
    await removeStaleTemps(dir)
    return new DirectoryDeadLetterStore(dir, maxBytes, options.fileMode ?? d.fileMode)
  }

  #open(): void {
    if (this.#closed) {
      throw new DeadLetterError(
        'ERR_DEAD_LETTERS_CLOSED',
        `${this.#dir}: the dead-letter store is closed`,
      )
    }
  }

  #path(id: string): string {
    return join(this.#dir, `${id}${LETTER_SUFFIX}`)
  }

  #failed(what: string, err: unknown): DeadLetterError {
    if (err instanceof DeadLetterError) return err
    return new DeadLetterError(
      'ERR_DEAD_LETTERS_UNAVAILABLE',
      `${this.#dir}: cannot ${what}: ${plain((err as Error).message)}`,
      { cause: err },
    )
  }

  async put(letter: NewDeadLetter): Promise<DeadLetter> {
    assertNewLetter(letter)
    this.#open()
    if (letter.bytes.length > this.#maxBytes) {
      throw new DeadLetterError(
        'ERR_DEAD_LETTER_TOO_LARGE',
        `a ${letter.bytes.length}-byte message is over the ${this.#maxBytes}-byte limit`,
      )
    }
    const id = newLetterId(letter.at, this.#counter++)
    try {
      await writeFileAtomic(this.#path(id), encodeLetter(letter), this.#fileMode)
    } catch (err) {
      throw this.#failed('keep a letter', err)
    }
    return {
      id,
      topic: letter.topic,
      bytes: Uint8Array.from(letter.bytes),
      reason: letter.reason,
      detail: letter.detail,
      at: letter.at,
    }
  }

  /** The letter `id`, or undefined when its file is gone. */
  async #read(id: string): Promise<DeadLetter | undefined> {
    const path = this.#path(id)
    let bytes: Uint8Array
    try {
      bytes = await readFileBounded(path, this.#maxFileBytes)
    } catch (err) {
      if (err instanceof IoError && err.reason === 'missing') return undefined
      if (err instanceof IoError && (err.reason === 'too-large' || err.reason === 'not-regular')) {
        throw new DeadLetterError('ERR_DEAD_LETTER_INVALID', plain(err.message), { cause: err })
      }
      throw this.#failed('read a letter', err)
    }
    return decodeLetter(Buffer.from(bytes).toString('utf8'), id, path)
  }

  async #ids(): Promise<string[]> {
    let names: string[]
    try {
      names = await readdir(this.#dir)
    } catch (err) {
      throw this.#failed('list the folder', err)
    }
    const ids: string[] = []
    for (const name of names) {
      const id = idOfFileName(name)
      if (id !== undefined) ids.push(id)
    }
    return ids.sort()
  }

  async *list(): AsyncIterable<DeadLetter> {
    this.#open()
    for (const id of await this.#ids()) {
      this.#open()
      const letter = await this.#read(id)
      if (letter !== undefined) yield letter
    }
  }

  async update(id: string, reason: DeadLetterReason, detail: string): Promise<void> {
    assertReason(reason)
    assertDetail(detail)
    this.#open()
    if (!isLetterId(id)) return
    const letter = await this.#read(id)
    if (letter === undefined) return
    try {
      await writeFileAtomic(
        this.#path(id),
        encodeLetter({ ...letter, reason, detail }),
        this.#fileMode,
      )
    } catch (err) {
      throw this.#failed('update a letter', err)
    }
  }

  async remove(id: string): Promise<boolean> {
    this.#open()
    if (!isLetterId(id)) return false
    try {
      await rm(this.#path(id))
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return false
      throw this.#failed('remove a letter', err)
    }
    try {
      await fsyncDir(this.#dir)
    } catch (err) {
      throw this.#failed('remove a letter', err)
    }
    return true
  }

  async count(): Promise<Readonly<Partial<Record<DeadLetterReason, number>>>> {
    const out: Partial<Record<DeadLetterReason, number>> = {}
    for await (const l of this.list()) out[l.reason] = (out[l.reason] ?? 0) + 1
    return out
  }

  async close(): Promise<void> {
    this.#closed = true
  }
}
