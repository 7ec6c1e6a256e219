/**
 * The HSM vendor note's BYOK flow, by hand, with the AWS CLI against kms-local: create-key
 * `--origin EXTERNAL`, get-parameters-for-import (RSAES_OAEP_SHA_256, RSA_2048), 32 random bytes
 * wrapped with `openssl pkeyutl` (OAEP, SHA-256), import-key-material with `--valid-to`, then
 * encrypt/decrypt; the material KMS holds is the one wrapped (a blob sealed here with it, in
 * kms-local's documented blob layout, opens with `decrypt`); the refusals of a ValidTo past 365
 * days and of RSAES_PKCS1_V1_5. Runs only where the `aws` CLI is installed (CI does not install
 * it; the same flow runs through the SDK in test/provisioning/byok.test.ts).
 */
import { execFile, execFileSync } from 'node:child_process'
import { createCipheriv, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startKmsLocal } from '../../kms-local/src/index.ts'
import type { KmsLocalServer } from '../../kms-local/src/index.ts'
import { cleanupTempDirs, tempDir } from '../helpers/index.ts'

const run = promisify(execFile)

function present(cmd: string, arg: string): boolean {
  try {
    execFileSync(cmd, [arg], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

const awsCliPresent = present('aws', '--version') && present('openssl', 'version')

describe("the vendor note's BYOK flow with the AWS CLI", () => {
  let kms: KmsLocalServer | undefined
  let dir: string
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'x',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  }
  const aws = async (...args: string[]): Promise<string> =>
    (
      await run('aws', ['--endpoint-url', kms!.endpoint, 'kms', ...args], { env, cwd: dir })
    ).stdout.trim()
  const awsFails = async (...args: string[]): Promise<string> => {
    try {
      await aws(...args)
    } catch (err) {
      return (err as { stderr: string }).stderr.trim()
    }
    throw new Error('expected the aws CLI to fail')
  }

  beforeAll(async () => {
    if (!awsCliPresent) return
    kms = await startKmsLocal({ port: 0 })
    dir = await tempDir()
  })
  afterAll(async () => {
    await kms?.close()
    await cleanupTempDirs()
  })

  it.skipIf(!awsCliPresent)(
    'create-key, get-parameters-for-import, openssl pkeyutl OAEP-SHA-256, import-key-material --valid-to, encrypt/decrypt (needs the aws CLI and openssl)',
    async () => {
      const keyId = await aws(
        'create-key',
        '--origin',
        'EXTERNAL',
        '--query',
        'KeyMetadata.KeyId',
        '--output',
        'text',
      )
      expect(
        await aws(
          'describe-key',
          '--key-id',
          keyId,
          '--query',
          'KeyMetadata.[Origin,KeyState]',
          '--output',
          'text',
        ),
      ).toBe('EXTERNAL\tPendingImport')
      const params = JSON.parse(
        await aws(
          'get-parameters-for-import',
          '--key-id',
          keyId,
          '--wrapping-algorithm',
          'RSAES_OAEP_SHA_256',
          '--wrapping-key-spec',
          'RSA_2048',
        ),
      ) as { PublicKey: string; ImportToken: string }
      await writeFile(join(dir, 'PublicKey.bin'), Buffer.from(params.PublicKey, 'base64'))
      await writeFile(join(dir, 'ImportToken.bin'), Buffer.from(params.ImportToken, 'base64'))
      await run('openssl', ['rand', '-out', 'PlaintextKeyMaterial.bin', '32'], { cwd: dir })
      await run(
        'openssl',
        [
          'pkeyutl',
          '-encrypt',
          '-in',
          'PlaintextKeyMaterial.bin',
          '-out',
          'EncryptedKeyMaterial.bin',
          '-inkey',
          'PublicKey.bin',
          '-keyform',
          'DER',
          '-pubin',
          '-pkeyopt',
          'rsa_padding_mode:oaep',
          '-pkeyopt',
          'rsa_oaep_md:sha256',
          '-pkeyopt',
          'rsa_mgf1_md:sha256',
        ],
        { cwd: dir },
      )
      const validTo = new Date(Date.now() + 30 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
      const imported = JSON.parse(
        await aws(
          'import-key-material',
          '--key-id',
          keyId,
          '--encrypted-key-material',
          'fileb://EncryptedKeyMaterial.bin',
          '--import-token',
          'fileb://ImportToken.bin',
          '--expiration-model',
          'KEY_MATERIAL_EXPIRES',
          '--valid-to',
          validTo,
        ),
      ) as { KeyId: string }
      expect(imported.KeyId).toMatch(new RegExp(`:key/${keyId}$`))
      expect(
        await aws(
          'describe-key',
          '--key-id',
          keyId,
          '--query',
          'KeyMetadata.[KeyState,ExpirationModel]',
          '--output',
          'text',
        ),
      ).toBe('Enabled\tKEY_MATERIAL_EXPIRES')
      await writeFile(join(dir, 'plain.txt'), 'reading 42')
      const blob = await aws(
        'encrypt',
        '--key-id',
        keyId,
        '--plaintext',
        'fileb://plain.txt',
        '--query',
        'CiphertextBlob',
        '--output',
        'text',
      )
      await writeFile(join(dir, 'blob.bin'), Buffer.from(blob, 'base64'))
      const plain = await aws(
        'decrypt',
        '--ciphertext-blob',
        'fileb://blob.bin',
        '--query',
        'Plaintext',
        '--output',
        'text',
      )
      expect(Buffer.from(plain, 'base64').toString()).toBe('reading 42')
      // The material is the one wrapped: a blob sealed with it outside KMS opens in KMS.
      const material = await readFile(join(dir, 'PlaintextKeyMaterial.bin'))
      const header = Buffer.concat([Buffer.from([0x4b, 0x4c, 0x01]), Buffer.from(keyId, 'ascii')])
      const iv = randomBytes(12)
      const c = createCipheriv('aes-256-gcm', material, iv)
      c.setAAD(Buffer.concat([header, Buffer.from('[]')]))
      const body = Buffer.concat([c.update('sealed outside KMS'), c.final(), c.getAuthTag()])
      await writeFile(join(dir, 'local_blob.bin'), Buffer.concat([header, iv, body]))
      const local = await aws(
        'decrypt',
        '--ciphertext-blob',
        'fileb://local_blob.bin',
        '--query',
        'Plaintext',
        '--output',
        'text',
      )
      expect(Buffer.from(local, 'base64').toString()).toBe('sealed outside KMS')
      // Refusals: ValidTo past 365 days; the deprecated RSAES_PKCS1_V1_5.
      const far = new Date(Date.now() + 400 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z')
      expect(
        await awsFails(
          'import-key-material',
          '--key-id',
          keyId,
          '--encrypted-key-material',
          'fileb://EncryptedKeyMaterial.bin',
          '--import-token',
          'fileb://ImportToken.bin',
          '--expiration-model',
          'KEY_MATERIAL_EXPIRES',
          '--valid-to',
          far,
        ),
      ).toBe(
        'An error occurred (ValidationException) when calling the ImportKeyMaterial operation: ValidTo must be in the future and at most 365 days from now',
      )
      expect(
        await awsFails(
          'get-parameters-for-import',
          '--key-id',
          keyId,
          '--wrapping-algorithm',
          'RSAES_PKCS1_V1_5',
          '--wrapping-key-spec',
          'RSA_2048',
        ),
      ).toBe(
        'An error occurred (UnsupportedOperationException) when calling the GetParametersForImport operation: WrappingAlgorithm RSAES_PKCS1_V1_5 is not supported',
      )
    },
    60_000,
  )
})
