-- jit.bcsave: `lunatrace -b` (our own module, embedded in the binary), with
-- LuaJIT's command line: list a chunk's bytecode (-l) or save it as a
-- binary chunk that `load`/`loadfile`/`dofile` read back (raw output
-- only: Lunatrace's `string.dump` format, not LuaJIT's; C, header and
-- object file outputs are not supported and say so).
local bc = require("jit.bc")

local usage_text = [[
Save Lua bytecode: lunatrace -b[options] input output
  -l        Only list bytecode.
  -s        Strip debug info (default).
  -g        Keep debug info.
  -n name   Set module name (accepted, unused by raw output).
  -t type   Set output file type: raw only.
  -e chunk  Use chunk string as input.
  --        Stop handling options.
  -         Use stdin as input and/or stdout as output.
]]

local function usage()
  io.stderr:write(usage_text)
  os.exit(1)
end

local function fail(msg)
  io.stderr:write("lunatrace: ", msg, "\n")
  os.exit(1)
end

local function load_input(input, is_chunk)
  local f, err
  if is_chunk then
    f, err = loadstring(input, input)
  elseif input == "-" then
    f, err = loadstring(io.stdin:read("*a"), "=stdin")
  else
    f, err = loadfile(input)
  end
  if not f then fail(err) end
  return f
end

local function output_type(out, t)
  if t then return t end
  local ext = out:match("%.(%a+)$")
  if ext == "c" or ext == "h" then return ext end
  if ext == "o" or ext == "obj" then return "obj" end
  return "raw"
end

local function start(...)
  local args = { ... }
  local list, strip, chunk, ftype = false, true, nil, nil
  local n = 1
  while n <= #args do
    local a = args[n]
    if a == "--" then n = n + 1 break end
    if type(a) ~= "string" or a:sub(1, 1) ~= "-" or a == "-" then break end
    n = n + 1
    for m = 2, #a do
      local opt = a:sub(m, m)
      if opt == "l" then list = true
      elseif opt == "s" then strip = true
      elseif opt == "g" then strip = false
      elseif opt == "e" or opt == "n" or opt == "t" then
        if m ~= #a or n > #args then usage() end
        local v = args[n]
        n = n + 1
        if opt == "e" then chunk = v elseif opt == "t" then ftype = v end
      else
        usage()
      end
    end
  end
  local input, output, extra
  if chunk then
    input, output, extra = chunk, args[n], args[n + 1]
  else
    input, output, extra = args[n], args[n + 1], args[n + 2]
  end
  if not input then usage() end
  local f = load_input(input, chunk ~= nil)
  if list then
    local out = io.stdout
    if output and output ~= "-" then out = assert(io.open(output, "w")) end
    bc.dump(f, out, true)
    if out ~= io.stdout then out:close() end
    return
  end
  if not output or extra then usage() end
  local t = output_type(output, ftype)
  if t ~= "raw" then fail("-b: output type '" .. t .. "' not supported (raw only)") end
  local s = string.dump(f, strip)
  local out = io.stdout
  if output ~= "-" then
    local err
    out, err = io.open(output, "wb")
    if not out then fail("cannot open " .. output .. ": " .. tostring(err)) end
  end
  out:write(s)
  if out ~= io.stdout then out:close() else out:flush() end
end

return { start = start }
