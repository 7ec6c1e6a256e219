/**
 * The kms-local HTTP endpoint: `node:http` (so it runs unchanged on Node and Bun), every request
 * through the same pipeline: read the body (1 MiB at most), resolve the operation from
 * `X-Amz-Target`, count the call, apply the family's rate limit, decode the input against the
 * operation's members, run the handler, answer, write the audit event.
 *
 * The durability rule: a request that changes anything runs on a copy of the store (one such
 * request at a time); the copy is saved to the state file and only then becomes the store, so a
 * failed save answers `KMSInternalException` and changes nothing. Time reads come from the
 * injected clock.
 *
 * @example
 * ```ts
 * const kms = await startKmsLocal({ port: 0 })
 * const client = new KMSClient({ endpoint: kms.endpoint, region: kms.region, credentials })
 * // ...
 * await kms.close()
 * ```
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { plain, SHOWN_MAX_CHARS } from '../../platform/src/index.ts'
import { lookup } from './_table.ts'
import { AuditLog, redactRequest, redactResponse, type AuditEvent } from './audit_log.ts'
import { CLOSE_GRACE_MS, MAX_REQUEST_BYTES } from './defaults.ts'
import { KmsApiError, KmsLocalError } from './errors.ts'
import { decodeInput } from './input_schema.ts'
import {
  isAwsJson,
  KMS_OPERATION_NAMES,
  operationOfTarget,
  sendError,
  sendJson,
} from './json_protocol.ts'
import { KeyStore, type StoredKey } from './key_store.ts'
import { OPERATIONS, type Operation, type OperationOutput } from './operations/index.ts'
import { resolveOptions, type KmsLocalOptions } from './options.ts'
import { THROTTLING_MESSAGE, TokenBucket } from './rate_limiter.ts'
import { readState, removeStateTemps, writeState } from './state_file.ts'

/** A running endpoint. */
export interface KmsLocalServer {
  /** Base URL for the SDK's `endpoint`, e.g. `'http://127.0.0.1:41234'`. */
  readonly endpoint: string
  readonly port: number
  readonly region: string
  /** Calls received for one operation (including failed and throttled ones), or in total. */
  callCount(operation?: string): number
  /** Calls received, by operation name. */
  calls(): Readonly<Record<string, number>>
  /** Stops listening, waits for requests in flight (2 s at most), closes the audit log. */
  close(): Promise<void>
}

/**
 * Starts an endpoint. Rejects with `TypeError`/`RangeError` for bad options, and with
 * {@link KmsLocalError} when the state file, the audit log or the port cannot be used.
 *
 * @example
 * ```ts
 * const kms = await startKmsLocal({ stateFile: './kms.json', rateLimits: { cryptographic: 500 } })
 * console.log(kms.endpoint)
 * ```
 */
export async function startKmsLocal(options?: KmsLocalOptions): Promise<KmsLocalServer> {
  const opts = resolveOptions(options)
  const here = { region: opts.region, accountId: opts.accountId }
  if (opts.stateFile) removeStateTemps(opts.stateFile)
  /** The keys and aliases every request sees: replaced only by a store that has been saved. */
  let store = (opts.stateFile && readState(opts.stateFile, here)) || new KeyStore(here)
  if (opts.stateFile) {
    store.sweep(opts.clock.now())
    writeState(opts.stateFile, store) // creates the file, or brings an old one to mode 0600
  }
  const audit = opts.auditLog
    ? AuditLog.open(opts.auditLog, (err) => opts.log(`error ${err.code}: ${err.message}`))
    : undefined
  const counts = new Map<string, number>()
  const start = opts.clock.now()
  const buckets = {
    cryptographic:
      opts.rateLimits.cryptographic === undefined
        ? undefined
        : new TokenBucket(opts.rateLimits.cryptographic, start),
    management:
      opts.rateLimits.management === undefined
        ? undefined
        : new TokenBucket(opts.rateLimits.management, start),
  }
  const inFlight = new Set<Promise<void>>()

  /** Saves `draft` (when there is a state file). @throws {KmsStateError} and nothing changed. */
  const save = (draft: KeyStore): void => {
    if (opts.stateFile) writeState(opts.stateFile, draft)
  }

  const report = (err: unknown, what: string): void => {
    const coded = err instanceof KmsLocalError ? err : undefined
    const cause = coded
      ? `error ${coded.code}: ${coded.message}`
      : `error ERR_INTERNAL: ${plain(errorText(err))}`
    opts.log(`${cause}; ${what}`)
  }

  /**
   * Applies what time does on its own (deletions at the end of the waiting period, expiry of
   * imported material). Synchronous, so no request runs in between. These changes are a function
   * of the saved dates and the clock, so they take effect even when the write fails (it is
   * reported): a restart from the older file makes them again.
   */
  const sweep = (now: number): void => {
    if (!store.hasDue(now)) return
    const draft = store.clone()
    draft.sweep(now)
    try {
      save(draft)
    } catch (err) {
      report(err, 'deletions and expiries due are applied in memory and saved with the next change')
    }
    store = draft
  }

  /** Mutating requests run one at a time, each on a copy of the store. */
  let mutations: Promise<unknown> = Promise.resolve()
  const oneAtATime = <T>(run: () => Promise<T>): Promise<T> => {
    const result = mutations.then(run, run)
    mutations = result.catch(() => undefined)
    return result
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID()
    const now = opts.clock.now()
    let eventName = 'Unknown'
    let operation: Operation | undefined
    let input: Record<string, unknown> | undefined
    let output: OperationOutput | undefined
    let failure: KmsApiError | undefined
    let touched: StoredKey | undefined
    try {
      const body = await readBody(req)
      const name = operationOfTarget(req.headers['x-amz-target'])
      if (name !== undefined) eventName = name
      const path = (req.url ?? '/').split('?')[0]
      if (
        req.method !== 'POST' ||
        path !== '/' ||
        name === undefined ||
        !isAwsJson(req.headers['content-type'])
      ) {
        throw new KmsApiError(
          'UnknownOperationException',
          'Expected POST / with Content-Type application/x-amz-json-1.1 and X-Amz-Target TrentService.<Operation>',
        )
      }
      operation = lookup(OPERATIONS, name)
      if (!operation) {
        if (!KMS_OPERATION_NAMES.has(name)) {
          throw new KmsApiError(
            'UnknownOperationException',
            `Unknown operation ${plain(name, SHOWN_MAX_CHARS)}`,
          )
        }
        counts.set(name, (counts.get(name) ?? 0) + 1)
        throw new KmsApiError(
          'UnsupportedOperationException',
          `kms-local does not implement ${name}`,
        )
      }
      counts.set(name, (counts.get(name) ?? 0) + 1)
      const bucket = buckets[operation.family]
      if (bucket && !bucket.tryTake(now))
        throw new KmsApiError('ThrottlingException', THROTTLING_MESSAGE)
      if (body === undefined) {
        throw new KmsApiError(
          'ValidationException',
          `The request body is larger than ${MAX_REQUEST_BYTES} bytes`,
        )
      }
      let json: unknown
      try {
        json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'))
      } catch {
        throw new KmsApiError('SerializationException', 'The request body is not valid JSON')
      }
      const decoded = decodeInput(operation.input, json)
      input = decoded as Record<string, unknown>
      const op = operation
      const context = (target: KeyStore) => ({
        store: target,
        now,
        requestId,
        touch: (key: StoredKey) => {
          touched = key
        },
      })
      if (!op.mutating) {
        sweep(now)
        output = await op.handle(decoded, context(store))
      } else {
        // The durability rule: a change is made on a copy, saved, and only then becomes the
        // store. When the save fails the client gets KMSInternalException and nothing changed
        // (an SDK retry is a new attempt, not a second key).
        output = await oneAtATime(async () => {
          sweep(now)
          const draft = store.clone()
          const out = await op.handle(decoded, context(draft))
          try {
            save(draft)
          } catch (err) {
            report(err, `${op.name} request ${requestId} was not applied`)
            throw new KmsApiError('KMSInternalException', NOT_SAVED_MESSAGE, { cause: err })
          }
          store = draft
          return out
        })
      }
      sendJson(res, 200, requestId, output)
    } catch (err) {
      if (!(err instanceof KmsApiError)) report(err, `${eventName} request ${requestId} failed`)
      failure =
        err instanceof KmsApiError
          ? err
          : new KmsApiError('KMSInternalException', 'kms-local internal error', { cause: err })
      if (!res.headersSent) sendError(res, requestId, failure)
      else res.destroy()
    } finally {
      audit?.write(() =>
        auditEvent({ eventName, operation, input, output, failure, touched, requestId, now, req }),
      )
    }
  }

  function auditEvent(e: {
    eventName: string
    operation: Operation | undefined
    input: Record<string, unknown> | undefined
    output: OperationOutput | undefined
    failure: KmsApiError | undefined
    touched: StoredKey | undefined
    requestId: string
    now: number
    req: IncomingMessage
  }): AuditEvent {
    const arn = e.touched ? store.arnOf(e.touched) : undefined
    const userAgent = e.req.headers['user-agent']
    return {
      eventVersion: '1.08',
      eventTime: new Date(e.now).toISOString(),
      eventSource: 'kms.amazonaws.com',
      eventName: e.eventName,
      awsRegion: here.region,
      sourceIPAddress: e.req.socket.remoteAddress ?? null,
      userAgent: typeof userAgent === 'string' ? plain(userAgent) : null,
      requestParameters: e.operation && e.input ? redactRequest(e.operation.input, e.input) : null,
      responseElements: e.output ? redactResponse(e.output) : null,
      requestID: e.requestId,
      eventID: randomUUID(),
      readOnly: e.operation ? !e.operation.mutating : true,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: here.accountId,
      eventCategory: 'Management',
      ...(e.touched &&
        arn && {
          keyId: e.touched.keyId,
          keyArn: arn,
          resources: [{ ARN: arn, accountId: here.accountId, type: 'AWS::KMS::Key' as const }],
        }),
      ...(e.failure && { errorCode: e.failure.type, errorMessage: e.failure.message }),
    }
  }

  const server = createServer((req, res) => {
    // `handle` answers every failure itself; this only keeps a bug from becoming an unhandled
    // rejection that ends the process.
    const p = handle(req, res)
      .catch((err: unknown) => {
        opts.log(`error ERR_INTERNAL: kms-local failed a request: ${plain(errorText(err))}`)
        if (!res.headersSent) res.destroy()
      })
      .finally(() => inFlight.delete(p))
    inFlight.add(p)
  })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (cause) {
    audit?.close()
    throw new KmsLocalError(
      'ERR_KMS_LOCAL_LISTEN',
      `cannot listen on ${opts.host}:${opts.port}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`,
      { cause },
    )
  }
  const port = (server.address() as AddressInfo).port
  const endpoint = `http://${urlHost(opts.host)}:${port}`
  let closing: Promise<void> | undefined

  return Object.freeze({
    endpoint,
    port,
    region: opts.region,
    callCount(operation?: string): number {
      if (operation !== undefined) return counts.get(operation) ?? 0
      let total = 0
      for (const n of counts.values()) total += n
      return total
    },
    calls(): Readonly<Record<string, number>> {
      return Object.freeze(
        Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))),
      )
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections?.()
        let timer: ReturnType<typeof setTimeout> | undefined
        const grace = new Promise<void>((resolve) => {
          timer = setTimeout(() => {
            server.closeAllConnections?.()
            resolve()
          }, CLOSE_GRACE_MS)
        })
        await Promise.race([Promise.all([closed, Promise.allSettled([...inFlight])]), grace])
        clearTimeout(timer)
        await Promise.allSettled([...inFlight])
        audit?.close()
      })()
      return closing
    },
  })
}

/** The message of the `KMSInternalException` answered when a change could not be saved. */
const NOT_SAVED_MESSAGE = 'kms-local could not save the change, so it was not made'

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Reads the body; `undefined` when it is over the limit (the rest is read and dropped). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST_BYTES) tooLarge = true
      else chunks.push(chunk)
    })
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/** The host part of the endpoint URL: a wildcard address becomes loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1'
  if (host === '::') return '[::1]'
  return host.includes(':') ? `[${host}]` : host
}
