/**
 * `sealwire/1`: seal telemetry to an RSA public key (AWS KMS `RSAES_OAEP_SHA_256`) as COSE
 * messages, and open them. The normative spec is `envelope/README.md`.
 *
 * @example
 * ```ts
 * import { Opener, Sealer, createKeyWrapper, createLocalUnwrap, parseRecipientKey } from './index.ts'
 * const sealer = new Sealer({ wrapper: createKeyWrapper(parseRecipientKey(spki)), deviceId, random })
 * const { announcement, message } = sealer.seal(data, () => ++seq)
 * const opener = new Opener({ unwrap: createLocalUnwrap(privateKey) })
 * await opener.openAnnouncement(announcement!.bytes, deviceId)
 * ;(await opener.openCompact(message.bytes, deviceId)).plaintext // = data
 * ```
 */
export { Sealer } from './sealer.ts'
export type {
  Form,
  NextSequence,
  RandomSource,
  SealerOptions,
  SealerStats,
  SealOutput,
  Sealed,
} from './sealer.ts'
export { Opener } from './opener.ts'
export type { Opened, OpenedAnnouncement, OpenerOptions } from './opener.ts'
export { MemoryEpochKeyStore } from './epoch_key_store.ts'
export type { EpochKeyStore } from './epoch_key_store.ts'
export { parseEnvelope } from './envelope_codec.ts'
export { decodeCoseMessage, encodeEncStructure } from './cose/structure.ts'
export type { CoseDecodeOptions, CoseMessage, CoseRecipient } from './cose/structure.ts'
export type { ParsedCompact, ParsedEnvelope, ParsedFull } from './envelope_codec.ts'
export { encodeMetadata, decodeMetadata } from './metadata.ts'
export type { EpochMetadata } from './metadata.ts'
export {
  deriveEpochKeys,
  encStructure,
  epochIdOf,
  PROTECTED_HEADER,
  EPOCH_ID_BYTES,
} from './epoch.ts'
export type { EpochKeys } from './epoch.ts'
export {
  parseRecipientKey,
  ALLOWED_MODULUS_BITS,
  REQUIRED_PUBLIC_EXPONENT,
} from './key/recipient_key.ts'
export type { RecipientKey } from './key/recipient_key.ts'
export { createKeyWrapper, createKeyWrapperWithSeed } from './crypto/key_wrap.ts'
export type { KeyWrapper } from './crypto/key_wrap.ts'
export { createLocalUnwrap } from './crypto/unwrap.ts'
export type { Unwrap } from './crypto/unwrap.ts'
export { selectAead, TAG_BYTES, NONCE_BYTES } from './crypto/aead.ts'
export type { AeadBackend, AeadBackendName, AeadKey } from './crypto/aead.ts'
export { MAX_SEQUENCE } from './crypto/nonce.ts'
export { decodeCbor } from './cbor/decode.ts'
export type { CborMap, CborTagged, CborValue, DecodeLimits } from './cbor/decode.ts'
export { encodeCbor } from './cbor/encoder.ts'
export {
  defaultDecodeLimits,
  defaultEpochLimits,
  defaultKeyStoreEntries,
  MAX_MESSAGES_PER_KEY,
} from './defaults.ts'
export type { EpochLimits } from './defaults.ts'
export {
  SUITE,
  SUITES,
  ALG_A256GCM,
  ALG_RSA_OAEP_256,
  TAG_ENCRYPT,
  TAG_ENCRYPT0,
  BASE_IV_INFO,
} from './suites.ts'
export type { Suite } from './suites.ts'
export {
  EnvelopeError,
  EnvelopeMalformedError,
  EnvelopeLimitError,
  EnvelopeInvalidError,
  UnsupportedAlgorithmError,
  DecryptionFailedError,
  EpochUnknownError,
  UnwrapUnavailableError,
  KeyStoreUnavailableError,
  NodeCryptoUnavailableError,
  KeyRejectedError,
  SealRefusedError,
  DECRYPTION_FAILED_MESSAGE,
} from './errors.ts'
export type {
  AnyEnvelopeError,
  EnvelopeErrorCode,
  KeyRejectedCode,
  SealRefusedCode,
} from './errors.ts'
export { toHex, fromHex } from './_bytes.ts'
export {
  checkJsonValue,
  decodeRecords,
  defaultRecordLimits,
  encodeRecords,
  RecordsError,
} from './records/records.ts'
export type {
  ClockState,
  JsonValue,
  RecordLimits,
  RecordsErrorCode,
  TelemetryRecord,
} from './records/records.ts'
export { RSA_KEY_SPECS, KEY_ARN_PATTERN, isKeyArn, isRsaKeySpec } from './key/kms_key.ts'
export type { RsaKeySpec, RsaKeySpecInfo } from './key/kms_key.ts'
export {
  checkSegmentBytes,
  defaultStreamOptions,
  describeStreamHeader,
  encodeStreamHeader,
  FILE_ID_BYTES,
  MAX_SEGMENT_BYTES,
  MAX_SEGMENTS,
  MIN_SEGMENT_BYTES,
  openBytes,
  openNodeTransform,
  openRandomAccess,
  openStream,
  openTransform,
  parseStreamHeader,
  sealBytes,
  sealNodeTransform,
  sealStream,
  sealTransform,
  segmentNonce,
  STREAM_FIXED_HEADER_BYTES,
  STREAM_FORMAT,
  STREAM_MAGIC,
  streamHeaderLength,
  streamLayout,
  StreamOpener,
  StreamSealer,
} from './stream/index.ts'
export type {
  ByteSource,
  OpenStreamOptions,
  RandomAccessSource,
  StreamDefaults,
  StreamHeader,
  StreamLayout,
  StreamOpenOptions,
  StreamSealOptions,
} from './stream/index.ts'
