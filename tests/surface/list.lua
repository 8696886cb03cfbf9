-- Lists the Lua-visible surface of the engine running it, one sorted line
-- per item: every global, every field of the standard libraries and of
-- LuaJIT's extension modules (recursively), the keys of package.loaded
-- and package.preload at startup, and the modules `require` finds.
-- Numbers, booleans and strings show their values (package.path and
-- cpath do not; `arg` and jit.vmdef's tables are not walked: the command
-- line and the engine's own bytecode and IR names).
-- Run by luajit and by lunatrace; tests/surface/diff.sh compares them.

local out = {}
local function add(s) out[#out + 1] = s end

local function show(path, v)
  local t = type(v)
  if path:match("^require%(jit%.vmdef%)") then
    -- (Tables of the engine's own bytecode, IR and errors: names only.)
    return t
  elseif (t == "number" or t == "boolean") then
    return t .. " " .. tostring(v)
  elseif t == "string" and not path:match("^package%.c?path$") then
    return t .. " " .. string.format("%q", v):gsub("\n", "n")
  end
  return t
end

local seen = {}
local function walk(path, t, depth)
  if seen[t] then
    add(path .. " = " .. seen[t])
    return
  end
  seen[t] = path
  for k, v in pairs(t) do
    local kp = type(k) == "string" and k:match("^[%a_][%w_]*$") and (path == "" and k or path .. "." .. k)
      or path .. "[" .. (type(k) == "string" and string.format("%q", k) or tostring(k)) .. "]"
    if type(k) == "number" and type(t) == "table" and k > 8 then
      -- (Long arrays, e.g. jit.vmdef's names: their length is shown.)
      if k == #t then add(path .. " #" .. #t) end
    else
      add(kp .. " " .. show(kp, v))
      if type(v) == "table" and depth < 4 and v ~= package.loaded and v ~= _G
        and kp ~= "arg" and not kp:match("^require%(jit%.vmdef%)%.") then
        walk(kp, v, depth + 1)
      end
    end
  end
end

-- What is loaded and preloaded before anything is required.
for k in pairs(package.loaded) do add("package.loaded[" .. string.format("%q", k) .. "] at start") end
for k in pairs(package.preload) do add("package.preload[" .. string.format("%q", k) .. "] at start") end

walk("", _G, 0)
add("string metatable __index is string " .. tostring(getmetatable("").__index == string))

-- The extension modules, through require.
for _, name in ipairs({
  "ffi", "string.buffer", "jit.util", "jit.profile", "jit.vmdef", "table.new",
  "table.clear", "jit.bc", "jit.v", "jit.dump", "jit.p", "jit.zone", "jit.bcsave",
  "jit.dis_x64",
}) do
  local ok, m = pcall(require, name)
  if not ok then
    add("require " .. name .. " fails")
  elseif type(m) == "table" then
    add("require " .. name .. " table")
    walk("require(" .. name .. ")", m, 2)
  else
    add("require " .. name .. " " .. type(m))
  end
end

table.sort(out)
for _, s in ipairs(out) do print(s) end
