/**
 * Shared helpers of the store tests: fake sealed messages (the right head, any body), epoch ids,
 * items, and stores opened on temporary folders and closed after each test.
 */
import type { AgentStore, AgentStoreOptions } from '../../../agent/src/store/index.ts'
import { openAgentStore } from '../../../agent/src/store/index.ts'
import { tempDir } from '../../helpers/index.ts'

export { announcement, data, epoch, epochHex, isBun, sealedBytes } from './_items.ts'

const opened: AgentStore[] = []

/** Opens a store (on a new temporary folder unless `stateDir` is given); closed by {@link closeStores}. */
export async function openStore(options: Partial<AgentStoreOptions> = {}): Promise<AgentStore> {
  const stateDir = options.stateDir ?? (await tempDir('sealwire-store-'))
  const store = await openAgentStore({ ...options, stateDir })
  opened.push(store)
  return store
}

/** Closes every store of {@link openStore} (call in `afterEach`, before removing folders). */
export async function closeStores(): Promise<void> {
  while (opened.length > 0) {
    const store = opened.pop()!
    try {
      await store.stop()
    } catch {
      // A test that simulated a crash closed the connection itself.
    }
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}
