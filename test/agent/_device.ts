/**
 * A provisioned device for agent tests: a fresh RSA-2048 key pair (the private half stands in for
 * KMS and opens what the agent sealed), a device folder as `sealwire-provision batch` writes it,
 * and an opener for the messages.
 */
import { generateKeyPairSync } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { TelemetryRecord } from '../../envelope/src/index.ts'
import { createLocalUnwrap, decodeRecords, Opener } from '../../envelope/src/index.ts'
import { writeTestDevice } from '../device-bundle/_helpers.ts'

/** A device folder and the private key its pin stands for. */
export interface TestDevice {
  readonly dir: string
  readonly deviceId: string
  readonly pin: string
  readonly privateKey: KeyObject
  readonly topics: { readonly data: string; readonly key: string }
}

/** Writes a device folder for `deviceId` under topic prefix `prefix`. */
export async function makeDevice(
  dir: string,
  deviceId: string,
  prefix: string,
): Promise<TestDevice> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
  const { pin } = await writeTestDevice(dir, deviceId, prefix, spki)
  return {
    dir,
    deviceId,
    pin,
    privateKey,
    topics: { data: `${prefix}/${deviceId}/data`, key: `${prefix}/${deviceId}/key` },
  }
}

/** Opens a device's messages in arrival order: announcements first, then data. */
export class DeviceReader {
  readonly opener: Opener
  readonly records: (TelemetryRecord & { readonly seq: number })[] = []
  readonly seqs: number[] = []
  readonly epochs = new Set<string>()
  readonly #device: TestDevice

  constructor(device: TestDevice) {
    this.#device = device
    this.opener = new Opener({ unwrap: createLocalUnwrap(device.privateKey) })
  }

  /** Handles one message from the device's key or data topic. */
  async take(topic: string, payload: Uint8Array): Promise<void> {
    if (topic === this.#device.topics.key) {
      const a = await this.opener.openAnnouncement(payload, this.#device.deviceId)
      this.epochs.add(Buffer.from(a.epochId).toString('hex'))
      return
    }
    const opened = await this.opener.open(payload, this.#device.deviceId)
    this.seqs.push(opened.seq)
    for (const r of decodeRecords(opened.plaintext)) this.records.push({ ...r, seq: opened.seq })
  }
}
