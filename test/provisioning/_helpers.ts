/**
 * Helpers of the provisioning tests: the shared ones (`test/helpers`) and the device-bundle ones
 * (RSA keys, bundles written without KMS), re-exported, plus what only these tests need.
 */
import { startKmsLocal } from '../../kms-local/src/index.ts'
import { main } from '../../provisioning/src/index.ts'
import { capture } from '../helpers/index.ts'

export { capture, cleanupTempDirs, hex, tempDir, vectorsDir as VECTORS } from '../helpers/index.ts'
export { rsaSpki, sha256Hex, TEST_ARN, writeTestBundle } from '../device-bundle/_helpers.ts'

/** A running kms-local, as the tests start it. */
export type Kms = Awaited<ReturnType<typeof startKmsLocal>>

/** Credentials kms-local accepts (any); the tests pass them as env variables. */
export const ENV = Object.freeze({
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
})

/** One in-process run of `sealwire-provision`. */
export interface Run {
  readonly code: number
  readonly out: string
  readonly err: string
}

/** Runs `main(args)` with captured streams and `env`. */
export async function runMain(
  args: readonly string[],
  env: Record<string, string | undefined> = ENV,
  tty = false,
): Promise<Run> {
  const c = capture(env, tty)
  const code = await main(args, c.io)
  return { code, out: c.out(), err: c.err() }
}
