// Lua run inside Redis. A script runs atomically: a version, its listing entry, the content index, the event in
// the stream and the Pub/Sub notification all happen together or not at all, so no reader ever sees half a version.

/**
 * Commit one version, compare-and-set on the version count.
 * KEYS: 1 file hash, 2 listing zset, 3 content hash, 4 events stream, 5 the name's lock lease
 * ARGV: 1 expected count, 2 version JSON without "version" (an object), 3 name, 4 content mode
 *       (claim | claim-if-absent | none), 5 listed (1/0), 6 event JSON without "version"/"id" (an object),
 *       7 stream max length, 8 channel, 9 version size (for the content index), 10 fencing token (0: none),
 *       11 the lease token this write holds or carries ('' for none)
 * Returns {'ok', versionJson, streamId}, {'conflict', reason} (retry) or {'refused', code, detail} (final).
 */
export const COMMIT_LUA = `
local lease = redis.call('HGET', KEYS[5], 'token')
if lease and lease ~= ARGV[11] then return {'refused', 'locked', redis.call('HGET', KEYS[5], 'holder') or ''} end
local fence = tonumber(ARGV[10])
if fence > 0 and fence < tonumber(redis.call('HGET', KEYS[1], 'fence') or '0') then
  return {'refused', 'stale_fence', redis.call('HGET', KEYS[1], 'fence')}
end
local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
if count ~= tonumber(ARGV[1]) then return {'conflict', 'version'} end
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
return {'ok', rec, id}
`;
