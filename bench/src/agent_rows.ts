/**
 * The agent's rows of one runtime half: the outbox (group commit) against a bare batched SQLite
 * insert at both durabilities, and the agent's path to the broker against a bare mqtt.js
 * publisher. Each pair runs in the same interleaved rounds as its peer (`runRounds`, order
 * rotated per round, forced GC before each segment), so its ratio is a median of same-round
 * ratios. Each segment also records the process's CPU time per operation (`process.cpuUsage`),
 * a figure that suffers less than msg/s from other work on a shared machine.
 *
 * @example
 * ```ts
 * const pairs = await runAgentRows(ctx.spkiDer, agentPlan, log)
 * ```
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Durability } from '../../agent/src/index.ts'
import { makeBenchDevice } from './agent_device.ts'
import type { BrokerChoice } from './bench_broker.ts'
import { openBenchBroker } from './bench_broker.ts'
import type { Rates, Step, Timed } from './measure.ts'
import { median, reason, runRounds } from './measure.ts'
import { MQTT_KEYS, WINDOW, mqttTrials } from './mqtt_trials.ts'
import type { AgentPlan } from './options.ts'
import {
  BARE_ROWS_PER_TRANSACTION,
  OUTBOX_CALLERS,
  OUTBOX_ITEM_BYTES,
  outboxKey,
  outboxTrials,
} from './outbox_trials.ts'
import type { PairRow } from './report.ts'

/** The goal of every pair: sealwire at least half its bare peer's throughput. */
const PAIR_GOAL = 0.5

/** Wraps trial steps so each segment records the process CPU time per operation, µs. */
function withCpu(timed: readonly Timed[], cpu: Map<string, number[]>): Timed[] {
  return timed.map(({ key, step }) => {
    if (step.kind !== 'trial') return { key, step }
    const list: number[] = []
    cpu.set(key, list)
    const wrapped: Step = {
      kind: 'trial',
      run: async (ms) => {
        const c0 = process.cpuUsage()
        const t0 = performance.now()
        const rate = await step.run(ms)
        const used = process.cpuUsage(c0)
        const ops = (rate * (performance.now() - t0)) / 1000
        if (ops > 0) list.push((used.user + used.system) / ops)
        return rate
      },
    }
    return { key, step: wrapped }
  })
}

interface Measured {
  readonly rates: Map<string, Rates>
  readonly failed: Map<string, string>
  readonly cpu: Map<string, number[]>
}

function pair(
  m: Measured,
  keys: { mine: string; peer: string },
  fields: Omit<PairRow, 'rates' | 'peerRates' | 'error' | 'peerError' | 'cpuUs' | 'peerCpuUs'>,
): PairRow {
  const cpu = (key: string) => {
    const list = m.cpu.get(key)
    return list && list.length > 0 ? median(list) : undefined
  }
  return {
    ...fields,
    rates: m.rates.get(keys.mine),
    peerRates: m.rates.get(keys.peer),
    error: m.failed.get(keys.mine),
    peerError: m.failed.get(keys.peer),
    cpuUs: cpu(keys.mine),
    peerCpuUs: cpu(keys.peer),
  }
}

async function measure(
  timed: readonly Timed[],
  failedBefore: ReadonlyMap<string, unknown>,
  plan: { rounds: number; roundMs: number; warmupMs: number },
  log: (line: string) => void,
): Promise<Measured> {
  const cpu = new Map<string, number[]>()
  const { rates, failed } = await runRounds(withCpu(timed, cpu), plan, log)
  for (const [key, err] of failedBefore) failed.set(key, reason(err))
  for (const [key, why] of failed) log(`${key}: n/a (${why})`)
  return { rates, failed, cpu }
}

async function outboxPairs(
  spkiDer: Uint8Array,
  plan: AgentPlan,
  log: (line: string) => void,
): Promise<PairRow[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sealwire-bench-outbox-'))
  try {
    const trials = await outboxTrials(spkiDer, dir)
    let m: Measured
    try {
      log(`outbox: ${trials.timed.length} trials`)
      m = await measure(trials.timed, trials.failed, { rounds: plan.rounds, ...plan.outbox }, log)
    } finally {
      await trials.close()
    }
    const row = (durability: Durability): PairRow => {
      const sync = durability === 'full' ? 'FULL' : 'NORMAL'
      const batch = trials.meanBatch(durability)
      return pair(
        m,
        { mine: outboxKey('outbox', durability), peer: outboxKey('bare', durability) },
        {
          id: `outbox-${durability}`,
          label: `outbox enqueue, group commit, durability ${durability}`,
          peerLabel: `bare SQLite INSERT, ${BARE_ROWS_PER_TRANSACTION} rows/transaction, synchronous=${sync}`,
          unit: 'rows/s',
          goal: PAIR_GOAL,
          note:
            `${OUTBOX_CALLERS.toLocaleString('en-US')} concurrent enqueue calls of one ${OUTBOX_ITEM_BYTES} B sealed message each` +
            (batch === undefined ? '' : `; ${Math.round(batch)} rows per group commit on average`),
        },
      )
    }
    return [row('full'), row('normal')]
  } catch (err) {
    const error = reason(err)
    log(`outbox: n/a (${error})`)
    return (['full', 'normal'] as const).map((d) => ({
      id: `outbox-${d}`,
      label: `outbox enqueue, group commit, durability ${d}`,
      peerLabel: `bare SQLite INSERT, ${BARE_ROWS_PER_TRANSACTION} rows/transaction`,
      unit: 'rows/s',
      goal: PAIR_GOAL,
      error,
      peerError: error,
    }))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function mqttPair(
  plan: AgentPlan,
  choice: BrokerChoice,
  log: (line: string) => void,
): Promise<PairRow> {
  const fields = {
    id: 'mqtt',
    label: 'agent → broker, acknowledged (submit → seal → outbox → MqttPublisher → PUBACK)',
    peerLabel: `bare mqtt.js QoS 1 publisher, sliding window`,
    unit: 'msg/s',
    goal: PAIR_GOAL,
  }
  let broker
  try {
    broker = await openBenchBroker(choice)
  } catch (err) {
    return { ...fields, error: reason(err), peerError: reason(err) }
  }
  log(`broker: ${broker.describe}`)
  const device = await makeBenchDevice('bench-agent')
  try {
    const trials = await mqttTrials(broker, device)
    let m: Measured
    try {
      m = await measure(trials.timed, trials.failed, { rounds: plan.rounds, ...plan.mqtt }, log)
    } finally {
      await trials.close()
    }
    const sizes = trials.agentSizes()
    const agentBytes =
      sizes === undefined
        ? ''
        : sizes.min === sizes.max
          ? `${sizes.min} B`
          : `${sizes.min}–${sizes.max} B`
    const window = trials.window
    return pair(
      m,
      { mine: MQTT_KEYS.agent, peer: MQTT_KEYS.bare },
      {
        ...fields,
        peerLabel: `bare mqtt.js QoS 1 publisher, sliding window ${WINDOW}`,
        broker: broker.describe,
        note:
          `in flight: ${window.agent ?? '?'} (agent), ${window.bare} (bare)` +
          (window.receiveMaximum === undefined
            ? ''
            : `, the broker's Receive Maximum is ${window.receiveMaximum}`) +
          `; payloads: agent ${agentBytes || 'n/a'}, bare ${trials.bareBytes} B; agent durability full`,
      },
    )
  } catch (err) {
    return { ...fields, error: reason(err), peerError: reason(err), broker: broker.describe }
  } finally {
    await device.remove()
    await broker.close()
  }
}

/** Measures the agent's pairs on this runtime: outbox full, outbox normal, MQTT. */
export async function runAgentRows(
  spkiDer: Uint8Array,
  plan: AgentPlan,
  broker: BrokerChoice,
  log: (line: string) => void,
): Promise<PairRow[]> {
  const outbox = await outboxPairs(spkiDer, plan, log)
  const mqtt = await mqttPair(plan, broker, log)
  return [...outbox, mqtt]
}
