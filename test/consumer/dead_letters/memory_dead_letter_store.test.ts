/** MemoryDeadLetterStore: the DeadLetterStore contract. */
import { MemoryDeadLetterStore } from '../../../consumer/src/dead_letters/index.ts'
import { deadLetterContract } from './dead_letter_contract.ts'

deadLetterContract(
  'MemoryDeadLetterStore',
  async () => ({ open: async (options) => new MemoryDeadLetterStore(options) }),
  { persistent: false },
)
