/**
 * kms-local: a local endpoint that speaks the AWS KMS JSON 1.1 protocol
 * (`X-Amz-Target: TrentService.*`), so `@aws-sdk/client-kms` runs unchanged against it with
 * `endpoint` set. For demos and tests, offline. See `kms-local/README.md`.
 *
 * @example
 * ```ts
 * import { KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms'
 * import { startKmsLocal } from './index.ts'
 *
 * const kms = await startKmsLocal({ port: 0 })
 * const client = new KMSClient({
 *   endpoint: kms.endpoint,
 *   region: kms.region,
 *   credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
 * })
 * await client.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' }))
 * kms.callCount('CreateKey') // 1
 * await kms.close()
 * ```
 */
export { startKmsLocal } from './server.ts'
export type { KmsLocalServer } from './server.ts'
export type { KmsLocalOptions } from './options.ts'
export { main, KMS_LOCAL_EXIT } from './main.ts'
export {
  KmsLocalError,
  KmsStateError,
  KmsApiError,
  MODEL_ERROR_TYPES,
  COMMON_ERROR_TYPES,
} from './errors.ts'
export type { AnyKmsLocalError, KmsErrorType, KmsLocalErrorCode } from './errors.ts'
export {
  defaultKmsLocalOptions,
  CLI_DEFAULT_PORT,
  STATE_FILE_MODE,
  AUDIT_LOG_MODE,
} from './defaults.ts'
export type { AuditEvent } from './audit_log.ts'
export { STATE_FORMAT, STATE_VERSION } from './state_file.ts'
