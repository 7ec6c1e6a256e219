/**
 * The consumer's settings as a TypeBox schema: the static type of a config file and its runtime
 * check are this one object. Every key is optional in a file: what is absent comes from the
 * defaults (`defaults.ts`).
 *
 * @example
 * ```json
 * { "broker": { "url": "mqtts://broker.example:8883", "clientId": "consumer-0" }, "keyIds": ["alias/fleet"] }
 * ```
 */
import type { Static } from '@sinclair/typebox'
import { Type } from '@sinclair/typebox'

const Int = (minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, description })

const Text = (description: string) => Type.String({ minLength: 1, description })

const Table = (description: string) =>
  Type.String({
    pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$',
    description,
  })

const Closed = { additionalProperties: false } as const

const HOUR = 3_600_000

/** The schema of a consumer config file. */
export const ConsumerSettingsSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    broker: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(Text('mqtt://host:port or mqtts://host:port')),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          protocolVersion: Type.Optional(
            Type.Union([Type.Literal('auto'), Type.Literal(5), Type.Literal(4)], {
              description:
                'auto (MQTT 5, else 3.1.1), 5, or 4 (MQTT 3.1.1: no shared subscriptions)',
            }),
          ),
          clientId: Type.Optional(
            Type.String({
              // 123 + "-keys" (the key connection's id) = 128, AWS IoT Core's limit.
              pattern: '^[A-Za-z0-9._-]{1,123}$',
              description:
                'stable id of this instance (its data connection; "-keys" appended for its key connection)',
            }),
          ),
          shareGroup: Type.Optional(
            Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'MQTT share group' }),
          ),
          sessionExpirySec: Type.Optional(
            Int(0, 86_400, 'session kept after a disconnect, s (with clientId)'),
          ),
          keepaliveSec: Type.Optional(Int(0, 65_535, 'MQTT keepalive, s')),
          connectTimeoutMs: Type.Optional(Int(100, 600_000, 'connection limit, ms')),
          receiveMaximum: Type.Optional(
            Int(1, 65_535, 'messages in flight (unacknowledged) at most, per connection'),
          ),
          settleMs: Type.Optional(
            Int(0, 60_000, 'quiet time on key topics before subscribing to data, ms'),
          ),
          maxSettleMs: Type.Optional(
            Int(0, 600_000, 'longest wait before subscribing to data, ms'),
          ),
          tls: Type.Optional(
            Type.Object(
              {
                ca: Type.Optional(Text('CA bundle (PEM)')),
                cert: Type.Optional(Text('client certificate (PEM)')),
                key: Type.Optional(Text('client private key (PEM), mode 0600')),
              },
              Closed,
            ),
          ),
        },
        Closed,
      ),
    ),
    topicPrefix: Type.Optional(Text('topic prefix of the devices')),
    keyIds: Type.Optional(Type.Array(Text('KMS key id, ARN or alias'), { maxItems: 16 })),
    sink: Type.Optional(Text('jsonl:PATH, jsonl:- or postgres://…')),
    sinkTable: Type.Optional(Table('table of the PostgreSQL sink')),
    state: Type.Optional(Text('memory or redis://…')),
    stateKeyPrefix: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Redis key prefix' }),
    ),
    deadLetters: Type.Optional(Text('a folder, or postgres://…')),
    deadLettersTable: Type.Optional(Table('table of the PostgreSQL dead-letter store')),
    replayWindow: Type.Optional(Int(8, 1 << 20, 'sequence numbers a replay window remembers')),
    kms: Type.Optional(
      Type.Object(
        {
          endpoint: Type.Optional(Text('KMS endpoint URL (kms-local, a VPC endpoint)')),
          region: Type.Optional(Text('AWS region')),
          profile: Type.Optional(Text('AWS shared-config profile')),
          ratePerSecond: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
          maxConcurrent: Type.Optional(Int(1, 1024, 'Decrypt calls in flight at most')),
          throttleRetryMs: Type.Optional(Int(0, HOUR, 'retry of a throttled Decrypt, ms')),
          maxRetries: Type.Optional(Int(0, 20, 'kms-client retries per call')),
          connectionTimeoutMs: Type.Optional(Int(100, 600_000, 'per attempt, ms')),
          requestTimeoutMs: Type.Optional(Int(100, 600_000, 'per attempt, ms')),
        },
        Closed,
      ),
    ),
    hsm: Type.Optional(
      Type.Object(
        {
          module: Type.Optional(Text('PKCS#11 library of the HSM')),
          tokenLabel: Type.Optional(
            Type.String({
              minLength: 1,
              maxLength: 32,
              description: 'PKCS#11 token label; set it to turn the HSM fallback on',
            }),
          ),
          pinEnv: Type.Optional(
            Type.String({
              pattern: '^[A-Za-z_][A-Za-z0-9_]{0,127}$',
              description: 'environment variable holding the user PIN',
            }),
          ),
          pinFile: Type.Optional(Text('file whose first line is the user PIN, mode 0600')),
          keyLabels: Type.Optional(
            Type.Array(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), { maxItems: 16 }),
          ),
          order: Type.Optional(Type.Union([Type.Literal('kms-first'), Type.Literal('hsm-first')])),
          kmsRetryAfterMs: Type.Optional(
            Int(0, HOUR, 'after KMS was unavailable, go to the HSM directly for this long, ms'),
          ),
        },
        Closed,
      ),
    ),
    epochs: Type.Optional(
      Type.Object(
        {
          cacheEntries: Type.Optional(Int(1, 10_000_000, 'epoch keys in memory at most')),
          cacheTtlMs: Type.Optional(Int(1_000, 30 * 24 * HOUR, 'epoch keys kept in memory, ms')),
          budgetWindowMs: Type.Optional(Int(1_000, 24 * HOUR, 'new-epoch budget window, ms')),
          budgetPerDevice: Type.Optional(Int(1, 1_000_000, 'new epochs per device per window')),
          budgetTotal: Type.Optional(Int(1, 100_000_000, 'new epochs in total per window')),
        },
        Closed,
      ),
    ),
    parking: Type.Optional(
      Type.Object(
        {
          maxMessages: Type.Optional(Int(0, 10_000_000, 'parked messages at most')),
          maxAgeMs: Type.Optional(Int(0, HOUR, 'longest wait for an announcement, ms')),
        },
        Closed,
      ),
    ),
    delivery: Type.Optional(
      Type.Object(
        {
          retryInitialMs: Type.Optional(Int(1, 60_000, 'first sink retry backoff cap, ms')),
          retryMaxMs: Type.Optional(Int(1, 600_000, 'sink retry backoff cap, ms')),
          deadLetterAfterMs: Type.Optional(Int(0, 7 * 24 * HOUR, 'sink-failed after, ms')),
        },
        Closed,
      ),
    ),
    metrics: Type.Optional(Text('HOST:PORT of the Prometheus endpoint, or off')),
    drainMs: Type.Optional(Int(0, 600_000, 'time to finish messages in flight at stop, ms')),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            Type.Union([
              Type.Literal('debug'),
              Type.Literal('info'),
              Type.Literal('warn'),
              Type.Literal('error'),
            ]),
          ),
        },
        Closed,
      ),
    ),
  },
  Closed,
)

/** What a config file holds. */
export type ConsumerSettingsInput = Static<typeof ConsumerSettingsSchema>
