import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GetPublicKeyCommand,
  KMSInternalException,
  ListAliasesCommand,
  ListKeysCommand,
  NotFoundException,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms'
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  KmsStateError,
  main,
  STATE_FILE_MODE,
  startKmsLocal,
  type KmsLocalServer,
} from '../../kms-local/src/index.ts'
import { capture, caught, cleanupTempDirs, kmsClientFor, tempDir } from '../helpers/index.ts'
import { DAY_MS, fakeClock } from './_helpers.ts'

let root: string
const open: KmsLocalServer[] = []

beforeAll(async () => {
  root = await tempDir('kms-local-state-')
})

afterAll(async () => {
  await Promise.all(open.map((s) => s.close()))
  await cleanupTempDirs()
})

async function start(options: Parameters<typeof startKmsLocal>[0]): Promise<KmsLocalServer> {
  const s = await startKmsLocal(options)
  open.push(s)
  return s
}

describe('state file', () => {
  it('is created at start with mode 0600 and holds PKCS #8 base64 private keys', async () => {
    const stateFile = join(root, 'created.json')
    const server = await start({ port: 0, stateFile })
    expect(statSync(stateFile).mode & 0o777).toBe(STATE_FILE_MODE)
    const kms = kmsClientFor(server)
    await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' }))
    const doc = JSON.parse(readFileSync(stateFile, 'utf8'))
    expect(doc).toMatchObject({
      format: 'sealwire-kms-local-state',
      version: 1,
      region: 'us-east-1',
      accountId: '111122223333',
    })
    expect(doc.keys[0].keySpec).toBe('RSA_2048')
    expect(Buffer.from(doc.keys[0].material, 'base64').subarray(0, 2)).toEqual(
      Buffer.from([0x30, 0x82]),
    )
    expect(statSync(stateFile).mode & 0o777).toBe(0o600)
    kms.destroy()
  })

  it('survives a restart: keys, aliases, states and old ciphertexts', async () => {
    const stateFile = join(root, 'reload.json')
    const first = await start({ port: 0, stateFile })
    let kms = kmsClientFor(first)
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' }))).KeyMetadata!
    const sym = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: 'a', TagValue: 'b' }] })))
      .KeyMetadata!
    const off = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!
    await kms.send(new DisableKeyCommand({ KeyId: off.KeyId }))
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/persisted', TargetKeyId: rsa.KeyId }))
    const spki = (await kms.send(new GetPublicKeyCommand({ KeyId: rsa.KeyId }))).PublicKey!
    const enc = await kms.send(
      new EncryptCommand({ KeyId: sym.KeyId, Plaintext: Buffer.from('kept') }),
    )
    const rsaEnc = await kms.send(
      new EncryptCommand({
        KeyId: rsa.KeyId,
        Plaintext: Buffer.from('rsa'),
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    )
    kms.destroy()
    await first.close()
    chmodSync(stateFile, 0o644)

    const second = await start({ port: 0, stateFile })
    expect(statSync(stateFile).mode & 0o777).toBe(0o600)
    kms = kmsClientFor(second)
    const described = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/persisted' }))
    expect(described.KeyMetadata).toEqual(rsa)
    expect((await kms.send(new GetPublicKeyCommand({ KeyId: rsa.Arn }))).PublicKey).toEqual(spki)
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }))
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('kept')
    const rsaDec = await kms.send(
      new DecryptCommand({
        KeyId: 'alias/persisted',
        CiphertextBlob: rsaEnc.CiphertextBlob,
        EncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
      }),
    )
    expect(Buffer.from(rsaDec.Plaintext!).toString()).toBe('rsa')
    expect(
      (await kms.send(new DescribeKeyCommand({ KeyId: off.KeyId }))).KeyMetadata!.KeyState,
    ).toBe('Disabled')
    expect((await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName)).toEqual([
      'alias/persisted',
    ])
    kms.destroy()
  })

  it('is replaced atomically: no temporary file is left behind', async () => {
    const dir = root
    const stateFile = join(dir, 'atomic.json')
    const server = await start({ port: 0, stateFile })
    const kms = kmsClientFor(server)
    await Promise.all(Array.from({ length: 5 }, () => kms.send(new CreateKeyCommand({}))))
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([])
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).keys).toHaveLength(5)
    kms.destroy()
  })

  it('persists the deletion of a key whose waiting period is over', async () => {
    const clock = fakeClock()
    const stateFile = join(root, 'deletion.json')
    const first = await start({ port: 0, stateFile, clock })
    const kms = kmsClientFor(first)
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}))
    await kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata!.KeyId, PendingWindowInDays: 7 }),
    )
    kms.destroy()
    await first.close()
    clock.advance(8 * DAY_MS)
    const second = await start({ port: 0, stateFile, clock })
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).keys).toEqual([])
    const k2 = kmsClientFor(second)
    expect(
      await caught(k2.send(new DescribeKeyCommand({ KeyId: KeyMetadata!.KeyId }))),
    ).toBeInstanceOf(NotFoundException)
    k2.destroy()
  })

  it('refuses a file that is not a state document, or one of another region', async () => {
    const garbage = join(root, 'garbage.json')
    writeFileSync(garbage, '{"format":"something else"}')
    const err = await caught(startKmsLocal({ port: 0, stateFile: garbage }))
    expect(err).toBeInstanceOf(KmsStateError)
    expect(err).toMatchObject({ code: 'ERR_KMS_LOCAL_STATE_INVALID' })
    expect(err.message).toBe(
      `${JSON.stringify(garbage)}: not a state document (its "format" is not "sealwire-kms-local-state")`,
    )

    const notJson = join(root, 'not-json.json')
    writeFileSync(notJson, 'private key here')
    const err2 = await caught(startKmsLocal({ port: 0, stateFile: notJson }))
    expect(err2.message).toBe(
      `${JSON.stringify(notJson)}: not JSON (InvalidSymbol at line 1, column 1)`,
    )

    const stateFile = join(root, 'region.json')
    const s = await start({ port: 0, stateFile })
    await s.close()
    const err3 = await caught(startKmsLocal({ port: 0, stateFile, region: 'eu-west-1' }))
    expect(err3).toMatchObject({ code: 'ERR_KMS_LOCAL_STATE_INVALID' })
    expect(err3.message).toMatch(/written for region "us-east-1"/)
  })

  it('refuses a duplicated JSON key, a duplicate key id or alias, and values outside the schema, naming the file', async () => {
    const stateFile = join(root, 'edited.json')
    const s = await start({ port: 0, stateFile })
    const kms = kmsClientFor(s)
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/one', TargetKeyId: keyId }))
    kms.destroy()
    await s.close()
    const good = readFileSync(stateFile, 'utf8')
    const doc = JSON.parse(good)
    const refusal = async (text: string): Promise<string> => {
      writeFileSync(stateFile, text)
      const err = await caught(startKmsLocal({ port: 0, stateFile }))
      expect(err).toBeInstanceOf(KmsStateError)
      expect(err.code).toBe('ERR_KMS_LOCAL_STATE_INVALID')
      expect(err.message.startsWith(`${JSON.stringify(stateFile)}: `)).toBe(true)
      expect(err.message).not.toContain(doc.keys[0].material)
      return err.message.slice(JSON.stringify(stateFile).length + 2)
    }
    expect(await refusal(JSON.stringify({ ...doc, keys: [doc.keys[0], doc.keys[0]] }))).toBe(
      `duplicate key id "${keyId}" at /keys/1`,
    )
    expect(
      await refusal(JSON.stringify({ ...doc, aliases: [doc.aliases[0], doc.aliases[0]] })),
    ).toBe('duplicate alias "alias/one" at /aliases/1')
    expect(await refusal(good.replace('"aliases"', '"keys": [],\n  "aliases"'))).toMatch(
      /^not JSON \(duplicate key "keys" at line \d+, column \d+\)$/,
    )
    expect(
      await refusal(JSON.stringify({ ...doc, keys: [{ ...doc.keys[0], keySpec: 'RSA_1024' }] })),
    ).toBe('/keys/0/keySpec: not a supported value')
    expect(
      await refusal(JSON.stringify({ ...doc, keys: [{ ...doc.keys[0], material: 'AAAA' }] })),
    ).toBe('/keys/0/material: does not fit SYMMETRIC_DEFAULT')
    expect(
      await refusal(
        JSON.stringify({ ...doc, keys: [{ ...doc.keys[0], keyUsage: 'SIGN_VERIFY' }] }),
      ),
    ).toBe('/keys/0/keyUsage: SIGN_VERIFY is not a usage of SYMMETRIC_DEFAULT')
  })

  it('a duplicate key id makes the CLI exit 1 with ERR_KMS_LOCAL_STATE_INVALID naming the file (not 2)', async () => {
    const stateFile = join(root, 'duplicate.json')
    const s = await start({ port: 0, stateFile })
    const kms = kmsClientFor(s)
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!
    kms.destroy()
    await s.close()
    const doc = JSON.parse(readFileSync(stateFile, 'utf8'))
    writeFileSync(stateFile, JSON.stringify({ ...doc, keys: [doc.keys[0], doc.keys[0]] }))
    const c = capture()
    expect(await main(['--port', '0', '--state', stateFile], c.io)).toBe(1)
    expect(c.err()).toBe(
      `error ERR_KMS_LOCAL_STATE_INVALID: ${JSON.stringify(stateFile)}: duplicate key id "${keyId}" at /keys/1\n`,
    )
  })

  it('refuses a symbolic link as the state file at start, and leaves its target alone', async () => {
    const target = join(root, 'link-target.json')
    const first = await start({ port: 0, stateFile: target })
    const kms = kmsClientFor(first)
    await kms.send(new CreateKeyCommand({}))
    kms.destroy()
    await first.close()
    const before = readFileSync(target, 'utf8')
    for (const link of [join(root, 'link.json'), join(root, 'dangling.json')]) {
      symlinkSync(link.endsWith('dangling.json') ? join(root, 'nowhere.json') : target, link)
      const err = await caught(startKmsLocal({ port: 0, stateFile: link }))
      expect(err).toBeInstanceOf(KmsStateError)
      expect(err.code).toBe('ERR_KMS_LOCAL_STATE_IO')
      expect(err.message).toBe(
        `${JSON.stringify(link)}: is a symbolic link: refused, since every write replaces the file and would leave the old private keys in the link target (give the real path)`,
      )
      expect(lstatSync(link).isSymbolicLink()).toBe(true)
    }
    expect(readFileSync(target, 'utf8')).toBe(before)
    expect(existsSync(join(root, 'nowhere.json'))).toBe(false)
  })

  it('removes the temporary files of an interrupted write of this state file at start, and only those', async () => {
    const dir = join(root, 'temps')
    mkdirSync(dir)
    const stateFile = join(dir, 'state.json')
    const ours = ['.state.json.4242.a1b2c3d4e5f6.tmp', '.state.json.a1b2c3d4e5f6.tmp']
    const others = ['.other.json.4242.a1b2c3d4e5f6.tmp', 'state.json.tmp', '.state.json.bak']
    for (const name of [...ours, ...others]) writeFileSync(join(dir, name), 'half a state')
    await start({ port: 0, stateFile })
    expect(readdirSync(dir).sort()).toEqual([...others, 'state.json'].sort())
  })

  it('makes a change only once it is saved: a failed save answers KMSInternalException, changes nothing, and is logged with its cause', async () => {
    const dir = join(root, 'durable')
    mkdirSync(dir)
    const stateFile = join(dir, 'state.json')
    const lines: string[] = []
    const server = await start({ port: 0, stateFile, log: (line) => lines.push(line) })
    const kms = kmsClientFor(server)
    const first = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!
    const saved = readFileSync(stateFile, 'utf8')
    const keyIds = async (): Promise<string[]> =>
      ((await kms.send(new ListKeysCommand({}))).Keys ?? []).map((k) => k.KeyId!).sort()

    // The state path becomes unwritable: a directory where the file was (works as root too).
    rmSync(stateFile)
    mkdirSync(stateFile)
    // The SDK retries a 500: every attempt fails the same way, and none leaves a key behind.
    const retrying = kmsClientFor(server, { maxAttempts: 3 })
    const created = await caught(retrying.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' })))
    retrying.destroy()
    expect(created).toBeInstanceOf(KMSInternalException)
    expect(created.message).toBe('kms-local could not save the change, so it was not made')
    expect(server.callCount('CreateKey')).toBe(4)
    expect(await keyIds()).toEqual([first.KeyId])
    const disabled = await caught(kms.send(new DisableKeyCommand({ KeyId: first.KeyId })))
    expect(disabled).toBeInstanceOf(KMSInternalException)
    expect(
      (await kms.send(new DescribeKeyCommand({ KeyId: first.KeyId }))).KeyMetadata!.KeyState,
    ).toBe('Enabled')
    await kms.send(
      new EncryptCommand({ KeyId: first.KeyId, Plaintext: Buffer.from('still usable') }),
    )
    expect(lines).toHaveLength(4)
    for (const line of lines.slice(0, 3)) {
      expect(line).toMatch(
        new RegExp(
          `^error ERR_KMS_LOCAL_STATE_IO: ${JSON.stringify(stateFile).replace(/[.*+?^$()|[\]\\]/g, '\\$&')}: cannot write \\(E[A-Z]+\\); CreateKey request [0-9a-f-]{36} was not applied$`,
        ),
      )
    }
    expect(lines[3]).toMatch(
      /cannot write \(E[A-Z]+\); DisableKey request [0-9a-f-]{36} was not applied$/,
    )

    // A symbolic link swapped in is refused on write as well: its target keeps its content.
    rmSync(stateFile, { recursive: true })
    const elsewhere = join(root, 'elsewhere.json')
    writeFileSync(elsewhere, 'not yours')
    symlinkSync(elsewhere, stateFile)
    const linked = await caught(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/lost', TargetKeyId: first.KeyId })),
    )
    expect(linked).toBeInstanceOf(KMSInternalException)
    expect(lines[4]).toContain(': is a symbolic link: refused')
    expect(readFileSync(elsewhere, 'utf8')).toBe('not yours')
    expect((await kms.send(new ListAliasesCommand({}))).Aliases).toEqual([])

    // Once the path is writable again, the next change saves everything, and only that.
    rmSync(stateFile)
    const second = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!
    expect(await keyIds()).toEqual([first.KeyId, second.KeyId].sort())
    const doc = JSON.parse(readFileSync(stateFile, 'utf8'))
    expect(doc.keys.map((k: { keyId: string }) => k.keyId).sort()).toEqual(await keyIds())
    expect(doc.keys.find((k: { keyId: string }) => k.keyId === first.KeyId).keyState).toBe(
      'Enabled',
    )
    expect(JSON.parse(saved).keys).toHaveLength(1)
    kms.destroy()
  })

  it('refuses a folder or a FIFO as the state file at once (never waits on a FIFO)', async () => {
    const folder = join(root, 'a-folder.json')
    mkdirSync(folder)
    const fifo = join(root, 'a-fifo.json')
    execFileSync('mkfifo', [fifo])
    for (const stateFile of [folder, fifo]) {
      const err = await caught(startKmsLocal({ port: 0, stateFile }))
      expect(err).toMatchObject({ code: 'ERR_KMS_LOCAL_STATE_IO' })
      expect(err.message).toBe(`${JSON.stringify(stateFile)}: is not a regular file`)
    }
  })

  it('reports an unwritable location as ERR_KMS_LOCAL_STATE_IO', async () => {
    const err = await caught(
      startKmsLocal({ port: 0, stateFile: join(root, 'missing-dir', 's.json') }),
    )
    expect(err).toBeInstanceOf(KmsStateError)
    expect(err).toMatchObject({ code: 'ERR_KMS_LOCAL_STATE_IO' })
  })
})
