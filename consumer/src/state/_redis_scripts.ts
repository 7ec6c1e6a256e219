/**
 * The Lua scripts behind {@link RedisConsumerState}: each runs atomically on the Redis server
 * (EVALSHA through ioredis' `defineCommand`), so a check-and-mark of one device's replay window is
 * one step for every instance sharing the Redis. The keys of one script share a hash tag (the
 * device id in `{}`), so they live in one slot and the scripts stay valid on a Redis Cluster.
 *
 * Sequence numbers reach 2^53 − 1: Lua's numbers are doubles, exact to 2^53, and `math.fmod` is
 * exact, so `seq mod size` is right for every safe integer; highest numbers are kept and returned
 * as the decimal strings the client sent, never re-printed by Lua (`tostring` would round them).
 *
 * Replay window of a device (same algorithm as `_replay_window.ts`):
 * - `KEYS[1]` a hash: `h` the highest number marked, `w` the window size it was created with;
 * - `KEYS[2]` a string used as a bitmap (SETBIT/GETBIT), bit `seq mod w` for `seq`.
 */

/** A device's window was created with another size: every instance must use the same one. */
export const WINDOW_MISMATCH = 'SEALWIRE_WINDOW_MISMATCH'

const WINDOW_HEAD = `
local meta = redis.call('HMGET', KEYS[1], 'h', 'w')
local w = tonumber(ARGV[2])
if meta[2] and tonumber(meta[2]) ~= w then
  return redis.error_reply('${WINDOW_MISMATCH} stored ' .. meta[2] .. ', given ' .. ARGV[2])
end
local seq = tonumber(ARGV[1])
`

/** `seen`: ARGV seq, size. Returns 0 new, 1 duplicate, 2 too-old. */
export const SEEN_LUA = `${WINDOW_HEAD}
if not meta[1] then return 0 end
local h = tonumber(meta[1])
if seq > h then return 0 end
if seq <= h - w then return 2 end
return redis.call('GETBIT', KEYS[2], math.fmod(seq, w))
`

/**
 * `markDelivered`: ARGV seq, size. Returns `{highest (string), gap, newly (0|1)}`. Moving the top
 * from h to seq clears the bits of h+1 … seq (they still hold numbers a window older): bit by bit
 * to a byte boundary, then whole bytes with SETRANGE, so a jump costs O(size / 8), not O(size).
 */
export const MARK_LUA = `${WINDOW_HEAD}
local function clear_bits(a, b)
  while a <= b and a % 8 ~= 0 do redis.call('SETBIT', KEYS[2], a, 0); a = a + 1 end
  while b >= a and (b + 1) % 8 ~= 0 do redis.call('SETBIT', KEYS[2], b, 0); b = b - 1 end
  if a <= b then redis.call('SETRANGE', KEYS[2], a / 8, string.rep('\\0', (b - a + 1) / 8)) end
end
if not meta[1] then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'h', ARGV[1], 'w', ARGV[2])
  redis.call('SETBIT', KEYS[2], math.fmod(seq, w), 1)
  return {ARGV[1], 0, 1}
end
local h = tonumber(meta[1])
if seq > h then
  if seq - h >= w then
    redis.call('DEL', KEYS[2])
  else
    local n = seq - h
    local p = math.fmod(h + 1, w)
    if p + n <= w then
      clear_bits(p, p + n - 1)
    else
      clear_bits(p, w - 1)
      clear_bits(0, n - (w - p) - 1)
    end
  end
  redis.call('SETBIT', KEYS[2], math.fmod(seq, w), 1)
  redis.call('HSET', KEYS[1], 'h', ARGV[1])
  return {ARGV[1], seq - h - 1, 1}
end
if seq <= h - w then return {meta[1], 0, 0} end
local old = redis.call('SETBIT', KEYS[2], math.fmod(seq, w), 1)
return {meta[1], 0, 1 - old}
`

/**
 * `putAnnouncement`: KEYS[1] the announcement's hash; ARGV topic, bytes, receivedAt, ttl ms (0:
 * none). The first one stored stays; a later put only extends its lifetime. Returns 1 when stored.
 */
export const PUT_ANNOUNCEMENT_LUA = `
local ttl = tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[1]) == 1 then
  if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
  return 0
end
redis.call('HSET', KEYS[1], 't', ARGV[1], 'b', ARGV[2], 'r', ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`
