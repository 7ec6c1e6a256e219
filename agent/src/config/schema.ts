/**
 * The agent's settings as a TypeBox schema: the static type, the runtime check and the published
 * JSON Schema (`agent/config.schema.json`, for `$schema` in editors) are this one object. Every
 * key is optional in a file: what is absent comes from the defaults (`defaults.ts`).
 *
 * @example
 * ```json
 * { "$schema": "./config.schema.json", "broker": { "url": "mqtts://iot.example:8883" } }
 * ```
 */
import type { Static } from '@sinclair/typebox'
import { Type } from '@sinclair/typebox'

const Int = (minimum: number, maximum: number, description: string) =>
  Type.Integer({ minimum, maximum, description })

const Closed = { additionalProperties: false } as const

/** The schema of an agent config file. */
export const AgentSettingsSchema = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'Path or URL of this schema, for editors' })),
    device: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'The device folder written by `sealwire-provision batch` (agent.json + key bundle)',
      }),
    ),
    state: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'State folder: agent.db (outbox, sequence, time floor)',
      }),
    ),
    durability: Type.Optional(
      Type.Union([Type.Literal('full'), Type.Literal('normal')], {
        description: 'full: an accepted reading survives power loss; normal: only a crash',
      }),
    ),
    broker: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(
            Type.String({ minLength: 1, description: 'mqtt://host:port or mqtts://host:port' }),
          ),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          protocolVersion: Type.Optional(
            Type.Union([Type.Literal(5), Type.Literal(4)], {
              description: '5 (MQTT 5, default) or 4 (MQTT 3.1.1)',
            }),
          ),
          keepaliveSec: Type.Optional(Int(0, 65535, 'MQTT keepalive, seconds')),
          connectTimeoutMs: Type.Optional(Int(100, 600_000, 'TCP + TLS + CONNACK limit, ms')),
          tls: Type.Optional(
            Type.Object(
              {
                ca: Type.Optional(Type.String({ minLength: 1, description: 'CA bundle (PEM)' })),
                cert: Type.Optional(
                  Type.String({
                    minLength: 1,
                    description: 'client certificate (PEM), mutual TLS',
                  }),
                ),
                key: Type.Optional(
                  Type.String({
                    minLength: 1,
                    description:
                      'client private key (PEM); refused when readable by group or others',
                  }),
                ),
              },
              Closed,
            ),
          ),
        },
        Closed,
      ),
    ),
    http: Type.Optional(
      Type.Object(
        {
          enabled: Type.Optional(Type.Boolean({ description: 'serve the local ingest API' })),
          listen: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'HOST:PORT on loopback (default 127.0.0.1:8787), or unix:/path/to.sock',
            }),
          ),
          maxBodyBytes: Type.Optional(Int(1024, 64 * 2 ** 20, 'largest request body, bytes')),
        },
        Closed,
      ),
    ),
    stdin: Type.Optional(Type.Boolean({ description: 'also read NDJSON readings from stdin' })),
    outbox: Type.Optional(
      Type.Object(
        {
          maxCount: Type.Optional(Int(10, 100_000_000, 'messages kept at most')),
          maxBytes: Type.Optional(Int(64 * 1024, 2 ** 40, 'sealed bytes kept at most')),
          policy: Type.Optional(
            Type.Union([Type.Literal('reject-new'), Type.Literal('drop-oldest')], {
              description: 'when full: refuse new readings (503) or drop the oldest data',
            }),
          ),
          ttlMs: Type.Optional(
            Int(0, 10 * 365 * 86_400_000, 'drop data older than this; 0: never'),
          ),
        },
        Closed,
      ),
    ),
    batch: Type.Optional(
      Type.Object(
        {
          maxReadings: Type.Optional(Int(1, 10_000, 'readings per data message (1: no batching)')),
          maxDelayMs: Type.Optional(Int(0, 60_000, 'longest a reading waits for its batch')),
          maxBytes: Type.Optional(Int(64, 120 * 1024, 'record bytes per data message')),
        },
        Closed,
      ),
    ),
    epoch: Type.Optional(
      Type.Object(
        {
          maxMessages: Type.Optional(Int(2, 2 ** 32, 'messages per data key')),
          maxAgeMs: Type.Optional(Int(1_000, 30 * 86_400_000, 'age of a data key, ms')),
          maxBytes: Type.Optional(Int(1024, 2 ** 50, 'plaintext bytes per data key')),
        },
        Closed,
      ),
    ),
    transport: Type.Optional(
      Type.Object(
        {
          windowSize: Type.Optional(Int(1, 65535, 'QoS 1 messages in flight')),
          watchdogMs: Type.Optional(
            Int(1_000, 3_600_000, 'reconnect after no PUBACK for this long'),
          ),
          drainMs: Type.Optional(Int(0, 600_000, 'wait for in-flight PUBACKs at stop')),
          backoff: Type.Optional(
            Type.Object(
              {
                initialMs: Type.Optional(Int(10, 600_000, 'first reconnect delay cap')),
                maxMs: Type.Optional(Int(10, 3_600_000, 'longest reconnect delay')),
                stableMs: Type.Optional(
                  Int(0, 3_600_000, 'connected this long resets the backoff'),
                ),
              },
              Closed,
            ),
          ),
        },
        Closed,
      ),
    ),
    entropy: Type.Optional(
      Type.Object(
        {
          source: Type.Optional(
            Type.Union([Type.Literal('os'), Type.Literal('hardware')], {
              description: 'os: the OS CSPRNG; hardware: a noise device, health-tested and mixed',
            }),
          ),
          device: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'hardware noise device or FIFO, e.g. /dev/hwrng',
            }),
          ),
          minEntropyPerSample: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              maximum: 8,
              description: 'claimed min-entropy of one 8-bit sample, bits',
            }),
          ),
          starvationTimeoutMs: Type.Optional(Int(100, 3_600_000, 'no samples this long: failure')),
        },
        Closed,
      ),
    ),
    clock: Type.Optional(
      Type.Object(
        {
          trust: Type.Optional(
            Type.Union([Type.Literal('system'), Type.Literal('ntp'), Type.Literal('broker')], {
              description:
                'when record times count as synced: system (always), ntp (systemd-timesyncd says so), broker (after the first broker connection)',
            }),
          ),
        },
        Closed,
      ),
    ),
    spool: Type.Optional(
      Type.Object(
        {
          dir: Type.Optional(
            Type.String({
              minLength: 1,
              description:
                'spool folder: files dropped here are sealed, uploaded to spool.url, then deleted',
            }),
          ),
          url: Type.Optional(
            Type.String({
              minLength: 1,
              description: 's3://bucket/prefix/: objects at <prefix><device id>/<name>.sw',
            }),
          ),
          endpoint: Type.Optional(
            Type.String({ minLength: 1, description: 'S3-compatible endpoint (path-style)' }),
          ),
          region: Type.Optional(Type.String({ minLength: 1, description: 'S3 region' })),
          scanMs: Type.Optional(
            Int(100, 3_600_000, 'time between scans; a file is taken once unchanged over one'),
          ),
        },
        Closed,
      ),
    ),
    log: Type.Optional(
      Type.Object(
        {
          level: Type.Optional(
            Type.Union(
              [
                Type.Literal('debug'),
                Type.Literal('info'),
                Type.Literal('warn'),
                Type.Literal('error'),
              ],
              { description: 'JSON log lines on stderr at this level and above' },
            ),
          ),
        },
        Closed,
      ),
    ),
  },
  {
    ...Closed,
    $id: 'https://sealwire.dev/schemas/agent-config.json',
    title: 'sealwire-agent configuration',
    description:
      'Settings of sealwire-agent; precedence: defaults < this file < SEALWIRE_* < flags',
  },
)

/** A config file's settings (every key optional). */
export type AgentSettingsInput = Static<typeof AgentSettingsSchema>
