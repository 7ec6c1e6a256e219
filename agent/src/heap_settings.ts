/**
 * Keeps the V8 young generation small in the agent process. Node lets each semi-space grow to
 * 16 MiB under allocation pressure (a sealing burst), and the pages stay resident: that alone was
 * ~30 MiB of the agent's peak RSS (bench "agent memory"). With growth factor 1 the semi-spaces
 * stay at their initial 1 MiB: more, cheaper scavenges (the agent's garbage is short-lived).
 * `--optimize-for-size` makes V8 collect the old generation sooner instead of growing it (the
 * live set stays under 40 MiB, but a 20,000-reading backlog grew the heap to ~160 MiB RSS;
 * ~115 MiB with both flags). It also optimizes less eagerly: some CPU per message.
 * Imported first by the executable, so it applies before the rest is loaded; a runtime without
 * `v8.setFlagsFromString` (Bun) ignores it. Set `SEALWIRE_V8_DEFAULT_HEAP=1` to keep V8's defaults.
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
