/**
 * Runs tasks one at a time per key, in the order they were queued, and tasks of different keys
 * concurrently. The consumer queues each device's data messages under the device id, so its
 * replay window and gap accounting see them in arrival order while devices proceed in parallel.
 *
 * @example
 * ```ts
 * const queue = new KeyedQueue()
 * await Promise.all([queue.run('dev-1', a), queue.run('dev-1', b), queue.run('dev-2', c)]) // a before b; c alongside
 * ```
 */
export class KeyedQueue {
  readonly #tails = new Map<string, Promise<unknown>>()

  /** Keys with a task queued or running. */
  get size(): number {
    return this.#tails.size
  }

  /** Runs `task` after every task queued before it under `key`; resolves or rejects as it does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const before = this.#tails.get(key)
    const mine = before === undefined ? task() : before.then(task, task)
    const tail = mine.then(
      () => undefined,
      () => undefined,
    )
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return mine
  }
}
