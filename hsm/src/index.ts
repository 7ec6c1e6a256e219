/**
 * `hsm/`: the `Hsm` interface and its two implementations, shared by the provisioning station
 * (BYOK: key material generated in the in-house HSM, imported into KMS wrapped) and the consumer
 * (decryption through the HSM when KMS is unreachable). PKCS#11 through `graphene-pk11`; the seed
 * HSM's HTTP API as an HTTPS client, and a local stand-in of that API for tests. Imports only
 * `envelope/` and `platform/`. See `hsm/README.md` (normative).
 *
 * @example
 * ```ts
 * import { Pkcs11Hsm, hsmDefaults } from '../../hsm/src/index.ts'
 * const hsm = await Pkcs11Hsm.open({ module: hsmDefaults.pkcs11Module, tokenLabel: 'station', pin })
 * const spki = await hsm.generateRsa('fleet-rsa', 2048)
 * await hsm.close()
 * ```
 */
export { HsmError } from './errors.ts'
export type { AnyHsmError, HsmErrorCode } from './errors.ts'
export { hsmDefaults } from './defaults.ts'
export type { HsmDefaults } from './defaults.ts'
export { WRAP_ALGORITHMS } from './hsm.ts'
export type { Hsm, HsmCapabilities, RsaModulusBits, WrapAlgorithm } from './hsm.ts'
export { checkLabel, isLabel } from './check_label.ts'
export { oaepDecodeSha256 } from './crypto/oaep_decode.ts'
export { Pkcs11Hsm } from './pkcs11/pkcs11_hsm.ts'
export type { Pkcs11HsmOptions } from './pkcs11/pkcs11_hsm.ts'
export { HttpHsm } from './http/http_hsm.ts'
export type { HttpHsmOptions } from './http/http_hsm.ts'
export { API_PATHS } from './http/api_shapes.ts'
export { startHsmStandin } from './standin/standin_server.ts'
export type { HsmStandin, HsmStandinOptions } from './standin/standin_server.ts'
