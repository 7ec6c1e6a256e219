/**
 * Every default of `sealwire-file`, in one typed object (README, "Defaults").
 *
 * @example
 * ```ts
 * const part = filesDefaults.s3.partBytes
 * ```
 */

/** The shape of {@link filesDefaults}. */
export interface FilesDefaults {
  /** Plaintext bytes per segment of a sealed file (STREAM.md §2). */
  readonly segmentBytes: number
  /** Largest segment size `open`/`get` accept from a header: 16 MiB (the format's maximum). */
  readonly maxSegmentBytes: number
  /** Bytes per read from a file. */
  readonly readBytes: number
  /** Inputs at least this large report progress on stderr. */
  readonly progressMinBytes: number
  /** On Bun, bytes between two non-blocking garbage collections during a transfer (`io/pump.ts`). */
  readonly bunGcEveryBytes: number
  /** Largest `--public-key` file read. */
  readonly publicKeyMaxBytes: number
  /** Largest `--wrapped-key` file read. */
  readonly wrappedKeyMaxBytes: number
  /** Mode of every output file (it may hold plaintext). */
  readonly outputMode: number
  readonly s3: {
    /** Multipart part size (S3's minimum is 5 MiB). */
    readonly partBytes: number
    /** Parts in flight at once; memory ≈ partBytes × (queueSize + 1). */
    readonly queueSize: number
    /** Region when none is given or configured (S3-compatible stores ignore it). */
    readonly region: string
  }
  readonly legacy: {
    /** `openssl enc -pbkdf2` iterations when `-iter` is not given. */
    readonly pbkdf2Iterations: number
    /** OpenSSL reads at most 1023 bytes of a `-pass file:` line (APP_PASS_LEN 1024). */
    readonly maxPasswordBytes: number
  }
}

/** The defaults. */
export const filesDefaults: FilesDefaults = Object.freeze({
  segmentBytes: 256 * 1024,
  maxSegmentBytes: 16 * 1024 * 1024,
  readBytes: 1024 * 1024,
  progressMinBytes: 16 * 1024 * 1024,
  bunGcEveryBytes: 16 * 1024 * 1024,
  publicKeyMaxBytes: 16 * 1024,
  wrappedKeyMaxBytes: 4096,
  outputMode: 0o600,
  s3: Object.freeze({ partBytes: 8 * 1024 * 1024, queueSize: 2, region: 'us-east-1' }),
  legacy: Object.freeze({ pbkdf2Iterations: 10_000, maxPasswordBytes: 1023 }),
})
