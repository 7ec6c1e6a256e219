/**
 * The agent's spool folder (README "Spool"): files dropped into `spool.dir` are sealed to the
 * device's key (the `sealwire/1` stream format, `envelope/STREAM.md`) while they upload to S3
 * (multipart, `@aws-sdk/lib-storage`), and each is deleted only once its upload completed.
 *
 * - A file is taken when it is a regular file whose name does not start with `.`, and its size
 *   and modification time did not change between two scans (`scanMs` apart): drop files by
 *   renaming them into the folder, or let the two scans see them settle.
 * - One upload at a time, oldest modification first. A failed upload leaves the file and is
 *   retried at the next scan; so is a file whose upload a stop or crash interrupted: after a
 *   restart every file still in the folder is uploaded again from its start, under a fresh data
 *   key (no key is ever written to disk, so a half-sent sealed stream cannot be continued). An
 *   interrupted multipart upload is aborted when the agent stops; one a crash left behind is
 *   removed by the bucket's `AbortIncompleteMultipartUpload` lifecycle rule.
 * - The object is complete before the file is deleted (`CompleteMultipartUpload` or `PutObject`
 *   answered), then the folder is `fsync`ed: a crash in between uploads the file once more.
 *
 * @example
 * ```ts
 * const spool = new FileSpool({ dir, location, client, key: bundle.key, deviceId, scanMs: 2000 })
 * spool.start()
 * await spool.stop()
 * ```
 */
import { open, readdir, stat, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { createKeyWrapper, sealStream, toHex } from '../../../envelope/src/index.ts'
import type { RecipientKey } from '../../../envelope/src/index.ts'
import { fsyncDir } from '../../../platform/src/index.ts'
import { spoolDefaults } from './defaults.ts'
import { objectKey } from './spool_location.ts'
import type { SpoolLocation } from './spool_location.ts'

/** What the spool reports, one event per file outcome (no key material, no contents). */
export type SpoolEvent =
  | {
      readonly event: 'spool-uploaded'
      readonly file: string
      readonly key: string
      readonly bytes: number
    }
  | { readonly event: 'spool-failed'; readonly file: string; readonly error: unknown }

/** Options of {@link FileSpool}. */
export interface FileSpoolOptions {
  readonly dir: string
  readonly location: SpoolLocation
  readonly client: S3Client
  /** The device's recipient key (its verified bundle's). */
  readonly key: RecipientKey
  readonly deviceId: string
  readonly scanMs?: number | undefined
  readonly onEvent?: ((event: SpoolEvent) => void) | undefined
}

/** A file seen at a scan. */
interface Seen {
  readonly size: number
  readonly mtimeMs: number
}

/**
 * Watches a folder and uploads what settles in it.
 *
 * @example
 * ```ts
 * await new FileSpool(options).scan() // one scan; uploads what was already stable
 * ```
 */
export class FileSpool {
  readonly #o: FileSpoolOptions
  readonly #wrapper: ReturnType<typeof createKeyWrapper>
  readonly #seen = new Map<string, Seen>()
  #timer: ReturnType<typeof setTimeout> | undefined
  #running: Promise<void> | undefined
  #upload: Upload | undefined
  #stopped = false

  constructor(options: FileSpoolOptions) {
    this.#o = options
    this.#wrapper = createKeyWrapper(options.key)
  }

  /** Starts scanning every `scanMs`. */
  start(): void {
    const tick = (): void => {
      if (this.#stopped) return
      this.#running = this.scan()
        .then(() => undefined)
        .catch((error: unknown) => this.#o.onEvent?.({ event: 'spool-failed', file: '', error }))
        .finally(() => {
          this.#running = undefined
          if (!this.#stopped) this.#timer = setTimeout(tick, this.#o.scanMs ?? spoolDefaults.scanMs)
        })
    }
    tick()
  }

  /** Stops scanning and aborts an upload in flight (its file stays for the next start). */
  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    await this.#upload?.abort().catch(() => undefined)
    await this.#running
  }

  /**
   * One scan: uploads every file that was also seen, unchanged, at the previous scan. Returns
   * how many were uploaded.
   *
   * @example
   * ```ts
   * await spool.scan(); await spool.scan() // the second one uploads what the first saw
   * ```
   */
  async scan(): Promise<number> {
    const now = new Map<string, Seen>()
    for (const entry of await readdir(this.#o.dir, { withFileTypes: true })) {
      if (!entry.isFile() || entry.name.startsWith('.')) continue
      try {
        const s = await stat(join(this.#o.dir, entry.name))
        now.set(entry.name, { size: s.size, mtimeMs: s.mtimeMs })
      } catch {
        // Gone between readdir and stat: nothing to do.
      }
    }
    const ready = [...now]
      .filter(([name, s]) => {
        const before = this.#seen.get(name)
        return before !== undefined && before.size === s.size && before.mtimeMs === s.mtimeMs
      })
      .sort((a, b) => a[1].mtimeMs - b[1].mtimeMs || (a[0] < b[0] ? -1 : 1))
    this.#seen.clear()
    for (const [name, s] of now) this.#seen.set(name, s)
    let uploaded = 0
    for (const [name] of ready) {
      if (this.#stopped) break
      try {
        await this.#send(name)
        this.#seen.delete(name)
        uploaded++
      } catch (error) {
        if (!this.#stopped) this.#o.onEvent?.({ event: 'spool-failed', file: name, error })
      }
    }
    return uploaded
  }

  async #send(name: string): Promise<void> {
    const path = join(this.#o.dir, name)
    const key = objectKey(this.#o.location, this.#o.deviceId, name)
    let fh: FileHandle | undefined
    try {
      fh = await open(path, 'r')
      const handle = fh
      let bytes = 0
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for (;;) {
          const buf = new Uint8Array(spoolDefaults.readBytes)
          const { bytesRead } = await handle.read(buf, 0, buf.length, null)
          if (bytesRead === 0) return
          bytes += bytesRead
          yield buf.subarray(0, bytesRead)
        }
      }
      const sealed = sealStream(chunks(), { wrapper: this.#wrapper })
      this.#upload = new Upload({
        client: this.#o.client,
        params: {
          Bucket: this.#o.location.bucket,
          Key: key,
          Body: Readable.from(sealed, { objectMode: false }),
          ContentType: 'application/octet-stream',
          Metadata: {
            'sealwire-format': 'stream-1',
            'sealwire-pin-id': toHex(this.#o.key.pinId),
            'sealwire-device-id': this.#o.deviceId,
          },
        },
        partSize: spoolDefaults.partBytes,
        queueSize: spoolDefaults.queueSize,
        leavePartsOnError: false,
      })
      await this.#upload.done()
      this.#upload = undefined
      await fh.close()
      fh = undefined
      await unlink(path)
      await fsyncDir(this.#o.dir)
      this.#o.onEvent?.({ event: 'spool-uploaded', file: name, key, bytes })
    } finally {
      this.#upload = undefined
      await fh?.close().catch(() => undefined)
    }
  }
}
