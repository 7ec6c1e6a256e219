/**
 * Runs tasks one at a time per key, in the order they were queued, and tasks of different keys
 * concurrently. The consumer queues each device's data messages under the device id, so its
 * replay window and gap accounting see them in arrival order while devices proceed in parallel.
 *
 * A key is busy from the start of its running task until that task settles; the tasks queued
 * behind it wait in a plain list (no promise chain per key). A caller on the hot path can also
 * take the key itself, at once when idle ({@link KeyedQueue.tryEnter}) or in its turn
 * ({@link KeyedQueue.enter}), and hand it back when done ({@link KeyedQueue.leave}), with no
 * promise made for the queueing at all.
 *
 * @example
 * ```ts
 * const queue = new KeyedQueue()
 * await Promise.all([queue.run('dev-1', a), queue.run('dev-1', b), queue.run('dev-2', c)]) // a before b; c alongside
 * ```
 */
export class KeyedQueue {
  /** Busy keys → the tasks waiting behind the running one, in order. */
  readonly #waiting = new Map<string, (() => void)[]>()

  /** Keys with a task queued or running. */
  get size(): number {
    return this.#waiting.size
  }

  /** Runs `task` after every task queued before it under `key`; resolves or rejects as it does. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const waiting = this.#waiting.get(key)
    if (waiting === undefined) {
      this.#waiting.set(key, [])
      return this.#start(key, task)
    }
    return new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        this.#start(key, task).then(resolve, reject)
      })
    })
  }

  /**
   * Takes `key` when nothing is queued or running under it: true, and the caller now runs alone
   * under it and must call {@link leave} exactly once when done. False when it is busy.
   */
  tryEnter(key: string): boolean {
    if (this.#waiting.has(key)) return false
    this.#waiting.set(key, [])
    return true
  }

  /**
   * Calls `start` in `key`'s turn: at once when the key is idle, else after every task queued
   * before it. `start` then runs alone under the key and must call {@link leave} exactly once
   * when done (as after {@link tryEnter}); it must not throw.
   */
  enter(key: string, start: () => void): void {
    const waiting = this.#waiting.get(key)
    if (waiting === undefined) {
      this.#waiting.set(key, [])
      start()
    } else {
      waiting.push(start)
    }
  }

  /** Ends the running task of `key`: the next one queued starts, or the key becomes idle. */
  leave(key: string): void {
    const waiting = this.#waiting.get(key)
    if (waiting === undefined) return
    const next = waiting.shift()
    if (next === undefined) this.#waiting.delete(key)
    else next()
  }

  #start<T>(key: string, task: () => Promise<T>): Promise<T> {
    let p: Promise<T>
    try {
      p = task()
    } catch (err) {
      p = Promise.reject(err)
    }
    const done = (): void => this.leave(key)
    p.then(done, done)
    return p
  }
}
