/**
 * The gate's Lua scripts. Every script touches only the keys of one coupon (one hash tag), so each runs atomically
 * and works unchanged on Redis Cluster.
 *
 * KEYS (all scripts): 1 meta (hash: status start end limit total sold rev resume), 2 buyers (hash: user → "o1,o2"),
 * 3 idem (hash: "user:key" → order), 4 pending (zset: order → reserved-at ms), 5 reservations (hash: order → "user\nkey").
 */

const REMOVE_OWNED = `
local function remove_owned(user, order)
  local owned = redis.call('HGET', KEYS[2], user)
  if not owned then return false end
  local kept, found = {}, false
  for id in string.gmatch(owned, '[^,]+') do
    if id == order then found = true else kept[#kept + 1] = id end
  end
  if not found then return false end
  if #kept == 0 then redis.call('HDEL', KEYS[2], user) else redis.call('HSET', KEYS[2], user, table.concat(kept, ',')) end
  redis.call('HINCRBY', KEYS[1], 'sold', -1)
  return true
end
`;

/** ARGV: user, order, now (ms), idempotency key ('' for none). Returns {outcome, detail?}. */
export const RESERVE = `
local meta = redis.call('HMGET', KEYS[1], 'status', 'start', 'end', 'limit', 'total', 'sold')
local status = meta[1]
if not status then return {'UNKNOWN_COUPON'} end
if status == 'rebuilding' then return {'REBUILDING'} end
local user, order, now, key = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local idem = user .. ':' .. key
if key ~= '' then
  local existing = redis.call('HGET', KEYS[3], idem)
  if existing then return {'REPLAYED', existing} end
end
if status == 'closed' then return {'COUPON_CLOSED'} end
if now < tonumber(meta[2]) then return {'SALE_NOT_STARTED'} end
if now >= tonumber(meta[3]) then return {'SALE_ENDED'} end
local owned = redis.call('HGET', KEYS[2], user)
local count = 0
if owned then count = select(2, string.gsub(owned, ',', ',')) + 1 end
if count >= tonumber(meta[4]) then return {'LIMIT_REACHED', owned} end
if tonumber(meta[6]) >= tonumber(meta[5]) then return {'SOLD_OUT'} end
redis.call('HINCRBY', KEYS[1], 'sold', 1)
if owned then redis.call('HSET', KEYS[2], user, owned .. ',' .. order) else redis.call('HSET', KEYS[2], user, order) end
if key ~= '' then redis.call('HSET', KEYS[3], idem, order) end
redis.call('ZADD', KEYS[4], now, order)
redis.call('HSET', KEYS[5], order, user .. '\\n' .. key)
return {'RESERVED'}
`;

/** ARGV: order. Returns 1 when a pending reservation was released. */
export const RELEASE = `${REMOVE_OWNED}
local order = ARGV[1]
local reservation = redis.call('HGET', KEYS[5], order)
if not reservation then return 0 end
local newline = string.find(reservation, '\\n', 1, true)
local user, key = string.sub(reservation, 1, newline - 1), string.sub(reservation, newline + 1)
redis.call('HDEL', KEYS[5], order)
redis.call('ZREM', KEYS[4], order)
remove_owned(user, order)
if key ~= '' and redis.call('HGET', KEYS[3], user .. ':' .. key) == order then redis.call('HDEL', KEYS[3], user .. ':' .. key) end
return 1
`;

/** ARGV: order, user. Returns 1 when the order's unit went back to stock. */
export const RETURN_UNIT = `${REMOVE_OWNED}
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if remove_owned(ARGV[2], ARGV[1]) then return 1 end
return 0
`;

/** ARGV: revision, total, limit, start, end, closed ('1'/'0'). Applies only a newer revision. */
export const APPLY_COUPON = `
local current = redis.call('HGET', KEYS[1], 'rev')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
local status = 'active'
if ARGV[6] == '1' then status = 'closed' end
if redis.call('HGET', KEYS[1], 'status') == 'rebuilding' then
  redis.call('HSET', KEYS[1], 'resume', status)
else
  redis.call('HSET', KEYS[1], 'status', status)
end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'total', ARGV[2], 'limit', ARGV[3], 'start', ARGV[4], 'end', ARGV[5])
redis.call('HSETNX', KEYS[1], 'sold', 0)
return 1
`;

/** Stops sales of the coupon until the rebuild finishes. */
export const BEGIN_REBUILD = `
local status = redis.call('HGET', KEYS[1], 'status')
if not status or status == 'rebuilding' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'rebuilding', 'resume', status)
return 1
`;

/**
 * Starts loading a coupon: replaces meta, buyers and idempotency keys, keeps pending reservations, sales stay stopped.
 * ARGV: revision, total, limit, start, end, closed.
 */
export const LOAD_BEGIN = `
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
local status = 'active'
if ARGV[6] == '1' then status = 'closed' end
redis.call('HSET', KEYS[1], 'status', 'rebuilding', 'resume', status, 'rev', ARGV[1], 'total', ARGV[2], 'limit', ARGV[3],
  'start', ARGV[4], 'end', ARGV[5], 'sold', 0)
return 1
`;

/**
 * Finishes loading a coupon: counts the loaded buyers, adds pending reservations whose orders the event store did not
 * hold yet (their appends may still land), and reopens sales.
 */
export const LOAD_END = `
local sold = 0
for _, owned in ipairs(redis.call('HVALS', KEYS[2])) do sold = sold + select(2, string.gsub(owned, ',', ',')) + 1 end
local reservations = redis.call('HGETALL', KEYS[5])
for i = 1, #reservations, 2 do
  local order, reservation = reservations[i], reservations[i + 1]
  local newline = string.find(reservation, '\\n', 1, true)
  local user, key = string.sub(reservation, 1, newline - 1), string.sub(reservation, newline + 1)
  local owned = redis.call('HGET', KEYS[2], user)
  local present = false
  if owned then for id in string.gmatch(owned, '[^,]+') do if id == order then present = true end end end
  if not present then
    if owned then redis.call('HSET', KEYS[2], user, owned .. ',' .. order) else redis.call('HSET', KEYS[2], user, order) end
    if key ~= '' then redis.call('HSET', KEYS[3], user .. ':' .. key, order) end
    sold = sold + 1
  end
end
redis.call('HSET', KEYS[1], 'sold', sold, 'status', redis.call('HGET', KEYS[1], 'resume'))
redis.call('HDEL', KEYS[1], 'resume')
return sold
`;
