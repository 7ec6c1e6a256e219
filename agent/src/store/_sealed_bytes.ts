/**
 * A cheap guard that what enters the outbox is a sealed `sealwire/1` message and not, by mistake,
 * a plaintext reading: the bytes must start with the fixed head of the compact form
 * (`d0 83 43 a1 01 03`, envelope README §5) or of the full form (`d8 60 84 43 a1 01 03`, §6).
 * It does not parse the message; the envelope's sealer made it.
 *
 * @example
 * ```ts
 * sealedForm(Uint8Array.of(0xd0, 0x83, 0x43, 0xa1, 0x01, 0x03, 0xa2)) // 'compact'
 * sealedForm(new TextEncoder().encode('{"t":21.5}')) // undefined
 * ```
 */
import { PROTECTED_HEADER, TAG_ENCRYPT, TAG_ENCRYPT0 } from '../../../envelope/src/index.ts'

// CBOR heads (RFC 8949 §3): tag 16 fits the initial byte (0xc0 | 16); tag 96 needs one more byte
// (0xd8, 96); arrays of 3 and 4 are 0x83 and 0x84; a 3-byte bstr is 0x43.
const COMPACT_HEAD = Uint8Array.of(0xc0 | TAG_ENCRYPT0, 0x83, 0x43, ...PROTECTED_HEADER)
const FULL_HEAD = Uint8Array.of(0xd8, TAG_ENCRYPT, 0x84, 0x43, ...PROTECTED_HEADER)

function startsWith(bytes: Uint8Array, head: Uint8Array): boolean {
  if (bytes.length <= head.length) return false
  for (let i = 0; i < head.length; i++) if (bytes[i] !== head[i]) return false
  return true
}

/** Which form `bytes` starts as, or `undefined` when it is not a sealed message. */
export function sealedForm(bytes: Uint8Array): 'compact' | 'full' | undefined {
  if (startsWith(bytes, COMPACT_HEAD)) return 'compact'
  if (startsWith(bytes, FULL_HEAD)) return 'full'
  return undefined
}
