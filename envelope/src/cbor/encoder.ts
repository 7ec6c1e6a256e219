/**
 * The project's configured cbor-x encoder, for the per-epoch structures (Enc_structure, recipient,
 * key announcement metadata).
 *
 * cbor-x's default `encode` adds tag 64 to Uint8Array, tag 259 to Map and 16-bit map counts, and
 * may emit records; this configuration turns all of that off. Maps must be built with their keys
 * already in deterministic order (RFC 8949 §4.2.1: bytewise order of the encoded keys; for small
 * integers that is 0, 1, 2 … then -1, -2 …): the tests check exact bytes. Imported from
 * `cbor-x/encode`, which is pure JS on both runtimes (the bare entry loads a native decoder that
 * crashes Bun 1.4.5).
 *
 * @example
 * ```ts
 * encodeCbor(['Encrypt0', protectedBytes, externalAad])
 * ```
 */
import { Encoder } from 'cbor-x/encode'

const encoder = new Encoder({
  useRecords: false,
  tagUint8Array: false,
  useTag259ForMaps: false,
  variableMapSize: true,
  mapsAsObjects: false,
  useFloat32: 0,
  largeBigIntToFloat: false,
} as ConstructorParameters<typeof Encoder>[0])

/**
 * Encodes a value with the configured encoder and returns a fresh copy (cbor-x reuses its buffer).
 *
 * @example
 * ```ts
 * encodeCbor(new Map([[1, 3]])) // [0xa1, 0x01, 0x03]
 * ```
 */
export function encodeCbor(value: unknown): Uint8Array {
  return Uint8Array.from(encoder.encode(value))
}
