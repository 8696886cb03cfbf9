-- jit.bc: Lunatrace's bytecode lister (our own module, embedded in the
-- binary). Lists the instructions of a Lua function as `jit.util` shows
-- them: op names from `jit.vmdef.bcnames` (Lunatrace's bytecode), constant
-- operands resolved through `jit.util.funck`, jump targets marked "=>".
--
--   require("jit.bc").dump(f [, out [, all]])  -- list f (and, with all,
--                                               -- its nested functions first)
--   require("jit.bc").line(f, pc [, prefix])   -- one line, or nil past the end
--   require("jit.bc").targets(f)               -- set of jump target pcs
--   require("jit.bc").on([file]) / off()       -- list every function loaded
--                                               -- ("bc" event of jit.attach)
local jutil = require("jit.util")
local vmdef = require("jit.vmdef")
local bit = require("bit")

local funcinfo, funcbc, funck, funcuvname =
  jutil.funcinfo, jutil.funcbc, jutil.funck, jutil.funcuvname
local band, rshift = bit.band, bit.rshift
local format, sub, gsub, byte = string.format, string.sub, string.gsub, string.byte
local stdout, stderr = io.stdout, io.stderr

-- Operand kinds of the mode word (LuaJIT's BCMode numbering).
local K_UV, K_LITS, K_PRI, K_NUM, K_STR, K_TAB, K_FUNC, K_JUMP, K_CDATA =
  5, 7, 8, 9, 10, 11, 12, 13, 14

local function opname(op)
  local n = sub(vmdef.bcnames, op * 6 + 1, op * 6 + 6)
  return (gsub(n, " +$", ""))
end

local escapes = { ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
local function escape(c)
  return escapes[c] or format("\\%03d", byte(c))
end

local function show_string(s)
  local long = #s > 40
  if long then s = sub(s, 1, 40) end
  s = '"' .. gsub(s, "%c", escape) .. '"'
  if long then s = s .. "~" end
  return s
end

local primitives = { [0] = "nil", "false", "true" }

-- The comment for a constant operand of kind `kind` and value `v`.
local function constant(func, kind, v)
  if kind == K_STR then
    local k = funck(func, -v - 1)
    return type(k) == "string" and show_string(k) or nil
  elseif kind == K_NUM then
    local k = funck(func, v)
    return k and tostring(k) or nil
  elseif kind == K_FUNC then
    local k = funck(func, -v - 1)
    return type(k) == "function" and funcinfo(k).loc or nil
  elseif kind == K_TAB then
    return "table"
  elseif kind == K_CDATA then
    local k = funck(func, -v - 1)
    return k ~= nil and tostring(k) or nil
  elseif kind == K_PRI then
    return primitives[v]
  elseif kind == K_UV then
    return funcuvname(func, v)
  end
end

local function line(func, pc, prefix)
  local ins, m = funcbc(func, pc)
  if not ins then return nil end
  local ma, mb, mcd = band(m, 7), band(rshift(m, 3), 15), band(rshift(m, 7), 15)
  local a = band(rshift(ins, 8), 0xff)
  local s = format("%04d %s %-6s %3s ", pc, prefix or "  ", opname(band(ins, 0xff)),
                   ma == 0 and "" or a)
  local v
  if mb ~= 0 then
    v = band(rshift(ins, 16), 0xff)
    s = s .. format("%3d %3d", rshift(ins, 24), v)
  elseif mcd ~= 0 then
    v = rshift(ins, 16)
    if mcd == K_JUMP then
      return s .. format("=> %04d\n", pc + v - 0x7fff)
    elseif mcd == K_LITS and v > 32767 then
      v = v - 65536
    end
    s = s .. format("%3d", v)
  end
  local comment = v and constant(func, mcd, v)
  if ma == K_UV then
    local n = funcuvname(func, a)
    if n then comment = comment and n .. " ; " .. comment or n end
  end
  if comment then return format("%-28s; %s\n", s, comment) end
  return s .. "\n"
end

local function targets(func)
  local t = {}
  for pc = 1, 1e9 do
    local ins, m = funcbc(func, pc)
    if not ins then break end
    if band(rshift(m, 7), 15) == K_JUMP then
      t[pc + rshift(ins, 16) - 0x7fff] = true
    end
  end
  return t
end

local function dump(func, out, all)
  out = out or stdout
  local fi = funcinfo(func)
  if all and fi.children then
    for n = -1, -1e9, -1 do
      local k = funck(func, n)
      if k == nil then break end
      if type(k) == "function" then dump(k, out, true) end
    end
  end
  out:write(format("-- BYTECODE -- %s-%d\n", fi.loc, fi.lastlinedefined))
  local tg = targets(func)
  for pc = 1, 1e9 do
    local l = line(func, pc, tg[pc] and "=>")
    if not l then break end
    out:write(l)
  end
  out:write("\n")
  out:flush()
end

local listing
local function handler(func) dump(func, listing) end

local function off()
  if listing then
    jit.attach(handler)
    if listing ~= stdout and listing ~= stderr then listing:close() end
    listing = nil
  end
end

local function on(file)
  off()
  if file == "-" then listing = stdout
  elseif file then listing = assert(io.open(file, "w"))
  else listing = stderr end
  jit.attach(handler, "bc")
end

return {
  line = line,
  dump = dump,
  targets = targets,
  on = on,
  off = off,
  start = on,
}
