/**
 * The local ingest API, on loopback (default `127.0.0.1:8787`) or a Unix socket:
 *
 * - `POST /v1/readings`: a JSON object, a JSON array or NDJSON of readings. **200
 *   `{"accepted": n}` only after every reading of the request is durably queued**; all or
 *   nothing: 400 `{"error": "ERR_READING_INVALID", "message": "line 3: …"}` queues nothing.
 *   503 with `Retry-After` (seconds) when the outbox is full under `reject-new`, when entropy has
 *   failed, or while stopping. 413 for a body over the limit, 415 for another content type.
 * - `GET /metrics`: Prometheus text format.
 * - `GET /healthz`: 200 `{"status": "ok", …}` or 503 `{"status": "failing", "reason": …}`.
 *
 * @example
 * ```sh
 * curl -sS -X POST http://127.0.0.1:8787/v1/readings -d '{"stream":"temp","value":21.5}'
 * ```
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { createServer } from 'node:http'
import { isCodedError } from '../../../platform/src/index.ts'
import type { Reading } from './parse_readings.ts'
import { ReadingError, parseReadings } from './parse_readings.ts'

/** What the server needs from the agent. */
export interface IngestTarget {
  /** Queues readings durably; resolves with their count. Throws a coded error to refuse. */
  submit(readings: readonly Reading[]): Promise<number>
  /** Prometheus text. */
  metricsText(): Promise<string>
  readonly metricsContentType: string
  /** Health for `/healthz`. */
  health(): { readonly ok: boolean; readonly detail: Readonly<Record<string, unknown>> }
  /** Counts a request refused before it reached `submit` (a body that does not parse). */
  refused(err: unknown, readings: number): void
}

/** Where to listen: `HOST:PORT` or `unix:/path`. */
export type ListenAddress = { host: string; port: number } | { path: string }

/** Options of {@link startIngestServer}. */
export interface IngestServerOptions {
  readonly listen: ListenAddress
  readonly maxBodyBytes: number
  /** Codes answered 503 with the error's `retryAfterMs` (or 1 s). */
  readonly unavailableCodes?: ReadonlySet<string>
}

/** A running server. */
export interface IngestServer {
  /** `http://127.0.0.1:8787` or `unix:/path`. */
  readonly url: string
  close(): Promise<void>
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer): void => {
      size += chunk.length
      if (size > max) {
        // Stop buffering; the caller answers 413 and closes the connection afterwards.
        req.off('data', onData)
        req.resume()
        reject(new BodyTooLarge())
        return
      }
      chunks.push(chunk)
    }
    req.on('data', onData)
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...headers,
  })
  res.end(text)
}

/**
 * Parses a `--http` value: `HOST:PORT` (IPv6 as `[::1]:8787`) or `unix:/path/to.sock`.
 *
 * @throws {RangeError} with the reason; the caller names the setting.
 */
export function parseListenAddress(text: string): ListenAddress {
  if (text.startsWith('unix:')) {
    const path = text.slice(5)
    if (!path.startsWith('/'))
      throw new RangeError('a Unix socket path must be absolute: unix:/path')
    return { path }
  }
  const m = /^(\[[0-9a-fA-F:]+\]|[^:[\]]+):(\d{1,5})$/.exec(text)
  if (!m || Number(m[2]) > 65535) {
    throw new RangeError('expected HOST:PORT (e.g. 127.0.0.1:8787) or unix:/path')
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) }
}

/**
 * Starts the server; resolves once it listens.
 *
 * @example
 * ```ts
 * const server = await startIngestServer(agent, { listen: { host: '127.0.0.1', port: 0 }, maxBodyBytes: 1 << 22 })
 * ```
 */
export async function startIngestServer(
  target: IngestTarget,
  options: IngestServerOptions,
): Promise<IngestServer> {
  const unavailable = options.unavailableCodes ?? new Set<string>()
  const server: Server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'ERR_INTERNAL', message: 'internal error' })
      else res.destroy()
    })
  })
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]
    if (path === '/v1/readings') {
      if (req.method !== 'POST')
        return send(res, 405, { error: 'method not allowed' }, { allow: 'POST' })
      const type = (req.headers['content-type'] ?? 'application/json')
        .split(';')[0]!
        .trim()
        .toLowerCase()
      const ndjson = type === 'application/x-ndjson' || type === 'application/jsonl'
      if (
        !ndjson &&
        type !== 'application/json' &&
        type !== 'application/x-www-form-urlencoded' &&
        type !== 'text/plain'
      ) {
        return send(res, 415, {
          error: 'ERR_READING_INVALID',
          message: `unsupported content type ${type}`,
        })
      }
      let body: string
      try {
        body = await readBody(req, options.maxBodyBytes)
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.once('finish', () => req.socket.destroy())
          return send(
            res,
            413,
            { error: 'ERR_READING_INVALID', message: `body over ${options.maxBodyBytes} bytes` },
            { connection: 'close' },
          )
        }
        throw err
      }
      let readings: Reading[]
      try {
        readings = parseReadings(body, { ndjson })
      } catch (err) {
        if (err instanceof ReadingError) {
          target.refused(err, 1)
          return send(res, 400, { error: err.code, message: err.message })
        }
        throw err
      }
      try {
        const accepted = await target.submit(readings)
        return send(res, 200, { accepted })
      } catch (err) {
        if (isCodedError(err) && (unavailable.has(err.code) || err instanceof ReadingError)) {
          if (err instanceof ReadingError)
            return send(res, 400, { error: err.code, message: err.message })
          const ms = (err as { retryAfterMs?: unknown }).retryAfterMs
          const seconds = Math.max(1, Math.ceil((typeof ms === 'number' ? ms : 1000) / 1000))
          return send(
            res,
            503,
            { error: err.code, message: err.message },
            { 'retry-after': String(seconds) },
          )
        }
        throw err
      }
    }
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) {
      const text = await target.metricsText()
      res.writeHead(200, { 'content-type': target.metricsContentType })
      res.end(req.method === 'HEAD' ? undefined : text)
      return
    }
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const h = target.health()
      return send(res, h.ok ? 200 : 503, { status: h.ok ? 'ok' : 'failing', ...h.detail })
    }
    return send(res, 404, { error: 'not found' })
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    const l = options.listen
    if ('path' in l) server.listen(l.path, () => resolve())
    else server.listen(l.port, l.host, () => resolve())
  })
  const address = server.address()
  const url =
    typeof address === 'string'
      ? `unix:${address}`
      : `http://${address!.family === 'IPv6' ? `[${address!.address}]` : address!.address}:${address!.port}`
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
