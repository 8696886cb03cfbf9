-- Shared set-up of the sandwich_*.lua scripts (no .expected: not run on its
-- own).  tests/ffi.rs builds sandwich.c and passes its path in LT_SANDWICH
-- and its directory in LUA_CPATH.
local ffi = require "ffi"
local sw = require "sandwich"
local path = assert(os.getenv("LT_SANDWICH"), "LT_SANDWICH is not set")
local lib = ffi.load(path)

ffi.cdef [[
int sw_set_threshold(int t);
int sw_call(int x);
int sw_pcall(int x);
int sw_gettable(int x);
int sw_getfield(int x);
int sw_settable(int x);
int sw_setfield(int x);
int sw_concat(int x);
int sw_equal(int x);
int sw_lessthan(int x);
int sw_callmeta(int x);
int sw_other_vm(int x);
int sw_close_other_vm(void);
int sw_apply(int (*cb)(int), int x);
int sw_apply_from(int (*cb)(int), int x);
int sw_setmode(int x);
int sw_error(int x);
double sw_fold(double (*cb)(double, const int *), const int *xs, int n);
]]

local M = { ffi = ffi, sw = sw, lib = lib, calls = 0 }

local shadow = {}
local obj = setmetatable({}, {
  __index = function(t, k)
    M.calls = M.calls + 1
    if type(k) == "number" then return 3 * k end
    return 5 * tonumber(k:sub(2))
  end,
  __newindex = function(t, k, v)
    M.calls = M.calls + 1
    shadow[k] = 2 * v
  end,
  __concat = function(a, b)
    M.calls = M.calls + 1
    return tostring(7 * b)
  end,
})
local cmp_mt = {
  __eq = function(a, b) M.calls = M.calls + 1; return a.v % 3 == 0 end,
  __lt = function(a, b) M.calls = M.calls + 1; return a.v < b.v end,
  __double = function(a) M.calls = M.calls + 1; return 2 * a.v end,
}
sw.setup {
  fn = function(x) M.calls = M.calls + 1; return 2 * x + 1 end,
  pfn = function(x)
    M.calls = M.calls + 1
    if x % 50 == 0 then error("boom " .. x) end
    return 2 * x + 1
  end,
  obj = obj,
  shadow = shadow,
  a = setmetatable({}, cmp_mt),
  b = setmetatable({}, cmp_mt),
}

-- The names of the re-entering functions, in a fixed order.
M.apis = {
  "sw_call", "sw_pcall", "sw_gettable", "sw_getfield", "sw_settable",
  "sw_setfield", "sw_concat", "sw_equal", "sw_lessthan", "sw_callmeta",
}

-- A fresh loop (its own prototype, so its own trace) calling lib[name]:
-- acc = acc + lib.<name>(i) for i = 1, 200.
function M.loop(name)
  return assert(loadstring(
    "local lib = ...\n" ..
    "local acc = 0\n" ..
    "for i = 1, 200 do acc = acc + lib." .. name .. "(i) end\n" ..
    "return acc", "=loop_" .. name))
end

-- Run that loop with the re-entry from i >= threshold on; returns the sum
-- and the number of Lua-side metamethod/function calls made from C.
function M.run(name, threshold)
  lib.sw_set_threshold(threshold)
  M.calls = 0
  local acc = M.loop(name)(lib)
  return acc, M.calls
end

-- An error message without its "chunk:line: " prefix.
function M.strip(msg)
  return (tostring(msg):gsub("^[^:\n]*:%d+: ", ""))
end

return M
