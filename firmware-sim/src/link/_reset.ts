/**
 * Ends a socket the way a failing network does: a TCP RST where the runtime offers
 * `resetAndDestroy` (Node 16.17+), else a plain destroy (the peer then sees a FIN or an error).
 */
import type { Socket } from 'node:net'

/** Resets `socket` (RST if possible) and destroys it; never throws. */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return
  const reset = (socket as { resetAndDestroy?: () => Socket }).resetAndDestroy
  if (typeof reset === 'function') {
    try {
      reset.call(socket)
      return
    } catch {
      // Not a TCP handle, or not connected yet: a plain destroy is the best left.
    }
  }
  socket.destroy()
}
