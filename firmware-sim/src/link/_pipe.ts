/**
 * One direction of a proxied connection: chunks read from `src` are queued with their arrival
 * time and written to `dst` in order once `arrival + delay` has passed; nothing moves while the
 * link is a black hole. The end of `src` (a FIN, or a reset) is passed on only after every queued
 * chunk, so a black hole holds closes as well as bytes.
 */
import type { Socket } from 'node:net'
import type { LinkMode } from './link_mode.ts'
import { resetSocket } from './_reset.ts'

/** Queued bytes above which reading from the source pauses (backpressure). */
const HIGH_WATER_BYTES = 1024 * 1024

/** What a pipe needs from its link. */
export interface PipeControl {
  mode(): LinkMode
  /** Bytes written to the destination. */
  forwarded(bytes: number): void
}

/** One direction of a connection. */
export class Pipe {
  readonly #src: Socket
  readonly #dst: Socket
  readonly #ctl: PipeControl
  readonly #queue: { chunk: Buffer; at: number }[] = []
  #queuedBytes = 0
  #timer: ReturnType<typeof setTimeout> | undefined
  /** How the source ended, once it has: passed on after the queue drains. */
  #ended: 'end' | 'reset' | undefined
  #done = false

  constructor(src: Socket, dst: Socket, ctl: PipeControl) {
    this.#src = src
    this.#dst = dst
    this.#ctl = ctl
    src.on('data', (chunk: Buffer) => this.#push(chunk))
    src.on('end', () => this.#finish('end'))
    src.on('close', () => this.#finish('reset'))
    dst.on('drain', () => this.pump())
  }

  /** Applies the link's current mode: forwards what is due, holds the rest. */
  pump(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    if (this.#done) return
    const mode = this.#ctl.mode()
    if (mode.kind === 'blackhole' || mode.kind === 'refuse') {
      this.#src.pause()
      return
    }
    const delay = mode.kind === 'delay' ? mode.ms : 0
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!
      const wait = head.at + delay - Date.now()
      if (wait > 0) {
        this.#timer = setTimeout(() => this.pump(), wait)
        break
      }
      this.#queue.shift()
      this.#queuedBytes -= head.chunk.length
      if (this.#dst.destroyed) continue
      this.#dst.write(head.chunk)
      this.#ctl.forwarded(head.chunk.length)
    }
    if (this.#queue.length === 0 && this.#ended !== undefined) {
      this.#done = true
      if (this.#ended === 'end') this.#dst.end()
      else resetSocket(this.#dst)
      return
    }
    if (this.#queuedBytes < HIGH_WATER_BYTES && !this.#dst.writableNeedDrain) this.#src.resume()
    else this.#src.pause()
  }

  /** Drops everything queued and stops (the connection is being torn down). */
  discard(): void {
    this.#done = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#queue.length = 0
    this.#queuedBytes = 0
  }

  #push(chunk: Buffer): void {
    if (this.#done) return
    this.#queue.push({ chunk, at: Date.now() })
    this.#queuedBytes += chunk.length
    if (this.#timer === undefined) this.pump()
    else if (this.#queuedBytes >= HIGH_WATER_BYTES) this.#src.pause()
  }

  #finish(how: 'end' | 'reset'): void {
    if (this.#ended === 'end' && how === 'reset') return
    this.#ended ??= how
    if (this.#timer === undefined) this.pump()
  }
}
