/**
 * Defaults of `platform/`, in one typed object (STYLE §4.1).
 *
 * @example
 * ```ts
 * new ProgressReporter(n, stderr, { intervalMs: platformDefaults.progress.intervalMs * 2 })
 * ```
 */

/** The shape of {@link platformDefaults}. */
export interface PlatformDefaults {
  readonly progress: Readonly<{
    /** Plain progress lines (not a TTY): at most one per this many milliseconds… */
    intervalMs: number
    /** …or one per this many percent, whichever comes first. */
    stepPercent: number
    /** Width of the TTY bar in characters. */
    barWidth: number
    /** Minimum milliseconds between two redraws of the TTY bar. */
    redrawMs: number
  }>
  /** Temporary files of an interrupted atomic write older than this are removed by a sweep. */
  readonly staleTempMs: number
}

/** The defaults. */
export const platformDefaults: PlatformDefaults = Object.freeze({
  progress: Object.freeze({ intervalMs: 2_000, stepPercent: 10, barWidth: 30, redrawMs: 100 }),
  staleTempMs: 10 * 60 * 1000,
})
