/**
 * `firmware-sim/src/link/`: the flaky link, a TCP proxy between a device and its broker that
 * passes, delays, black-holes, cuts or refuses connections, and a seeded schedule to drive it.
 * README.md states the contract.
 *
 * @example
 * ```ts
 * import { startFlakyLink } from './link/index.ts'
 * const link = await startFlakyLink({ target: { host: '127.0.0.1', port: 1883 } })
 * link.set({ kind: 'cut' })
 * ```
 */
export { startFlakyLink } from './flaky_link.ts'
export type { FlakyLink, FlakyLinkOptions, LinkStats } from './flaky_link.ts'
export { checkLinkMode, describeLinkMode, LINK_MODE_KINDS, MAX_LINK_DELAY_MS } from './link_mode.ts'
export type { LinkMode } from './link_mode.ts'
export { linkSchedule, linkScheduleDefaults, playLinkSchedule } from './link_schedule.ts'
export type { LinkEvent, LinkFault, PlayingSchedule } from './link_schedule.ts'
