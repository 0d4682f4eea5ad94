/**
 * The atomic steps of the shared store, as Lua scripts run inside Redis (one round trip
 * each, nothing interleaves). A BSS lease is the key `lease:<bssid>` holding
 * "<instance>|<token>|<agent>", with a time to live; the token comes from INCR on
 * `fence:<bssid>`, so every takeover gets a larger one. A write carries the whole lease
 * value it believes it holds, and is refused (0) unless that is still the lease: an
 * instance that lost its BSS to another (paused, partitioned, slow) can no longer change
 * its state. Instance ids are random per process start, so a value cannot repeat even if
 * Redis comes back empty and the tokens start again.
 */

/**
 * Takes a BSS over for an agent (it said Hello here; its claims passed CLAIM).
 * KEYS: lease, fence, state, agent. ARGV: instance, lease ms, agent.
 * Returns {"ok", lease value, previous lease value or "", HGETALL of the state}.
 */
export const TAKEOVER = `
local prev = redis.call('GET', KEYS[1])
local t = redis.call('INCR', KEYS[2])
local v = ARGV[1] .. '|' .. t .. '|' .. ARGV[3]
redis.call('SET', KEYS[1], v, 'PX', tonumber(ARGV[2]))
redis.call('SET', KEYS[4], ARGV[1], 'PX', tonumber(ARGV[2]))
return {'ok', v, prev or '', redis.call('HGETALL', KEYS[3])}
`;

/**
 * Lua: the time now (ms, Redis's clock) in `now`, and the claims that expired by then gone
 * (KEYS[1] claims, KEYS[2] claim-owner, `prefix` the key prefix).
 */
const SWEEP_CLAIMS = `local tm = redis.call('TIME')
local now = tonumber(tm[1]) * 1000 + math.floor(tonumber(tm[2]) / 1000)
for _, b in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)) do
  local o = redis.call('HGET', KEYS[2], b)
  if o then redis.call('ZREM', prefix .. 'agent-claims:' .. o, b) end
  redis.call('HDEL', KEYS[2], b)
  redis.call('ZREM', KEYS[1], b)
end
`;

/**
 * The first-claim table of every instance (agents.bss_policy first-claim; claim-table.ts
 * is the same rules in one process): the hash `claim-owner` (BSSID -> agent), the sorted set
 * `claims` (BSSID -> when it expires, ms; an agent's claims are refreshed while it is
 * served: CLAIMS_REFRESH) and per agent the sorted set `agent-claims:<agent>` (BSSID -> the
 * order of its claims, oldest first). Expired claims are swept first.
 *
 * CLAIM checks and records a Hello's claims. KEYS: claims, claim-owner, agent-claims:<agent>,
 * claim-seq. ARGV: key prefix, agent, claim ms, max per agent, max total, the BSSIDs.
 * Returns {"ok", total} or {"claimed", bssid, owner} or {"agent-limit", n} or
 * {"total-limit", total}.
 */
export const CLAIM = `
local prefix, agent = ARGV[1], ARGV[2]
local claimMs, maxA, maxT = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
${SWEEP_CLAIMS}local announced, fresh = {}, {}
for i = 6, #ARGV do
  local b = ARGV[i]
  announced[b] = true
  local o = redis.call('HGET', KEYS[2], b)
  if o and o ~= agent then return {'claimed', b, o} end
  if not o then fresh[#fresh + 1] = b end
end
local held = redis.call('ZCARD', KEYS[3])
local over = held + #fresh - maxA
local dropped = {}
if over > 0 then
  for _, b in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
    if #dropped >= over then break end
    if not announced[b] then dropped[#dropped + 1] = b end
  end
end
if held - #dropped + #fresh > maxA then return {'agent-limit', tostring(#ARGV - 5)} end
local total = redis.call('ZCARD', KEYS[1])
if total - #dropped + #fresh > maxT then return {'total-limit', tostring(total)} end
for _, b in ipairs(dropped) do
  redis.call('HDEL', KEYS[2], b)
  redis.call('ZREM', KEYS[1], b)
  redis.call('ZREM', KEYS[3], b)
end
for _, b in ipairs(fresh) do
  redis.call('HSET', KEYS[2], b, agent)
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[4]), b)
end
local exp = now + claimMs
for _, b in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do redis.call('ZADD', KEYS[1], exp, b) end
return {'ok', tostring(redis.call('ZCARD', KEYS[1]))}
`;

/**
 * Keeps the claims of the agents served here from expiring (they are present), sweeps the
 * expired ones, and returns how many claims there are.
 * KEYS: claims, claim-owner. ARGV: key prefix, claim ms, the agents.
 */
export const CLAIMS_REFRESH = `
local prefix = ARGV[1]
${SWEEP_CLAIMS}local exp = now + tonumber(ARGV[2])
for i = 3, #ARGV do
  for _, b in ipairs(redis.call('ZRANGE', prefix .. 'agent-claims:' .. ARGV[i], 0, -1)) do redis.call('ZADD', KEYS[1], exp, b) end
end
return redis.call('ZCARD', KEYS[1])
`;

/**
 * Lua: whether the lease `lease` is still the value `v` held. A lease that expired meanwhile
 * (its renewal came late: a busy process, a slow Redis) is still ours when nobody took the
 * BSS since, which the fence counter tells (it still has our token): it is set again, for
 * `ms`. Taken (another value there, or the fence moved on): not ours.
 */
const OURS = `
local function ours(lease, fence, v, ms)
  local cur = redis.call('GET', lease)
  if cur == v then return true end
  if cur then return false end
  local t = tonumber(string.match(v, '^[^|]*|(%d+)|'))
  if t == nil or tonumber(redis.call('GET', fence) or '0') ~= t then return false end
  redis.call('SET', lease, v, 'PX', ms)
  return true
end
`;

/**
 * Renews leases held, and keeps their state and agent directory entries alive.
 * KEYS: lease1, state1, agent1, fence1, lease2, ... ARGV: lease ms, state ms, instance,
 * value1, value2, ... Returns the 1-based indexes (of the quadruples) whose lease is not ours
 * any more.
 */
export const RENEW = `${OURS}
local lost = {}
local n = #KEYS / 4
for i = 1, n do
  local l = KEYS[4 * i - 3]
  if ours(l, KEYS[4 * i], ARGV[i + 3], tonumber(ARGV[1])) then
    redis.call('PEXPIRE', l, tonumber(ARGV[1]))
    redis.call('PEXPIRE', KEYS[4 * i - 2], tonumber(ARGV[2]))
    redis.call('SET', KEYS[4 * i - 1], ARGV[3], 'PX', tonumber(ARGV[1]))
  else
    lost[#lost + 1] = i
  end
end
return lost
`;

/**
 * Writes a BSS's state under its lease.
 * KEYS: lease, state, fence. ARGV: lease value, state ms, lease ms, number of fields set (n),
 * n field/value pairs, then fields to delete. Returns 1, or 0 when the lease is not ours
 * (nothing written).
 */
export const WRITE = `${OURS}
if not ours(KEYS[1], KEYS[3], ARGV[1], tonumber(ARGV[3])) then return 0 end
local n = tonumber(ARGV[4])
local at = 5
for i = 1, n do
  redis.call('HSET', KEYS[2], ARGV[at], ARGV[at + 1])
  at = at + 2
end
for i = at, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
return 1
`;

/**
 * Lets a BSS go for good (its agent left, or was given up): its lease and state go (its
 * claim expires claim ms after its agent's last refresh: CLAIMS_REFRESH).
 * KEYS: lease, state. ARGV: lease value. Returns 1, or 0 when not ours.
 */
export const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
return 1
`;

/**
 * After Redis came back (perhaps empty): the lease is set again to the value held, unless
 * another instance took the BSS since (its lease is there, or the fence counter went past
 * our token). The fence counter is raised to our token if Redis lost it, so later
 * takeovers still get larger tokens. The claim is recorded again for its agent unless
 * another agent claimed the BSSID meanwhile.
 * KEYS: lease, fence, agent, claims, claim-owner, agent-claims:<agent>, claim-seq.
 * ARGV: lease value, lease ms, agent, claim ms, instance, token, bssid (claim key, "" for
 * none: an assigned BSSID or bss_policy configured). Returns 1 (ours), or 0 (someone else's).
 */
export const RECLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
local f = tonumber(redis.call('GET', KEYS[2]) or '0')
local t = tonumber(ARGV[6])
if f > t then return 0 end
if f < t then redis.call('SET', KEYS[2], ARGV[6]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
redis.call('SET', KEYS[3], ARGV[5], 'PX', tonumber(ARGV[2]))
if ARGV[7] ~= '' and not redis.call('HGET', KEYS[5], ARGV[7]) then
  local tm = redis.call('TIME')
  redis.call('HSET', KEYS[5], ARGV[7], ARGV[3])
  redis.call('ZADD', KEYS[4], tonumber(tm[1]) * 1000 + tonumber(ARGV[4]), ARGV[7])
  redis.call('ZADD', KEYS[6], redis.call('INCR', KEYS[7]), ARGV[7])
end
return 1
`;
