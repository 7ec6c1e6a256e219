/**
 * The AWS Encryption SDK for JavaScript (`@aws-crypto/client-node` 5.x), in its own message
 * format, with a raw RSA keyring holding only the public key (RSA-OAEP with SHA-256, as KMS
 * `RSAES_OAEP_SHA_256`) and the commitment policy REQUIRE_ENCRYPT_REQUIRE_DECRYPT.
 *
 * Two suites: the SDK's default under that policy (key commitment plus an ECDSA P-384 signature
 * on every message) and the committing suite without signature (closer to what sealwire gives).
 * Each both without caching (a fresh data key and an RSA wrap per message) and with the caching
 * materials manager (data key reused), whose limits mirror sealwire's default epoch (1 h,
 * 100,000 messages). The SDK is loaded lazily, so a runtime where it fails to load reports
 * "n/a (reason)" instead of stopping the run.
 *
 * @example
 * ```ts
 * for (const c of awsEsdkCandidates) await c.prepare(payload, ctx)
 * ```
 */
import { constants } from 'node:crypto'
import type { AwsEsdkKeyObject } from '@aws-crypto/client-node'
import type { BenchContext, Candidate, Prepared } from './bench_context.ts'
import { assertSameBytes } from './bench_context.ts'

type AwsSdk = typeof import('@aws-crypto/client-node')

let loading: Promise<AwsSdk> | undefined
function loadSdk(): Promise<AwsSdk> {
  loading ??= import('@aws-crypto/client-node')
  return loading
}

/** Cache limits of the caching rows: sealwire's default epoch limits. */
const CACHE_MAX_AGE_MS = 60 * 60 * 1000
const CACHE_MAX_MESSAGES = 100_000
const CACHE_CAPACITY = 100

type SuiteChoice = 'default' | 'no-signature'

function keyrings(sdk: AwsSdk, ctx: BenchContext) {
  const common = {
    keyNamespace: 'sealwire-bench',
    keyName: 'rsa-2048',
    padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256' as const,
  }
  // A parsed KeyObject, not PEM: the SDK would otherwise parse the key on every wrap. The SDK's
  // own KeyObject type omits 'rsa-pss' and friends from `asymmetricKeyType`; these keys are 'rsa'.
  const publicKey = ctx.publicKey as unknown as AwsEsdkKeyObject
  const privateKey = ctx.privateKey as unknown as AwsEsdkKeyObject
  return {
    encrypting: new sdk.RawRsaKeyringNode({ ...common, rsaKey: { publicKey } }),
    decrypting: new sdk.RawRsaKeyringNode({ ...common, rsaKey: { privateKey } }),
  }
}

function awsCandidate(suite: SuiteChoice, cached: boolean): Candidate {
  const suiteLabel = suite === 'default' ? 'commit + ECDSA P-384 (default)' : 'commit, no signature'
  return {
    id: `aws-esdk-${suite}${cached ? '-cached' : ''}`,
    label: `AWS ESDK, ${suiteLabel}, ${cached ? 'caching CMM' : 'no cache'}`,
    op: 'seal',
    baseline: false,
    async prepare(payload, ctx): Promise<Prepared> {
      const sdk = await loadSdk()
      const { encrypt, decrypt } = sdk.buildClient(
        sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
      )
      const { encrypting, decrypting } = keyrings(sdk, ctx)
      const materials = cached
        ? new sdk.NodeCachingMaterialsManager({
            backingMaterials: encrypting,
            cache: sdk.getLocalCryptographicMaterialsCache(CACHE_CAPACITY),
            maxAge: CACHE_MAX_AGE_MS,
            maxMessagesEncrypted: CACHE_MAX_MESSAGES,
          })
        : encrypting
      const suiteId =
        suite === 'default'
          ? undefined
          : sdk.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY
      // `encrypt` writes plaintextLength into its options: a fresh object per call.
      const seal = async () => (await encrypt(materials, payload, { suiteId })).result
      const sample = await seal()
      assertSameBytes((await decrypt(decrypting, sample)).plaintext, payload, 'AWS ESDK')
      return {
        step: { kind: 'async', run: async () => (await seal()).length },
        overheadBytes: sample.length - payload.length,
      }
    },
  }
}

/** The four AWS Encryption SDK rows. */
export const awsEsdkCandidates: readonly Candidate[] = Object.freeze([
  awsCandidate('default', false),
  awsCandidate('default', true),
  awsCandidate('no-signature', false),
  awsCandidate('no-signature', true),
])
