/**
 * CPU time and peak memory of the run's processes, read from Linux's `/proc/<pid>/stat` and
 * `/proc/<pid>/status` (`VmHWM`: the peak resident set). Elsewhere nothing is measured and the
 * summary says so. A process is sampled while it runs; one that is killed keeps its last sample,
 * so a power-cut host's earlier incarnation still counts.
 *
 * @example
 * ```ts
 * const usage = new UsageTracker()
 * usage.sample('consumer', consumer.child.pid)
 * usage.total('consumer') // { cpuSec: 3.2, peakRssMiB: 88.1 }
 * ```
 */
import { readFileSync } from 'node:fs'

/** CPU seconds (user + system) and peak RSS of one process incarnation. */
interface Reading {
  readonly cpuSec: number
  readonly peakRssMiB: number
}

const TICKS_PER_SECOND = 100 // USER_HZ on Linux

function read(pid: number): Reading | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name: state is 3rd, utime 14th, stime 15th.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cpuSec = (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(status)
    return { cpuSec, peakRssMiB: hwm === null ? 0 : Number(hwm[1]) / 1024 }
  } catch {
    return undefined
  }
}

/** Usage of a group of processes (`hosts`, `consumer`), summed over their incarnations. */
export interface GroupUsage {
  readonly processes: number
  readonly cpuSec: number
  /** The highest peak RSS of any one process of the group. */
  readonly maxPeakRssMiB: number
  /** The sum of the processes' peak RSS (an upper bound of the group's peak). */
  readonly sumPeakRssMiB: number
}

/** Samples processes by group. */
export class UsageTracker {
  readonly #last = new Map<string, Map<number, Reading>>()
  readonly available = process.platform === 'linux'

  /** Samples process `pid` of `group` (ignored when it is gone). */
  sample(group: string, pid: number | undefined): void {
    if (!this.available || pid === undefined) return
    const r = read(pid)
    if (r === undefined) return
    let m = this.#last.get(group)
    if (m === undefined) this.#last.set(group, (m = new Map()))
    m.set(pid, r)
  }

  /** The group's totals. */
  total(group: string): GroupUsage {
    const m = [...(this.#last.get(group)?.values() ?? [])]
    return {
      processes: m.length,
      cpuSec: m.reduce((s, r) => s + r.cpuSec, 0),
      maxPeakRssMiB: m.reduce((s, r) => Math.max(s, r.peakRssMiB), 0),
      sumPeakRssMiB: m.reduce((s, r) => s + r.peakRssMiB, 0),
    }
  }
}
