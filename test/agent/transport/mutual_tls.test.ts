/**
 * `mqtts://` with mutual TLS against aedes behind a Node TLS server that requires a client
 * certificate from the test CA: the publisher loads the CA, certificate and key files, the
 * server sees the device id as the certificate's CN, and the messages arrive. Without a client
 * certificate the handshake fails and the publisher reports ERR_TRANSPORT_CONNECT and retries.
 */
import { skipWithout } from '../../helpers/index.ts'
import { Aedes } from 'aedes'
import { readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:tls'
import type { AddressInfo } from 'node:net'
import type { Server, TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryOutboxSource,
  MqttPublisher,
  loadBrokerSettings,
} from '../../../agent/src/transport/index.ts'
import type { TransportErrorInfo } from '../../../agent/src/transport/index.ts'
import { DEVICE, announcementOf, dataOf, until, uniquePrefix } from './_fixtures.ts'
import { hasOpenssl, makePki } from './_tls_certs.ts'
import type { TestPki } from './_tls_certs.ts'

describe.skipIf(skipWithout(hasOpenssl(), 'the openssl binary'))(
  'mutual TLS (aedes behind a TLS server)',
  () => {
    let pki: TestPki
    let broker: Aedes
    let server: Server
    const sockets = new Set<TLSSocket>()
    const peers: string[] = []
    let port = 0

    beforeAll(async () => {
      pki = makePki(DEVICE)
      broker = await Aedes.createBroker()
      server = createServer(
        {
          key: readFileSync(pki.serverKey),
          cert: readFileSync(pki.serverCert),
          ca: readFileSync(pki.caFile),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (socket) => {
          sockets.add(socket)
          socket.on('close', () => sockets.delete(socket))
          peers.push(String(socket.getPeerCertificate().subject?.CN))
          broker.handle(socket)
        },
      )
      server.on('tlsClientError', () => {})
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as AddressInfo).port
    })

    afterAll(async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => broker.close(() => resolve()))
      rmSync(pki.dir, { recursive: true, force: true })
    })

    it('connects with the device certificate and publishes', async () => {
      const prefix = uniquePrefix()
      const source = new MemoryOutboxSource()
      source.append(announcementOf(prefix, 1))
      for (let i = 0; i < 20; i++) source.append(dataOf(prefix, 1, i))
      const settings = await loadBrokerSettings({
        url: `mqtts://127.0.0.1:${port}`,
        clientId: DEVICE,
        protocolVersion: 4,
        tls: { caFile: pki.caFile, certFile: pki.clientCert, keyFile: pki.clientKey },
      })
      expect(settings.summary).toContain('mutual TLS')
      const publisher = new MqttPublisher(source, settings)
      publisher.start()
      try {
        await until(() => source.size === 0, 'an empty outbox')
        expect(peers).toContain(DEVICE)
      } finally {
        await publisher.stop()
      }
    })

    it('fails the handshake without a client certificate, and keeps retrying', async () => {
      const source = new MemoryOutboxSource()
      source.append(dataOf(uniquePrefix(), 1, 0))
      const settings = await loadBrokerSettings({
        url: `mqtts://127.0.0.1:${port}`,
        clientId: DEVICE,
        protocolVersion: 4,
        tls: { caFile: pki.caFile },
      })
      const publisher = new MqttPublisher(source, settings, {
        backoff: { initialMs: 5, maxMs: 10 },
      })
      const errors: TransportErrorInfo[] = []
      publisher.on('error', (e) => errors.push(e))
      publisher.start()
      try {
        await until(() => errors.length >= 2, 'two failed attempts')
        expect(errors[0]!.code).toBe('ERR_TRANSPORT_CONNECT')
        expect(publisher.stats().connections).toBe(0)
        expect(source.size).toBe(1)
      } finally {
        await publisher.stop()
      }
    })
  },
)
