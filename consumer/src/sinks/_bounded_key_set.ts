/**
 * A set of strings that forgets its oldest entries beyond `max` (FIFO: a JavaScript `Set` keeps
 * insertion order). The JSONL sink's memory of what it wrote: exactly-once holds within it.
 */
export class BoundedKeySet {
  readonly #max: number
  readonly #keys = new Set<string>()

  constructor(max: number) {
    this.#max = max
  }

  get size(): number {
    return this.#keys.size
  }

  has(key: string): boolean {
    return this.#keys.has(key)
  }

  add(key: string): void {
    if (this.#keys.has(key)) return
    this.#keys.add(key)
    if (this.#keys.size > this.#max) {
      const oldest = this.#keys.values().next().value as string
      this.#keys.delete(oldest)
    }
  }

  clear(): void {
    this.#keys.clear()
  }
}
