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
 * Takes a BSS over for an agent (it said Hello here).
 * KEYS: lease, fence, state, claim, agent. ARGV: instance, lease ms, agent, first-claim
 * ("1"/"0"), claim ms (how long the claim outlives the last renewal).
 * Returns {"ok", lease value, previous lease value or "", HGETALL of the state} or
 * {"claimed", the agent that holds the claim}.
 */
export const TAKEOVER = `
local claim = redis.call('GET', KEYS[4])
if ARGV[4] == '1' and claim and claim ~= ARGV[3] then return {'claimed', claim} end
redis.call('SET', KEYS[4], ARGV[3], 'PX', tonumber(ARGV[5]))
local prev = redis.call('GET', KEYS[1])
local t = redis.call('INCR', KEYS[2])
local v = ARGV[1] .. '|' .. t .. '|' .. ARGV[3]
redis.call('SET', KEYS[1], v, 'PX', tonumber(ARGV[2]))
redis.call('SET', KEYS[5], ARGV[1], 'PX', tonumber(ARGV[2]))
return {'ok', v, prev or '', redis.call('HGETALL', KEYS[3])}
`;

/**
 * Renews leases held, and keeps their state, claims and agent directory entries alive.
 * KEYS: lease1, state1, claim1, agent1, lease2, ... ARGV: lease ms, state ms, claim ms,
 * instance, value1, value2, ... Returns the 1-based indexes (of the quadruples) whose lease
 * is not ours any more.
 */
export const RENEW = `
local lost = {}
local n = #KEYS / 4
for i = 1, n do
  local l = KEYS[4 * i - 3]
  if redis.call('GET', l) == ARGV[i + 4] then
    redis.call('PEXPIRE', l, tonumber(ARGV[1]))
    redis.call('PEXPIRE', KEYS[4 * i - 2], tonumber(ARGV[2]))
    redis.call('PEXPIRE', KEYS[4 * i - 1], tonumber(ARGV[3]))
    redis.call('SET', KEYS[4 * i], ARGV[4], 'PX', tonumber(ARGV[1]))
  else
    lost[#lost + 1] = i
  end
end
return lost
`;

/**
 * Writes a BSS's state under its lease.
 * KEYS: lease, state. ARGV: lease value, state ms, number of fields set (n), n field/value
 * pairs, then fields to delete. Returns 1, or 0 when the lease is not ours (nothing written).
 */
export const WRITE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[3])
local at = 4
for i = 1, n do
  redis.call('HSET', KEYS[2], ARGV[at], ARGV[at + 1])
  at = at + 2
end
for i = at, #ARGV do redis.call('HDEL', KEYS[2], ARGV[i]) end
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
return 1
`;

/**
 * Lets a BSS go for good (its agent left, or was given up): its state goes, and its claim
 * expires after claim ms (0: at once).
 * KEYS: lease, state, claim. ARGV: lease value, claim ms. Returns 1, or 0 when not ours.
 */
export const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
if tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[2])) else redis.call('DEL', KEYS[3]) end
return 1
`;

/**
 * After Redis came back (perhaps empty): the lease is set again to the value held, unless
 * another instance took the BSS since (its lease is there, or the fence counter went past
 * our token). The fence counter is raised to our token if Redis lost it, so later
 * takeovers still get larger tokens.
 * KEYS: lease, fence, claim, agent. ARGV: lease value, lease ms, agent, claim ms, instance,
 * token. Returns 1 (ours), or 0 (someone else's).
 */
export const RECLAIM = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
local f = tonumber(redis.call('GET', KEYS[2]) or '0')
local t = tonumber(ARGV[6])
if f > t then return 0 end
if f < t then redis.call('SET', KEYS[2], ARGV[6]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
redis.call('SET', KEYS[3], ARGV[3], 'PX', tonumber(ARGV[4]))
redis.call('SET', KEYS[4], ARGV[5], 'PX', tonumber(ARGV[2]))
return 1
`;
