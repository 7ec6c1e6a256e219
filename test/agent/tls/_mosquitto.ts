/**
 * A Mosquitto of the test's own: a config with one mutual-TLS listener on a free loopback port
 * (`require_certificate`, `use_identity_as_username`, no anonymous clients) and an `acl_file`,
 * started as a child process and stopped by its pid. Its log is kept for failure messages.
 */
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { createServer, connect } from 'node:net'
import { join } from 'node:path'
import type { TestPki } from './_pki.ts'

/**
 * The Mosquitto binary: `which mosquitto`, else the Debian location outside a user's PATH
 * (`/usr/sbin`); undefined when there is none.
 */
export function mosquittoBinary(): string | undefined {
  try {
    const found = execFileSync('which', ['mosquitto'], { encoding: 'utf8' }).trim()
    if (found !== '') return found
  } catch {
    // not on PATH
  }
  for (const p of ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto']) {
    try {
      accessSync(p, constants.X_OK)
      return p
    } catch {
      // absent
    }
  }
  return undefined
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

/** True when something accepts a TCP connection on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** The ACL: every client writes under its own id only; `admin` reads everything. */
function aclText(prefix: string, admin: string): string {
  return [
    '# Every authenticated client (user name = certificate CN): write under its own id, nothing else.',
    `pattern write ${prefix}/%u/#`,
    '',
    `user ${admin}`,
    'topic read #',
    '',
  ].join('\n')
}

/** What {@link startMosquitto} needs. */
export interface MosquittoOptions {
  readonly binary: string
  readonly dir: string
  readonly pki: TestPki
  /** The topic prefix of the devices' ACL pattern. */
  readonly prefix: string
  /** The identity (certificate CN) allowed to read `#`. */
  readonly admin: string
}

/** A running Mosquitto. */
export interface RunningMosquitto {
  readonly port: number
  readonly url: string
  readonly configFile: string
  /** Everything it logged so far. */
  log(): string
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>
}

function configText(port: number, o: MosquittoOptions, aclFile: string): string {
  const lines = [
    'per_listener_settings false',
    'allow_anonymous false',
    `acl_file ${aclFile}`,
    'persistence false',
    'log_dest stderr',
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
    'log_type debug',
    'connection_messages true',
    // As root, Mosquitto would switch to the "mosquitto" user, which cannot read our 0700 folder;
    // for any other user the setting has no effect, so it is only written for root.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
    '',
    `listener ${port} 127.0.0.1`,
    `cafile ${o.pki.ca}`,
    `certfile ${o.pki.server.cert}`,
    `keyfile ${o.pki.server.key}`,
    'require_certificate true',
    'use_identity_as_username true',
    '',
  ]
  return lines.join('\n')
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((resolve) => child.once('exit', () => resolve()))
}

async function startOnce(o: MosquittoOptions, port: number): Promise<RunningMosquitto> {
  const aclFile = join(o.dir, 'acl')
  const configFile = join(o.dir, 'mosquitto.conf')
  await writeFile(aclFile, aclText(o.prefix, o.admin), { mode: 0o600 })
  await writeFile(configFile, configText(port, o, aclFile), { mode: 0o600 })
  const child = spawn(o.binary, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  const keep = (b: Buffer): void => {
    log = (log + b.toString('utf8')).slice(-256 * 1024)
  }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  let spawnError: Error | undefined
  child.once('error', (err) => (spawnError = err))

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const done = exited(child)
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await done
    clearTimeout(timer)
  }

  const deadline = Date.now() + 10_000
  for (;;) {
    if (spawnError !== undefined) throw spawnError
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}) at start:\n${log}`)
    }
    if (await accepts(port)) break
    if (Date.now() > deadline) {
      await stop()
      throw new Error(`mosquitto did not listen on ${port} within 10 s:\n${log}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return {
    port,
    url: `mqtts://127.0.0.1:${port}`,
    configFile,
    log: () => log,
    stop,
  }
}

/**
 * Writes the config and the ACL into `dir` and starts Mosquitto on a free port; a port taken
 * between choosing and binding it gets another try.
 */
export async function startMosquitto(o: MosquittoOptions): Promise<RunningMosquitto> {
  let last: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(o, await freePort())
    } catch (err) {
      last = err
      if (!/Address already in use/i.test(String(err))) throw err
    }
  }
  throw last
}
