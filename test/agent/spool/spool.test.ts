import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileSpool, parseSpoolUrl, spoolS3Client } from '../../../agent/src/spool/index.ts'
import type { SpoolEvent } from '../../../agent/src/spool/index.ts'
import { createLocalUnwrap, openBytes, parseRecipientKey } from '../../../envelope/src/index.ts'
import { caught, cleanupTempDirs, tempDir } from '../../helpers/index.ts'
import { ENV, startS3 } from '../../files/_helpers.ts'
import type { S3Fixture } from '../../files/_helpers.ts'

const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const key = parseRecipientKey(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })))
const unwrap = createLocalUnwrap(privateKey)

let s3: S3Fixture
let sdk: S3Client
beforeAll(async () => {
  // The spool's client takes credentials from the SDK's default chain, as on a device.
  process.env.AWS_ACCESS_KEY_ID ??= ENV.AWS_ACCESS_KEY_ID
  process.env.AWS_SECRET_ACCESS_KEY ??= ENV.AWS_SECRET_ACCESS_KEY
  s3 = await startS3(await tempDir('sealwire-spool-s3-'))
  sdk = new S3Client({
    endpoint: s3.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: ENV.AWS_ACCESS_KEY_ID, secretAccessKey: ENV.AWS_SECRET_ACCESS_KEY },
  })
})
afterAll(async () => {
  sdk?.destroy()
  await s3?.close()
  await cleanupTempDirs()
})

function spoolFor(dir: string, endpoint: string, events: SpoolEvent[]): FileSpool {
  return new FileSpool({
    dir,
    location: parseSpoolUrl(`s3://${s3.bucket}/in/`, 'test'),
    client: spoolS3Client({ endpoint, region: 'us-east-1' }, ENV),
    key,
    deviceId: 'gw-7',
    onEvent: (e) => events.push(e),
  })
}

async function object(key: string): Promise<Uint8Array> {
  const got = await sdk.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }))
  return got.Body!.transformToByteArray()
}

describe('agent spool folder', () => {
  it('a file that settled is sealed, uploaded to <prefix><device>/<name>.sw, then deleted', async () => {
    const dir = await tempDir('sealwire-spool-')
    const data = randomBytes(9 * 2 ** 20 + 3) // two multipart parts
    await writeFile(join(dir, 'cam.jpg'), data)
    await writeFile(join(dir, '.partial'), 'still being written')
    const events: SpoolEvent[] = []
    const spool = spoolFor(dir, s3.endpoint, events)
    expect(await spool.scan()).toBe(0) // first sight: not settled yet
    expect(await spool.scan()).toBe(1)
    expect(await readdir(dir)).toEqual(['.partial'])
    expect(events).toEqual([
      { event: 'spool-uploaded', file: 'cam.jpg', key: 'in/gw-7/cam.jpg.sw', bytes: data.length },
    ])
    const head = await sdk.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'in/gw-7/cam.jpg.sw' }),
    )
    expect(head.Metadata).toMatchObject({
      'sealwire-format': 'stream-1',
      'sealwire-device-id': 'gw-7',
    })
    const opened = await openBytes(await object('in/gw-7/cam.jpg.sw'), { unwrap })
    expect(Buffer.from(opened).equals(data)).toBe(true)
  })

  it('a file still growing waits; an upload that fails keeps the file, and a restarted spool sends it', async () => {
    const dir = await tempDir('sealwire-spool-')
    await writeFile(join(dir, 'log.txt'), 'part one')
    const events: SpoolEvent[] = []
    const down = spoolFor(dir, 'http://127.0.0.1:1', events)
    await down.scan()
    await writeFile(join(dir, 'log.txt'), 'part one, part two') // changed: not taken
    expect(await down.scan()).toBe(0)
    expect(await down.scan()).toBe(0) // settled, but S3 is unreachable
    expect(events.map((e) => [e.event, e.file])).toEqual([['spool-failed', 'log.txt']])
    expect(await readdir(dir)).toEqual(['log.txt'])
    await down.stop()

    const up = spoolFor(dir, s3.endpoint, events) // the agent restarted
    await up.scan()
    expect(await up.scan()).toBe(1)
    expect(await readdir(dir)).toEqual([])
    expect(
      Buffer.from(await openBytes(await object('in/gw-7/log.txt.sw'), { unwrap })).toString(),
    ).toBe('part one, part two')
  })

  it('start/stop scans on its own; spool.url must be s3://bucket[/prefix]', async () => {
    const dir = await tempDir('sealwire-spool-')
    await mkdir(join(dir, 'sub'))
    await writeFile(join(dir, 'a.bin'), 'a')
    const events: SpoolEvent[] = []
    const spool = new FileSpool({
      dir,
      location: parseSpoolUrl(`s3://${s3.bucket}`, 'test'),
      client: spoolS3Client({ endpoint: s3.endpoint, region: undefined }, ENV),
      key,
      deviceId: 'gw-8',
      scanMs: 100,
      onEvent: (e) => events.push(e),
    })
    spool.start()
    for (let i = 0; i < 100 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    await spool.stop()
    expect(events.map((e) => (e.event === 'spool-uploaded' ? e.key : e.event))).toEqual([
      'gw-8/a.bin.sw',
    ])
    expect(await readdir(dir)).toEqual(['sub'])
    const err = await caught(() => parseSpoolUrl('https://bucket/x', 'config file'))
    expect([err.code, err.message]).toEqual([
      'ERR_CONFIG',
      'spool.url (config file): expected s3://bucket or s3://bucket/prefix/',
    ])
  })
})
