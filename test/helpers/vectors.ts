/**
 * Reads test vectors from `../shared/vectors/` beside the repository (they are data, never code).
 */
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** `../shared/vectors` relative to the repository root. */
export const vectorsDir = resolve(repoRoot, '../shared/vectors')

/** Parses a JSON vector file under `vectorsDir`. */
export function readVector<T = any>(relativePath: string): T {
  return JSON.parse(readFileSync(resolve(vectorsDir, relativePath), 'utf8')) as T
}

/** Hex to bytes (test helper; accepts upper case). */
export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'))
}

/** Bytes to lower-case hex. */
export function toHexString(b: Uint8Array): string {
  return Buffer.from(b).toString('hex')
}
