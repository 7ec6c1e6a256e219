/**
 * Keeps `sealwire-file`'s memory flat, whatever the file's size: V8's young generation stays at
 * its initial 1 MiB semi-spaces (`--semi-space-growth-factor=1`; by default each may grow to
 * 16 MiB under the steady allocation of a transfer, and the pages stay resident), and the old
 * generation is collected sooner (`--optimize-for-size`). Dead 256 KiB segments and 8 MiB part
 * buffers are then collected while the transfer runs instead of piling up. Imported first by the
 * executable; a runtime without `v8.setFlagsFromString` (Bun) ignores it.
 * `SEALWIRE_V8_DEFAULT_HEAP=1` keeps V8's defaults (as for the agent).
 */
import v8 from 'node:v8'

if (process.env.SEALWIRE_V8_DEFAULT_HEAP !== '1' && typeof v8.setFlagsFromString === 'function') {
  try {
    v8.setFlagsFromString('--semi-space-growth-factor=1')
    v8.setFlagsFromString('--optimize-for-size')
  } catch {
    // An unknown flag on another runtime: the defaults stay.
  }
}
