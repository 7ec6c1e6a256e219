/**
 * `node:crypto` where the runtime has it (Node and Bun), or `undefined` elsewhere (internal).
 *
 * Loaded through `process.getBuiltinModule` rather than a static import, so the envelope module
 * still loads on a runtime without it and falls back to @noble/ciphers and WebCrypto.
 */
import type * as NodeCrypto from 'node:crypto'

type WithBuiltins = { process?: { getBuiltinModule?: (id: string) => unknown } }

/** The `node:crypto` module, when present. */
export const nodeCrypto: typeof NodeCrypto | undefined = (
  globalThis as WithBuiltins
).process?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined
