/**
 * A JSON-lines audit log in the spirit of CloudTrail: one event per request, written as the
 * answer goes out, with CloudTrail's field names (`eventTime`, `eventName`, `requestID`,
 * `errorCode`, `resources`…) plus a flat `keyId`/`keyArn`.
 *
 * Never written: key material, plaintext, ciphertext, import tokens, public keys. Request and
 * response members are copied by their declared types and every blob member is left out; a
 * request that could not be decoded logs no parameters at all (its raw body is never read back).
 * Encryption contexts are logged, as CloudTrail logs them (AWS: "do not include confidential
 * information" in them).
 *
 * @example
 * ```ts
 * const log = AuditLog.open('/var/log/kms-local.jsonl')
 * log.write({ eventName: 'Decrypt', ... })
 * log.close()
 * ```
 */
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs'
import { plain, shown } from '../../platform/src/index.ts'
import { AUDIT_LOG_MODE } from './defaults.ts'
import { KmsLocalError } from './errors.ts'
import type { FieldSpec, Members } from './input_schema.ts'

/** One audit event. */
export interface AuditEvent {
  readonly eventVersion: '1.08'
  readonly eventTime: string
  readonly eventSource: 'kms.amazonaws.com'
  readonly eventName: string
  readonly awsRegion: string
  readonly sourceIPAddress: string | null
  readonly userAgent: string | null
  readonly requestParameters: Record<string, unknown> | null
  readonly responseElements: Record<string, unknown> | null
  readonly requestID: string
  readonly eventID: string
  readonly readOnly: boolean
  readonly eventType: 'AwsApiCall'
  readonly managementEvent: true
  readonly recipientAccountId: string
  readonly eventCategory: 'Management'
  readonly keyId?: string
  readonly keyArn?: string
  readonly resources?: readonly { ARN: string; accountId: string; type: 'AWS::KMS::Key' }[]
  readonly errorCode?: string
  readonly errorMessage?: string
}

/**
 * An append-only audit file, opened once with mode 0600.
 *
 * @example
 * ```ts
 * const log = AuditLog.open(path)
 * ```
 */
export class AuditLog {
  readonly path: string
  #fd: number | undefined
  readonly #onFailure: (error: KmsLocalError<'ERR_KMS_LOCAL_AUDIT_LOG'>) => void
  #failing = false

  private constructor(
    path: string,
    fd: number,
    onFailure: (error: KmsLocalError<'ERR_KMS_LOCAL_AUDIT_LOG'>) => void,
  ) {
    this.path = path
    this.#fd = fd
    this.#onFailure = onFailure
  }

  /**
   * Opens (creates) the file for appending. `ERR_KMS_LOCAL_AUDIT_LOG` when it cannot.
   * `onFailure` hears of a line that could not be built or written (once, until a line is
   * written again).
   */
  static open(
    path: string,
    onFailure: (error: KmsLocalError<'ERR_KMS_LOCAL_AUDIT_LOG'>) => void = () => undefined,
  ): AuditLog {
    try {
      const fd = openSync(path, 'a', AUDIT_LOG_MODE)
      try {
        fchmodSync(fd, AUDIT_LOG_MODE)
      } catch {
        // Not our file (another owner): appending is still allowed, keep its mode.
      }
      return new AuditLog(path, fd, onFailure)
    } catch (cause) {
      const errno = (cause as NodeJS.ErrnoException).code ?? String(cause)
      throw new KmsLocalError(
        'ERR_KMS_LOCAL_AUDIT_LOG',
        `cannot open audit log ${shown(path, 200)}: ${errno}`,
        { cause },
      )
    }
  }

  /**
   * Appends one event as one line. Never throws: an event that cannot be built or written is
   * dropped and reported to `onFailure` (the API answer has gone out anyway; a trail is best
   * effort, and a KMS request never fails because the log disk is full).
   */
  write(event: AuditEvent | (() => AuditEvent)): void {
    if (this.#fd === undefined) return
    try {
      const line = `${JSON.stringify(typeof event === 'function' ? event() : event)}\n`
      writeSync(this.#fd, line)
      this.#failing = false
    } catch (cause) {
      if (this.#failing) return
      this.#failing = true
      const detail = (cause as NodeJS.ErrnoException).code ?? plain(String(cause))
      try {
        this.#onFailure(
          new KmsLocalError(
            'ERR_KMS_LOCAL_AUDIT_LOG',
            `cannot write audit log ${shown(this.path, 200)}: ${detail} (lines are dropped until a write succeeds)`,
            { cause },
          ),
        )
      } catch {
        // The reporter itself failed: nothing is left to tell.
      }
    }
  }

  /** Closes the file; later writes are ignored. */
  close(): void {
    if (this.#fd === undefined) return
    closeSync(this.#fd)
    this.#fd = undefined
  }
}

/** A date as ISO 8601, or `undefined` for anything else (an invalid `Date` included). */
function isoOrUndefined(value: unknown): string | undefined {
  return value instanceof Date && Number.isFinite(value.getTime()) ? value.toISOString() : undefined
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1)
}

function redactValue(spec: FieldSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'blob':
      return undefined
    case 'timestamp':
      return isoOrUndefined(value)
    case 'structure':
      return redactRequest(spec.members, value as Record<string, unknown>)
    case 'list':
      return Array.isArray(value) ? value.map((v) => redactValue(spec.member, v)) : undefined
    default:
      return value
  }
}

/**
 * Copies a decoded request for the log: member names in camelCase (as CloudTrail writes them),
 * blob members left out.
 *
 * @example
 * ```ts
 * redactRequest(encrypt.input, { KeyId: 'k', Plaintext: secret }) // { keyId: 'k' }
 * ```
 */
export function redactRequest(
  members: Members,
  input: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(members)) {
    if (input[name] === undefined) continue
    const v = redactValue(spec, input[name])
    if (v !== undefined) out[lowerFirst(name)] = v
  }
  return out
}

/**
 * Copies a response for the log: camelCase names, dates as ISO strings, every byte value (blob)
 * left out.
 *
 * @example
 * ```ts
 * redactResponse({ KeyId: arn, Plaintext: secret }) // { keyId: arn }
 * ```
 */
export function redactResponse(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    const r = redactAny(v)
    if (r !== undefined) out[lowerFirst(k)] = r
  }
  return out
}

function redactAny(value: unknown): unknown {
  if (value === undefined || value instanceof Uint8Array) return undefined
  if (value instanceof Date) return isoOrUndefined(value)
  if (Array.isArray(value)) return value.map(redactAny).filter((v) => v !== undefined)
  if (typeof value === 'object' && value !== null)
    return redactResponse(value as Record<string, unknown>)
  return value
}
