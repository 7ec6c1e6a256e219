/**
 * The candidates of the benchmark, in report order: seal rows first (the two baselines and the
 * raw AES-GCM floor lead), then open rows (the baseline open and the raw AES-GCM decrypt lead).
 *
 * @example
 * ```ts
 * for (const c of CANDIDATES) console.log(c.id, c.op)
 * ```
 */
import { awsEsdkCandidates } from './aws_esdk_candidates.ts'
import { baselineOpen, baselineSealCounter, baselineSealRandom } from './baseline_candidates.ts'
import type { Candidate } from './bench_context.ts'
import { joseCompactEncrypt } from './jose_candidates.ts'
import { rawGcmOpen, rawGcmSeal } from './raw_gcm_candidates.ts'
import { sealwireCompact, sealwireFull, sealwireOpen } from './sealwire_candidates.ts'

/** Every candidate, in report order: seal rows, then open rows. */
export const CANDIDATES: readonly Candidate[] = Object.freeze([
  baselineSealRandom,
  baselineSealCounter,
  rawGcmSeal,
  sealwireCompact,
  sealwireFull,
  joseCompactEncrypt,
  ...awsEsdkCandidates,
  baselineOpen,
  rawGcmOpen,
  sealwireOpen,
])
