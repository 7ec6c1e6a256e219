/**
 * Helpers of the kms-client tests: RSA keys from node:crypto, crafted GetPublicKey responses, and
 * local servers that misbehave the ways a real network does (refuses, never answers, answers
 * HTML, throttles in front of kms-local), all on 127.0.0.1 with port 0.
 */
import { createHash, generateKeyPairSync } from 'node:crypto'
import { createServer as createHttpServer, request as httpRequest } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createNetServer } from 'node:net'
import type { Socket } from 'node:net'
import { systemClock } from '../../platform/src/index.ts'
import type { Clock } from '../../platform/src/index.ts'
import type { PublicKeyResponse } from '../../kms-client/src/index.ts'

export { caught, hex, vectorsDir } from '../helpers/index.ts'

/** Credentials kms-local accepts (it checks the shape of the signature, not the secret). */
export const ENV = Object.freeze({
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
})

/** A fake but well-formed key ARN. */
export const TEST_ARN =
  'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'

const keyCache = new Map<string, Uint8Array>()

/** The DER SPKI of a fresh RSA key (cached per size and exponent within a test file). */
export function rsaSpki(bits: number, exponent = 65537): Uint8Array {
  const id = `${bits}/${exponent}`
  const cached = keyCache.get(id)
  if (cached) return cached
  const { publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicExponent: exponent,
  })
  const der = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  keyCache.set(id, der)
  return der
}

/** SHA-256 hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A GetPublicKey response as KMS returns it for an RSA_2048 ENCRYPT_DECRYPT key. */
export function publicKeyResponse(
  spki: Uint8Array,
  overrides: Partial<Record<keyof PublicKeyResponse, unknown>> = {},
): PublicKeyResponse {
  return {
    KeyId: TEST_ARN,
    PublicKey: spki,
    KeySpec: 'RSA_2048',
    KeyUsage: 'ENCRYPT_DECRYPT',
    EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'],
    ...overrides,
  } as PublicKeyResponse
}

/**
 * The system clock, except that a sleep of at most `backoffCeilingMs` returns at once and records
 * its delay: retry tests see every backoff and wait on none. Longer sleeps (a session's attempt
 * deadline, 20 s by default) stay real, so they never fire during a test.
 */
export function instantClock(backoffCeilingMs = 5_000): Clock & { readonly sleeps: number[] } {
  const sleeps: number[] = []
  return {
    now: () => systemClock.now(),
    monotonic: () => systemClock.monotonic(),
    sleeps,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (ms > backoffCeilingMs) return systemClock.sleep(ms, signal)
      sleeps.push(ms)
      return Promise.resolve()
    },
  }
}

/** A local server and its address. */
export interface LocalServer {
  readonly endpoint: string
  readonly port: number
  close(): Promise<void>
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** A TCP server that accepts every connection and never writes a byte. */
export async function silentServer(): Promise<LocalServer & { connections(): number }> {
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createNetServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

/** An HTTP server whose every answer is `handler`'s. */
export async function httpServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => void,
): Promise<LocalServer & { requests(): number }> {
  let requests = 0
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests++
      handler(req, res, Buffer.concat(chunks))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** An HTTP server answering every request with an HTML page and `status` (a captive portal). */
export function htmlServer(status: number): ReturnType<typeof httpServer> {
  return httpServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
    res.end('<!doctype html><html><body><form>Sign in to the guest Wi-Fi</form></body></html>')
  })
}

/** An AWS JSON 1.1 error answer, as KMS sends it. */
export function kmsError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-requestid': '00000000-0000-4000-8000-000000000000',
  })
  res.end(JSON.stringify({ __type: type, message }))
}

/**
 * A proxy in front of kms-local: for each request, `fault` may answer it (return true) instead of
 * forwarding it, e.g. with a ThrottlingException for the first n `Decrypt` calls.
 */
export function faultProxy(
  target: string,
  fault: (operation: string, res: ServerResponse) => boolean,
): ReturnType<typeof httpServer> {
  return httpServer((req, res, body) => {
    const target_ = String(req.headers['x-amz-target'] ?? '')
    const operation = target_.replace(/^TrentService\./, '')
    if (fault(operation, res)) return
    const headers = { ...req.headers }
    delete headers.host
    const upstream = httpRequest(
      `${target}${req.url ?? '/'}`,
      { method: req.method, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers)
        up.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    upstream.end(body)
  })
}
