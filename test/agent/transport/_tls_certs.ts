/**
 * A throw-away PKI made with the openssl binary: a CA, a server certificate for 127.0.0.1 and a
 * client certificate whose CN is the device id. ECDSA P-256, valid one day, in a temporary
 * folder; private keys written 0600.
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  readonly dir: string
  readonly caFile: string
  readonly serverCert: string
  readonly serverKey: string
  readonly clientCert: string
  readonly clientKey: string
}

/** True when an `openssl` binary runs. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

export function makePki(deviceId: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'sealwire-tls-'))
  const f = (name: string): string => join(dir, name)
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
  }
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes']
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=sealwire-test-ca',
  )
  const issue = (name: string, subject: string, ext: string): void => {
    writeFileSync(f(`${name}.ext`), ext)
    run('req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject)
    run(
      'x509',
      '-req',
      '-in',
      f(`${name}.csr`),
      '-CA',
      f('ca.pem'),
      '-CAkey',
      f('ca.key'),
      '-CAcreateserial',
      '-out',
      f(`${name}.pem`),
      '-days',
      '1',
      '-extfile',
      f(`${name}.ext`),
    )
    chmodSync(f(`${name}.key`), 0o600)
  }
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n')
  issue('client', `/CN=${deviceId}`, 'extendedKeyUsage=clientAuth\n')
  return {
    dir,
    caFile: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
  }
}
