/**
 * A throwaway PKI made with the `openssl` command line in a folder of the caller: a CA, a server
 * certificate for 127.0.0.1 (IP subjectAltName, so hostname checks pass without SNI) and one
 * client certificate per identity with CN = the identity (Mosquitto's
 * `use_identity_as_username` makes the CN the MQTT user name). Private keys are written 0600.
 */
import { execFile } from 'node:child_process'
import { chmod, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Paths of one certificate and its private key (PEM). */
interface CertFiles {
  readonly cert: string
  readonly key: string
}

/** The CA certificate, the server's pair and a pair per client identity. */
export interface TestPki {
  readonly ca: string
  readonly server: CertFiles
  readonly clients: ReadonlyMap<string, CertFiles>
}

async function openssl(cwd: string, args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 })
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() || e.message}`)
  }
}

/** A P-256 key (fast to make, accepted by Mosquitto and Node) and a CSR with subject CN=`cn`. */
async function keyAndCsr(dir: string, name: string, cn: string): Promise<void> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`])
  await chmod(join(dir, `${name}.key`), 0o600)
  await openssl(dir, [
    'req',
    '-new',
    '-key',
    `${name}.key`,
    '-subj',
    `/CN=${cn}`,
    '-out',
    `${name}.csr`,
  ])
}

async function sign(dir: string, name: string, extensions: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), extensions)
  await openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-sha256',
    '-extfile',
    `${name}.ext`,
    '-out',
    `${name}.crt`,
  ])
}

/**
 * Makes the CA, the server certificate for 127.0.0.1 and a client certificate for every name in
 * `clients`, all in `dir`.
 *
 * @example
 * ```ts
 * const pki = await makeTestPki(dir, ['dev-1', 'dev-2', 'admin'])
 * pki.clients.get('dev-1')!.key // <dir>/client-dev-1.key, mode 0600
 * ```
 */
export async function makeTestPki(dir: string, clients: readonly string[]): Promise<TestPki> {
  await openssl(dir, ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key'])
  await chmod(join(dir, 'ca.key'), 0o600)
  await openssl(dir, [
    'req',
    '-new',
    '-x509',
    '-key',
    'ca.key',
    '-subj',
    '/CN=sealwire test CA',
    '-days',
    '2',
    '-sha256',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-out',
    'ca.crt',
  ])
  await keyAndCsr(dir, 'server', '127.0.0.1')
  await sign(
    dir,
    'server',
    'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n' +
      'extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n',
  )
  const pairs = new Map<string, CertFiles>()
  for (const id of clients) {
    const name = `client-${id}`
    await keyAndCsr(dir, name, id)
    await sign(
      dir,
      name,
      'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n',
    )
    pairs.set(id, { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) })
  }
  return {
    ca: join(dir, 'ca.crt'),
    server: { cert: join(dir, 'server.crt'), key: join(dir, 'server.key') },
    clients: pairs,
  }
}
