// Lua run inside Redis. A script runs atomically: a version, its listing entry, the content index, the event in
// the stream and the Pub/Sub notification all happen together or not at all, so no reader ever sees half a version.

/**
 * Commit one version, compare-and-set on the version count.
 * KEYS: 1 file hash, 2 listing zset, 3 content hash, 4 events stream, 5 the name's lock lease
 * ARGV: 1 expected count, 2 version JSON without "version" (an object), 3 name, 4 content mode
 *       (claim | claim-if-absent | none), 5 listed (1/0), 6 event JSON without "version"/"id" (an object),
 *       7 stream max length, 8 channel, 9 version size (for the content index), 10 fencing token (0: none),
 *       11 the lease token this write holds or carries ('' for none), 12 '1': the lease is this write's own and
 *       ends with the commit (deleted, and — when a refused acquire marked it `waited` — its release announced on
 *       channel 13 as the lease's release script does; the file's `ended` field keeps token:version:streamId, so the
 *       same commit sent again answers the same)
 * Returns {'ok', versionJson, streamId}, {'conflict', reason} (retry) or {'refused', code, detail} (final).
 */
export const COMMIT_LUA = `
local fence = tonumber(ARGV[10])
${commitBody()}`;

/** COMMIT_LUA past its first line: `fence` is a local the script defines before it. */
function commitBody(): string {
  return `
local held = redis.call('HMGET', KEYS[5], 'token', 'waited')
local lease = held[1]
if lease and lease ~= ARGV[11] then return {'refused', 'locked', redis.call('HGET', KEYS[5], 'holder') or ''} end
if fence > 0 and fence < tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') then
  return {'refused', 'stale_fence', redis.call('HGET', KEYS[1], 'fence')}
end
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
if count ~= tonumber(ARGV[1]) then
  -- This very commit again (ioredis sends a script again when a dropped connection lost its reply): it ended its
  -- lease, so no other write waited for its retry; it answers what it answered then, not a conflict.
  local ended = ARGV[12] == '1' and not lease and redis.call('HGET', KEYS[1], 'ended')
  if ended and string.sub(ended, 1, #ARGV[11] + 1) == ARGV[11] .. ':' then
    local v, id = string.match(string.sub(ended, #ARGV[11] + 2), '^(%d+):(.*)$')
    return {'ok', redis.call('HGET', KEYS[1], 'v:' .. v), id}
  end
  return {'conflict', 'version'}
end
local mode = ARGV[4]
local contentExists = mode ~= 'none' and redis.call('EXISTS', KEYS[3]) == 1
if mode == 'claim' and contentExists then return {'conflict', 'content'} end
local v = count + 1
local rec = '{"version":' .. v .. ',' .. string.sub(ARGV[2], 2)
redis.call('HSET', KEYS[1], 'v:' .. v, rec, 'head', rec, 'count', v)
if fence > 0 then redis.call('HSET', KEYS[1], 'fence', fence) end
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[2], 0, ARGV[3])
else
  redis.call('ZREM', KEYS[2], ARGV[3])
end
if mode ~= 'none' and not contentExists then
  redis.call('HSET', KEYS[3], 'name', ARGV[3], 'version', v, 'size', ARGV[9])
end
local ev = string.sub(ARGV[6], 1, -2) .. ',"version":' .. v .. '}'
local id = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[7], '*', 'data', ev)
redis.call('PUBLISH', ARGV[8], string.sub(ev, 1, -2) .. ',"id":"' .. id .. '"}')
if ARGV[12] == '1' then
  redis.call('HSET', KEYS[1], 'ended', ARGV[11] .. ':' .. v .. ':' .. id)
  redis.call('DEL', KEYS[5])
  if held[2] then redis.call('PUBLISH', ARGV[13], ARGV[3]) end
end
return {'ok', rec, id}
`;
}

/**
 * A write's lease and its commit in one step, when nothing stands in the way: an uncontended write then costs one
 * Redis round trip (and one append to Redis' file) instead of two. The writer decided the version on a guess of the
 * name's state (no file, or the version this node committed last) and of the content's (unknown); this script checks
 * the guess where the commit's compare-and-set would, and commits at once when it holds and no lease is taken:
 * nothing else runs inside a script, so that is the lease taken, the commit and the lease's end with no one able to
 * come in between. Otherwise it answers as the lease's ACQUIRE does (locks/redisLease.ts): the holder when a lease is
 * held (and marks it waited), or a new lease with the name's state (the guess was wrong; the write goes on as any
 * write under its lease). The commit's fencing token is taken here, as the lease's would be.
 * KEYS: COMMIT_LUA's five, 6 the name's fence counter.
 * ARGV: COMMIT_LUA's thirteen (10 unused; 11 the lease token of this try, 12 '1'), 14 lease ttl ms, 15 holder,
 *       16 lease kind, 17 '1': the version was decided on the content being unknown (its index entry must be absent).
 * Returns COMMIT_LUA's answers, {'busy', holder, kind, expiresAt} or {'leased', fence, expiresAt, count, head,
 * contentName, contentVersion}.
 */
export const FAST_COMMIT_LUA = `
if redis.call('EXISTS', KEYS[5]) == 1 then
  local h = redis.call('HMGET', KEYS[5], 'holder', 'kind', 'expiresAt')
  redis.call('HSETNX', KEYS[5], 'waited', '1')
  return {'busy', h[1] or '', h[2] or '', h[3] or '0'}
end
local f = redis.call('HMGET', KEYS[1], 'count', 'head', 'ended')
local c = redis.call('HMGET', KEYS[3], 'name', 'version')
local fence = redis.call('INCR', KEYS[6])
-- (the same script sent again after its reply was lost: the commit's own check answers what it answered then)
local again = f[3] and string.sub(f[3], 1, #ARGV[11] + 1) == ARGV[11] .. ':'
if not again and (tonumber(f[1] or '0') ~= tonumber(ARGV[1]) or (ARGV[17] == '1' and c[1])) then
  local t = redis.call('TIME')
  local expires = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[14])
  redis.call('HSET', KEYS[5], 'token', ARGV[11], 'holder', ARGV[15], 'kind', ARGV[16], 'fence', fence, 'expiresAt', expires)
  redis.call('PEXPIRE', KEYS[5], ARGV[14])
  return {'leased', fence, expires, f[1], f[2], c[1], c[2]}
end
${commitBody()}`;

/**
 * One field of many hashes, in one command: a listing page's heads (1,000 file hashes), a repair batch's sizes
 * (2,000 content hashes). Pipelined HGETs cost the client a command object, a promise and a reply parse each: 1,000
 * heads took 8.6-11.3 ms and 9.9-13.3 ms of the node's CPU pipelined, 4.1-5.1 ms and 2.0-2.6 ms of CPU in this
 * script (local Redis, 200 calls each, alternated); a full listing of 200,000 names went from 9,770 to 34,059
 * names/s (bench `scale`, with the repair's rest, cluster/repair.ts). Redis spends ~1 µs a key meanwhile, other
 * clients waiting: calls of at most 500 keys (store.ts). In a Redis Cluster the keys span slots: one call per slot
 * (docs/scale.md).
 * KEYS: the hashes. ARGV: 1 the field. Returns the field of each, in order (false, i.e. null: no such hash or field).
 */
export const FIELD_OF_EACH_LUA = `
local out = {}
for i, k in ipairs(KEYS) do out[i] = redis.call('HGET', k, ARGV[1]) end
return out
`;
