"""The Lua scripts: each acquisition, claim or chunk hand-out is one atomic round trip.

Times come from Redis (``TIME``), so workers on machines whose clocks
disagree still share one schedule. Rates are stored with 0 for "uncapped"
because Lua cannot read back an infinity it wrote.
"""

from __future__ import annotations

__all__ = ["ACQUIRE", "CLAIM", "JOIN", "NEXT_CHUNK", "RELEASE", "RENEW"]

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
"""

#: The job's size (KEYS[1] is its meta hash); an error if it was deleted under us.
_JOB = """
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
if not total then return redis.error_reply('NOJOB the job was deleted') end
local size = tonumber(redis.call('HGET', KEYS[1], 'chunk_size'))
"""

#: GCRA with AIMD, the same arithmetic as ``_limits.RateLimiter``.
#: KEYS: global state, sender state ('' for none), accepted-count slot prefix.
#: ARGV: ceiling, burst, sender ceiling, sender burst, adaptive, decrease,
#: recovery, cooldown, min rate, successes since last call, throttle global
#: (0/1), throttle sender (0/1). Returns [delay in µs, global rate in 1/1000 per second].
ACQUIRE = (
    _NOW
    + """
local ceiling, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local s_ceiling, s_burst = tonumber(ARGV[3]), tonumber(ARGV[4])
local adaptive = ARGV[5] == '1'
local decrease, recovery = tonumber(ARGV[6]), tonumber(ARGV[7])
local cooldown, min_rate = tonumber(ARGV[8]), tonumber(ARGV[9])
local successes = tonumber(ARGV[10])
local slot = math.floor(now * 10)
if successes > 0 then
  redis.call('INCRBY', KEYS[3] .. slot, successes)
  redis.call('PEXPIRE', KEYS[3] .. slot, 3000)
end

local function observed()
  local sum = 0
  for s = slot - 9, slot do sum = sum + (tonumber(redis.call('GET', KEYS[3] .. s)) or 0) end
  return sum
end

local function load(key, cap)
  local v = redis.call('HMGET', key, 'tat', 'rate', 'step', 'dec', 'upd')
  return {tat = tonumber(v[1]) or 0, rate = tonumber(v[2]) or cap, step = tonumber(v[3]) or 0,
          dec = tonumber(v[4]) or 0, upd = tonumber(v[5]) or 0}
end

local function throttle(st, seen)
  if now - st.dec < cooldown then return end
  if st.rate == 0 and seen <= 0 then return end
  local base = seen
  if st.rate > 0 then base = math.min(st.rate, math.max(seen, min_rate)) end
  st.rate = math.max(min_rate, base * decrease)
  st.step = math.max(base * recovery, min_rate)
  st.dec, st.upd = now, now
  if st.tat < now then st.tat = now end
end

local function recover(st, cap)
  if st.step == 0 or st.rate == 0 then return end
  if cap > 0 and st.rate >= cap then return end
  local elapsed = now - st.upd
  st.upd = now
  if elapsed > 0 then
    st.rate = st.rate + st.step * elapsed
    if cap > 0 and st.rate > cap then st.rate = cap end
    if cap == 0 and st.rate > 1000000 then st.rate, st.step = 0, 0 end
  end
end

local function reserve(st, b)
  if st.rate == 0 then return 0 end
  local interval = 1 / st.rate
  local start = st.tat
  if start < now then start = now end
  st.tat = start + interval
  return start - (b - 1) * interval - now
end

local function save(key, st, ttl)
  redis.call('HSET', key, 'tat', st.tat, 'rate', st.rate, 'step', st.step, 'dec', st.dec, 'upd', st.upd)
  redis.call('PEXPIRE', key, ttl)
end

local g = load(KEYS[1], ceiling)
if adaptive then
  if ARGV[11] == '1' then throttle(g, observed()) end
  recover(g, ceiling)
end
local delay = reserve(g, burst)
save(KEYS[1], g, 3600000)
if KEYS[2] ~= '' then
  local s = load(KEYS[2], s_ceiling)
  if adaptive then
    if ARGV[12] == '1' then
      local seen = s.rate
      if seen == 0 then seen = observed() end
      throttle(s, seen)
    end
    recover(s, s_ceiling)
  end
  local d = reserve(s, s_burst)
  if d > delay then delay = d end
  save(KEYS[2], s, 60000)
end
if delay < 0.000001 then delay = 0 end
return {math.floor(delay * 1000000), math.floor(g.rate * 1000)}
"""
)

#: Create the job, or return what it was created with.
#: KEYS: meta. ARGV: total, input id, chunk size, lease ms.
JOIN = (
    _NOW
    + """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'total', ARGV[1], 'input_id', ARGV[2], 'chunk_size', ARGV[3],
             'lease_ms', ARGV[4], 'created', string.format('%.3f', now))
end
return redis.call('HMGET', KEYS[1], 'total', 'input_id', 'chunk_size')
"""
)

#: Hand out a chunk: a fresh one, else one whose lease expired.
#: KEYS: meta, next, active, workers. ARGV: worker, lease ms, key prefix.
#: Returns the chunk number, -1 (other workers hold live chunks: wait) or -2 (none left to take).
NEXT_CHUNK = (
    _NOW
    + _JOB
    + """
local chunks = math.ceil(total / size)
redis.call('HSET', KEYS[4], ARGV[1], string.format('%.3f', now))
local c = redis.call('INCR', KEYS[2]) - 1
if c < chunks then
  redis.call('SADD', KEYS[3], c)
  redis.call('SET', ARGV[3] .. 'lease:' .. c, ARGV[1], 'PX', ARGV[2])
  return c
end
redis.call('SET', KEYS[2], chunks)
local others = 0
for _, m in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  local key = ARGV[3] .. 'lease:' .. m
  if redis.call('SET', key, ARGV[1], 'NX', 'PX', ARGV[2]) then return tonumber(m) end
  if redis.call('GET', key) ~= ARGV[1] then others = others + 1 end
end
-- Only this worker's own chunks are open: nothing to wait for.
if others > 0 then return -1 end
return -2
"""
)

#: Store finished outcomes, then claim indices.
#: KEYS: meta, started, done, inflight, counts, codes, details, chunkdone, active.
#: ARGV: worker, key prefix, k, k indices to claim, then (index, outcome, detail)
#: triples; the outcome 'release' un-claims an index that was never sent.
#: Returns per claimed index {'send'|'done'|'interrupted', who started it}.
CLAIM = (
    _NOW
    + _JOB
    + """
local k = tonumber(ARGV[3])

local function count(outcome, detail, by)
  redis.call('HINCRBY', KEYS[5], outcome, by)
  if outcome == 'failed' then redis.call('HINCRBY', KEYS[6], detail, by) end
end

for i = 4 + k, #ARGV, 3 do
  local idx, outcome, detail = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2]
  redis.call('HDEL', KEYS[4], idx)
  if outcome == 'release' then
    -- Claimed but certainly not sent (the shared limiter failed first): free it.
    if redis.call('GETBIT', KEYS[3], idx) == 0 then redis.call('SETBIT', KEYS[2], idx, 0) end
  elseif redis.call('SETBIT', KEYS[3], idx, 1) == 0 then
    count(outcome, detail, 1)
    if outcome ~= 'sent' then redis.call('HSET', KEYS[7], idx, outcome .. ' ' .. detail) end
    local c = math.floor(idx / size)
    local csize = math.min(size, total - c * size)
    if redis.call('HINCRBY', KEYS[8], c, 1) >= csize then
      redis.call('SREM', KEYS[9], c)
      redis.call('HDEL', KEYS[8], c)
      redis.call('DEL', ARGV[2] .. 'lease:' .. c)
    end
  elseif outcome ~= 'unknown' then
    -- A slow worker's real outcome for an index a takeover had reported
    -- unknown: the real one replaces it (it was still sent only once).
    local old = redis.call('HGET', KEYS[7], idx)
    if old and string.sub(old, 1, 8) == 'unknown ' then
      count('unknown', '', -1)
      count(outcome, detail, 1)
      if outcome == 'sent' then redis.call('HDEL', KEYS[7], idx)
      else redis.call('HSET', KEYS[7], idx, outcome .. ' ' .. detail) end
    end
  end
end

local answers = {}
local stamp = ARGV[1] .. ' ' .. string.format('%.3f', now)
for j = 1, k do
  local idx = tonumber(ARGV[3 + j])
  if redis.call('GETBIT', KEYS[3], idx) == 1 then
    answers[j] = {'done', ''}
  elseif redis.call('SETBIT', KEYS[2], idx, 1) == 1 then
    answers[j] = {'interrupted', redis.call('HGET', KEYS[4], idx) or ''}
  else
    redis.call('HSET', KEYS[4], idx, stamp)
    answers[j] = {'send', ''}
  end
end
return answers
"""
)

#: Extend this worker's leases. ARGV: worker, lease ms, key prefix, chunks...
#: Returns the chunks this worker no longer holds: finished, or taken over.
RENEW = """
local gone = {}
for i = 4, #ARGV do
  local key = ARGV[3] .. 'lease:' .. ARGV[i]
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2])
  else table.insert(gone, tonumber(ARGV[i])) end
end
return gone
"""

#: Give up this worker's leases so another may take the chunks at once.
#: KEYS: workers. ARGV: worker, key prefix, chunks...
RELEASE = """
for i = 3, #ARGV do
  local key = ARGV[2] .. 'lease:' .. ARGV[i]
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
"""
