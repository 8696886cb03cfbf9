-- jit.p: Lunatrace's profiler front end (our own module, embedded in the
-- binary), on `jit.profile`. start([mode [, file]]) / stop(); `-jp=mode,file`
-- on the command line. The report (at stop, or when the state closes)
-- lists the sampled stacks with their share of the samples, most first:
--
--   f  function names (default)   F  the same
--   l  source lines               v  VM states (I interpreted, N compiled)
--   <n>  stack depth (levels, joined by " < ")   m<n>  hide entries below
--   n percent (default 3)        i<ms>  sampling interval (default 10)
local profile = require("jit.profile")

local format, concat, sort = string.format, table.concat, table.sort

local counts, vmcounts, total, out, depth, fmt, showvm, minpct
local proxy

local function callback(th, samples, vmstate)
  local key = profile.dumpstack(th, fmt, depth)
  counts[key] = (counts[key] or 0) + samples
  vmcounts[vmstate] = (vmcounts[vmstate] or 0) + samples
  total = total + samples
end

local function report(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  sort(keys, function(a, b)
    if t[a] ~= t[b] then return t[a] > t[b] end
    return a < b
  end)
  local lines = {}
  for _, k in ipairs(keys) do
    local pct = math.floor(t[k] * 100 / total + 0.5)
    if pct < minpct then break end
    lines[#lines + 1] = format("%3d%%  %s\n", pct, k)
  end
  return concat(lines)
end

local function stop()
  if not counts then return end
  profile.stop()
  local c, v = counts, vmcounts
  counts, vmcounts = nil, nil
  if total > 0 then
    out:write(report(showvm and v or c))
  else
    out:write("[no samples]\n")
  end
  out:flush()
  if out ~= io.stdout and out ~= io.stderr then out:close() end
  out = nil
end

local function start(mode, file)
  stop()
  mode = mode or "f"
  local line = mode:find("l", 1, true) ~= nil
  showvm = mode:find("v", 1, true) ~= nil
  depth = tonumber(mode:match("^(%d+)") or mode:match("[^mi%d](%d+)")) or 1
  minpct = tonumber(mode:match("m(%d+)")) or 3
  fmt = (line and "l" or "f") .. (depth > 1 and " < " or "") .. "Z"
  local interval = mode:match("i(%d+)")
  counts, vmcounts, total = {}, {}, 0
  if file == nil or file == "" then out = io.stdout
  elseif file == "-" then out = io.stdout
  else out = assert(io.open(file, "w")) end
  profile.start((line and "l" or "f") .. (interval and "i" .. interval or ""), callback)
  -- The report when the state closes, if stop() is never called.
  proxy = newproxy(true)
  getmetatable(proxy).__gc = stop
end

return { start = start, stop = stop }
