/**
 * The gate's Lua scripts. Every script touches only the keys of one coupon (one hash tag), so each runs atomically
 * and works unchanged on Redis Cluster.
 *
 * KEYS (all scripts): 1 meta (hash: status start end limit total sold rev minage, the coupon's minimum account age in
 * seconds, absent in coupons loaded before it existed and then read as 0; type (SECKILL or REGULAR), inactive ('1' when
 * deactivated), minspend (cents), vdays and vuntil (the validity rule: days, or a fixed end in epoch ms; '' for none),
 * absent in coupons loaded before they existed and then read as SECKILL, active, 0, none, none, which is what those
 * coupons are; during a recovery also resume, rb_owner,
 * rb_until, rb_wait_until and `ret:<order>` = user for units returned meanwhile), 2 buyers (hash: user → "o1,o2"),
 * 3 idem (hash: "user\nkey" → order; a newline, which neither a user id nor an idempotency key may hold), 4 pending (zset: order → reserved-at ms), 5 reservations (hash: order →
 * "user\nkey").
 *
 * Each of the five keys always holds a sentinel entry (field or member `~`, which no user id, order id or
 * "user\nkey" can be), so a key that exists is whole and a key that is missing was lost (an eviction, a failover to a
 * replica that missed writes, a DEL): Redis deletes empty hashes and sets, and "empty" must not look like "lost".
 */

const PRELUDE = `
local SENTINEL = '~'
local function present() return redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]) end
local function add_sentinels()
  redis.call('HSETNX', KEYS[2], SENTINEL, '1')
  redis.call('HSETNX', KEYS[3], SENTINEL, '1')
  redis.call('ZADD', KEYS[4], 'NX', '+inf', SENTINEL)
  redis.call('HSETNX', KEYS[5], SENTINEL, '1')
end
local function owned_count(owned)
  if not owned then return 0 end
  return select(2, string.gsub(owned, ',', ',')) + 1
end
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

/**
 * One purchase attempt, shared by RESERVE (a live buyer or claimer) and RESERVE_MANY (reserved buyers, fired in
 * order): same type, activity, window, validity, account-age, limit and stock checks. `sells` is the coupon type the
 * caller sells (SECKILL or REGULAR). A live buyer (`priority` false) is also refused while the coupon's reservation
 * priority lasts: meta `rsv` (ms, absent or 0 for none) after the window opens, the time reserved buyers are served
 * first. Returns {outcome, detail?}; RESERVED comes with the coupon's type, minimum spend, validity days and fixed
 * validity end ('' for none).
 */
const RESERVE_ONE = `
local function reserve_one(user, order, now, key, registered, sells, priority)
  local meta = redis.call('HMGET', KEYS[1], 'status', 'start', 'end', 'limit', 'total', 'sold', 'minage', 'rsv', 'type',
    'inactive', 'minspend', 'vdays', 'vuntil')
  local status = meta[1]
  local idem = user .. '\\n' .. key
  if key ~= '' then
    local existing = redis.call('HGET', KEYS[3], idem)
    if existing then return {'REPLAYED', existing} end
  end
  local ctype = meta[9] or 'SECKILL'
  if ctype ~= sells then return {'NOT_A_' .. sells .. '_COUPON'} end
  if status == 'closed' then return {'COUPON_CLOSED'} end
  if meta[10] == '1' then return {'COUPON_INACTIVE'} end
  if now < tonumber(meta[2]) then return {'SALE_NOT_STARTED'} end
  if now >= tonumber(meta[3]) then return {'SALE_ENDED'} end
  if not priority and now < tonumber(meta[2]) + tonumber(meta[8] or '0') then return {'SALE_NOT_STARTED'} end
  local vuntil = meta[13] or ''
  if vuntil ~= '' and now >= tonumber(vuntil) then return {'COUPON_EXPIRED'} end
  local min_age = tonumber(meta[7] or '0')
  if min_age > 0 then
    if not registered or now - registered < min_age * 1000 then return {'ACCOUNT_TOO_NEW'} end
  end
  local owned = redis.call('HGET', KEYS[2], user)
  if owned_count(owned) >= tonumber(meta[4]) then return {'LIMIT_REACHED', owned} end
  if tonumber(meta[6]) >= tonumber(meta[5]) then return {'SOLD_OUT'} end
  redis.call('HINCRBY', KEYS[1], 'sold', 1)
  if owned then redis.call('HSET', KEYS[2], user, owned .. ',' .. order) else redis.call('HSET', KEYS[2], user, order) end
  if key ~= '' then redis.call('HSET', KEYS[3], idem, order) end
  redis.call('ZADD', KEYS[4], now, order)
  redis.call('HSET', KEYS[5], order, user .. '\\n' .. key)
  return {'RESERVED', ctype, meta[11] or '0', meta[12] or '', vuntil}
end
local function gate_refusal()
  local meta = redis.call('HMGET', KEYS[1], 'status', 'rb_until')
  if meta[1] == 'rebuilding' then return {'REBUILDING', meta[2] or '0'} end
  local keys = present()
  if keys == 0 then return {'UNKNOWN_COUPON'} end
  if keys < 5 or not meta[1] then return {'DAMAGED'} end
  return nil
end
`;

/**
 * ARGV: user, order, now (ms), idempotency key ('' for none), the buyer's registration time (ms; '' when unknown,
 * which a coupon with a minimum account age refuses), the coupon type the caller sells (SECKILL or REGULAR). Returns
 * {outcome, detail?}; RESERVED comes with the coupon's type, minimum spend, validity days and fixed validity end ('' for
 * none), which the order carries, so the hot path never reads the coupon elsewhere. A coupon being recovered answers
 * REBUILDING with its lease's end; one with no key at all UNKNOWN_COUPON; one with some keys gone DAMAGED.
 */
export const RESERVE = `${PRELUDE}${RESERVE_ONE}
local refusal = gate_refusal()
if refusal then return refusal end
return reserve_one(ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]), ARGV[6], false)
`;

/**
 * Reserved buyers' purchases of a SECKILL coupon, in the order given, each exactly as RESERVE would decide it but
 * inside the reservation priority. ARGV: now (ms), then per purchase: user, order, idempotency key, registration time
 * (ms or ''). Returns five fields per purchase, RESERVE's reply padded with '', or one
 * {REBUILDING|UNKNOWN_COUPON|DAMAGED, …} for them all.
 */
export const RESERVE_MANY = `${PRELUDE}${RESERVE_ONE}
local refusal = gate_refusal()
if refusal then return refusal end
local now = tonumber(ARGV[1])
local replies = {}
for i = 2, #ARGV, 4 do
  local reply = reserve_one(ARGV[i], ARGV[i + 1], now, ARGV[i + 2], tonumber(ARGV[i + 3]), 'SECKILL', true)
  for f = 1, 5 do replies[#replies + 1] = reply[f] or '' end
end
return replies
`;

/**
 * ARGV: priority (ms; 0 ends it). Sets how long after the window opens live buyers wait while reserved buyers are
 * served. Returns 1, or -1 when the coupon is damaged or unknown (never recreates a key; its recovery derives it).
 */
export const SET_RESERVATION_PRIORITY = `${PRELUDE}
if present() < 5 then return -1 end
if redis.call('HGET', KEYS[1], 'status') == 'rebuilding' then
  redis.call('HSET', KEYS[1], 'resume_rsv', ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], 'rsv', ARGV[1])
return 1
`;

/**
 * ARGV: order. Returns 1 when a pending reservation was released, 0 when it was not pending, -1 when the coupon is
 * damaged (left alone: its recovery keeps the reservation pending or finds its order in the event store).
 */
export const RELEASE = `${PRELUDE}
if present() < 5 then return -1 end
local order = ARGV[1]
local reservation = redis.call('HGET', KEYS[5], order)
if not reservation then return 0 end
local newline = string.find(reservation, '\\n', 1, true)
local user, key = string.sub(reservation, 1, newline - 1), string.sub(reservation, newline + 1)
redis.call('HDEL', KEYS[5], order)
redis.call('ZREM', KEYS[4], order)
remove_owned(user, order)
if key ~= '' and redis.call('HGET', KEYS[3], user .. '\\n' .. key) == order then redis.call('HDEL', KEYS[3], user .. '\\n' .. key) end
return 1
`;

/**
 * ARGV: order, user. Returns 1 when the order's unit went back to stock, 0 when it held none, -1 when the coupon is
 * damaged (its recovery will read the cancellation from the event store). During a recovery the return is also
 * recorded (`ret:<order>`), so LOAD_END applies it should the recovery's reading of the event store predate it.
 */
export const RETURN_UNIT = `${PRELUDE}
if present() < 5 then return -1 end
redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
if redis.call('HGET', KEYS[1], 'status') == 'rebuilding' then redis.call('HSET', KEYS[1], 'ret:' .. ARGV[1], ARGV[2]) end
if remove_owned(ARGV[2], ARGV[1]) then return 1 end
return 0
`;

/**
 * ARGV: revision, total, limit, start, end, closed ('1'/'0'), minimum account age (s), type, inactive ('1'/'0'),
 * minimum spend (cents), validity days ('' for none), fixed validity end (ms, '' for none): a coupon's settings, as
 * CREATE_COUPON, APPLY_COUPON and LOAD_BEGIN take them. Starts a coupon none of whose keys exist.
 */
export const CREATE_COUPON = `${PRELUDE}
if present() > 0 then return 0 end
local status = 'active'
if ARGV[6] == '1' then status = 'closed' end
redis.call('HSET', KEYS[1], 'status', status, 'rev', ARGV[1], 'total', ARGV[2], 'limit', ARGV[3], 'start', ARGV[4],
  'end', ARGV[5], 'minage', ARGV[7], 'type', ARGV[8], 'inactive', ARGV[9], 'minspend', ARGV[10], 'vdays', ARGV[11],
  'vuntil', ARGV[12], 'sold', 0)
add_sentinels()
return 1
`;

/**
 * ARGV: a coupon's settings (see CREATE_COUPON). Applies only a newer revision, to a whole coupon:
 * returns 1 applied, 0 stale, -1 damaged (never recreates a lost key: that would be a coupon with nothing sold).
 */
export const APPLY_COUPON = `${PRELUDE}
if present() < 5 then return -1 end
local current = redis.call('HGET', KEYS[1], 'rev')
if current and tonumber(current) >= tonumber(ARGV[1]) then return 0 end
local status = 'active'
if ARGV[6] == '1' then status = 'closed' end
if redis.call('HGET', KEYS[1], 'status') == 'rebuilding' then
  redis.call('HSET', KEYS[1], 'resume', status)
else
  redis.call('HSET', KEYS[1], 'status', status)
end
redis.call('HSET', KEYS[1], 'rev', ARGV[1], 'total', ARGV[2], 'limit', ARGV[3], 'start', ARGV[4], 'end', ARGV[5],
  'minage', ARGV[7], 'type', ARGV[8], 'inactive', ARGV[9], 'minspend', ARGV[10], 'vdays', ARGV[11], 'vuntil', ARGV[12])
return 1
`;

/**
 * ARGV: owner, now (ms), lease until (ms), in-flight window (ms). Stops sales under the owner's lease and recreates
 * the keys that are gone. When pending reservations (or their details) were lost, in-flight appends may still land
 * for the window: returns {'BEGAN', wait-until ms}, or {'BUSY', lease end} when another owner's lease is live.
 */
export const BEGIN_RECOVERY = `${PRELUDE}
local owner, now, lease, window = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local meta = redis.call('HMGET', KEYS[1], 'status', 'rb_owner', 'rb_until', 'rb_wait_until')
local status, holder = meta[1], meta[2]
if status == 'rebuilding' and holder and holder ~= owner and tonumber(meta[3] or '0') > now then
  return {'BUSY', meta[3], holder}
end
local wait_until = tonumber(meta[4] or '0')
if redis.call('EXISTS', KEYS[4]) == 0 or redis.call('EXISTS', KEYS[5]) == 0 then
  redis.call('DEL', KEYS[4], KEYS[5])
  if now + window > wait_until then wait_until = now + window end
end
if status ~= 'rebuilding' then redis.call('HSET', KEYS[1], 'resume', status or 'active') end
redis.call('HSET', KEYS[1], 'status', 'rebuilding', 'rb_owner', owner, 'rb_until', lease, 'rb_wait_until', wait_until)
add_sentinels()
return {'BEGAN', tostring(wait_until)}
`;

/** ARGV: owner. Ends the owner's lease at once; sales stay stopped until a recovery loads the coupon. */
export const RELEASE_RECOVERY = `
if redis.call('HGET', KEYS[1], 'rb_owner') == ARGV[1] then redis.call('HSET', KEYS[1], 'rb_until', 0) end
return 1
`;

/**
 * ARGV: owner, then a coupon's settings (see CREATE_COUPON), then its reservation priority (ms, derived from the
 * reservations the log holds). Starts loading a recovered coupon: replaces its settings,
 * buyers and idempotency keys; pending reservations and recorded returns stay, sales stay stopped. Returns 0 when
 * the owner lost its lease.
 */
export const LOAD_BEGIN = `${PRELUDE}
if redis.call('HGET', KEYS[1], 'status') ~= 'rebuilding' or redis.call('HGET', KEYS[1], 'rb_owner') ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[2], KEYS[3])
add_sentinels()
local status = 'active'
if ARGV[7] == '1' then status = 'closed' end
redis.call('HSET', KEYS[1], 'resume', status, 'rev', ARGV[2], 'total', ARGV[3], 'limit', ARGV[4], 'start', ARGV[5],
  'end', ARGV[6], 'minage', ARGV[8], 'type', ARGV[9], 'inactive', ARGV[10], 'minspend', ARGV[11], 'vdays', ARGV[12],
  'vuntil', ARGV[13], 'sold', 0, 'rsv', ARGV[14])
redis.call('HDEL', KEYS[1], 'resume_rsv')
return 1
`;

/**
 * ARGV: owner. Finishes loading a recovered coupon: applies the units returned during the recovery, adds the pending
 * reservations whose orders the event store did not hold yet (their appends may still land), counts what is sold and
 * reopens sales. Returns the units sold, or -1 when the owner lost its lease.
 */
export const LOAD_END = `${PRELUDE}
if redis.call('HGET', KEYS[1], 'status') ~= 'rebuilding' or redis.call('HGET', KEYS[1], 'rb_owner') ~= ARGV[1] then
  return -1
end
local meta = redis.call('HGETALL', KEYS[1])
for i = 1, #meta, 2 do
  local field = meta[i]
  if string.sub(field, 1, 4) == 'ret:' then
    remove_owned(meta[i + 1], string.sub(field, 5))
    redis.call('HDEL', KEYS[1], field)
  end
end
local reservations = redis.call('HGETALL', KEYS[5])
for i = 1, #reservations, 2 do
  local order, reservation = reservations[i], reservations[i + 1]
  if order ~= SENTINEL then
    local newline = string.find(reservation, '\\n', 1, true)
    local user, key = string.sub(reservation, 1, newline - 1), string.sub(reservation, newline + 1)
    local owned = redis.call('HGET', KEYS[2], user)
    local held = false
    if owned then for id in string.gmatch(owned, '[^,]+') do if id == order then held = true end end end
    if not held then
      if owned then redis.call('HSET', KEYS[2], user, owned .. ',' .. order) else redis.call('HSET', KEYS[2], user, order) end
      if key ~= '' then redis.call('HSET', KEYS[3], user .. '\\n' .. key, order) end
    end
  end
end
local sold = 0
local buyers = redis.call('HGETALL', KEYS[2])
for i = 1, #buyers, 2 do
  if buyers[i] ~= SENTINEL then sold = sold + owned_count(buyers[i + 1]) end
end
redis.call('HSET', KEYS[1], 'sold', sold, 'status', redis.call('HGET', KEYS[1], 'resume'))
local rsv = redis.call('HGET', KEYS[1], 'resume_rsv')
if rsv then redis.call('HSET', KEYS[1], 'rsv', rsv) end
redis.call('HDEL', KEYS[1], 'resume', 'rb_owner', 'rb_until', 'rb_wait_until', 'resume_rsv')
return sold
`;
