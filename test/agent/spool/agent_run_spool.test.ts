/**
 * The spool folder through `sealwire-agent run` (settings from the environment, wiring in
 * `main.ts`): a file dropped while the agent runs ends up sealed in S3 (s3rver) and opens with the
 * device's private key; `spool.dir` without `spool.url` is refused at start with exit 78.
 */
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../../agent/src/main.ts'
import { createLocalUnwrap, openBytes } from '../../../envelope/src/index.ts'
import { capture, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { ENV, startS3 } from '../../files/_helpers.ts'
import type { S3Fixture } from '../../files/_helpers.ts'
import { makeDevice } from '../_device.ts'
import { AedesHarness } from '../transport/_aedes.ts'
import { uniquePrefix, until } from '../transport/_fixtures.ts'

let s3: S3Fixture
beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= ENV.AWS_ACCESS_KEY_ID
  process.env.AWS_SECRET_ACCESS_KEY ??= ENV.AWS_SECRET_ACCESS_KEY
  s3 = await startS3(await tempDir('sealwire-spool-s3-'))
})
afterAll(async () => {
  await s3?.close()
  await cleanupTempDirs()
})

describe('sealwire-agent run with a spool folder', () => {
  it('uploads a dropped file sealed to the device key, then deletes it', async () => {
    const root = await tempDir('sealwire-agent-')
    const device = await makeDevice(join(root, 'dev-1'), 'dev-1', uniquePrefix())
    const spool = await tempDir('sealwire-spool-')
    const broker = new AedesHarness()
    await broker.start()
    const stop = new AbortController()
    const c = capture(
      {
        SEALWIRE_LOG_LEVEL: 'error',
        SEALWIRE_BROKER_PROTOCOL_VERSION: '4',
        SEALWIRE_SPOOL_DIR: spool,
        SEALWIRE_SPOOL_URL: `s3://${s3.bucket}/fleet/`,
        SEALWIRE_SPOOL_ENDPOINT: s3.endpoint,
        SEALWIRE_SPOOL_SCAN_MS: '100',
      },
      false,
      stop.signal,
    )
    const running = main(
      [
        'run',
        '--device',
        device.dir,
        '--broker',
        broker.url,
        '--state',
        join(root, 'state'),
        '--http',
        'off',
      ],
      c.io,
    )
    const data = randomBytes(300_000)
    try {
      await until(() => c.out().includes('running'), 'the agent to start', 10_000)
      await writeFile(join(spool, 'still.jpg'), data)
      await until(() => readdirSync(spool).length === 0, 'the spool to empty', 15_000)
    } finally {
      stop.abort()
      expect(await running).toBe(0)
      await broker.stop()
    }
    const sdk = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: {
        accessKeyId: ENV.AWS_ACCESS_KEY_ID,
        secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY,
      },
    })
    try {
      const got = await sdk.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: 'fleet/dev-1/still.jpg.sw' }),
      )
      const sealed = await got.Body!.transformToByteArray()
      const opened = await openBytes(sealed, { unwrap: createLocalUnwrap(device.privateKey) })
      expect(Buffer.from(opened).equals(data)).toBe(true)
    } finally {
      sdk.destroy()
    }
  })

  it('spool.dir without spool.url: exit 78, one line', async () => {
    const root = await tempDir('sealwire-agent-')
    const device = await makeDevice(join(root, 'dev-1'), 'dev-1', uniquePrefix())
    const c = capture({ SEALWIRE_LOG_LEVEL: 'error', SEALWIRE_SPOOL_DIR: root })
    const code = await main(
      ['run', '--device', device.dir, '--state', join(root, 'state'), '--http', 'off'],
      c.io,
    )
    expect([code, c.err()]).toEqual([
      78,
      'error ERR_CONFIG: spool.url (settings): required when spool.dir is set\n',
    ])
  })
})
