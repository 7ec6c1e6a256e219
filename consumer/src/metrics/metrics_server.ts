/**
 * The consumer's HTTP endpoint for Prometheus (`--metrics HOST:PORT`): `GET /metrics` (text
 * format 0.0.4) and `GET /healthz` (`200 {"status":"ok"}` while running, `503` while stopping).
 * Nothing else; no request body is read. `node:http`, so it runs unchanged on Node and Bun.
 *
 * @example
 * ```ts
 * const server = await startMetricsServer(metrics.registry, { host: '127.0.0.1', port: 9464 }, () => 'ok')
 * server.url // 'http://127.0.0.1:9464'
 * await server.close()
 * ```
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'

/** A running endpoint. */
export interface MetricsServer {
  readonly url: string
  close(): Promise<void>
}

/**
 * Listens on `listen` (port 0 picks a free one).
 *
 * @example
 * ```ts
 * await startMetricsServer(registry, { host: '127.0.0.1', port: 0 }, () => 'ok')
 * ```
 */
export async function startMetricsServer(
  registry: Registry,
  listen: { readonly host: string; readonly port: number },
  health: () => 'ok' | 'stopping',
): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
      return
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      )
      return
    }
    if (path === '/healthz') {
      const status = health()
      res
        .writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status }))
      return
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections?.()
      }),
  }
}
