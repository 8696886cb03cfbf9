-- LDoc (Debian lua-ldoc): generate a small documented Lua source tree in a
-- temporary directory, run ldoc's main script (/usr/bin/ldoc, as its
-- command line does) over it with Markdown formatting and reproducible
-- output (--testing), and print file counts and a digest of the HTML.
local lfs = require "lfs"

local LDOC = "/usr/bin/ldoc"
local NMOD, NFUN = 40, 24

local seed = 2024
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return math.floor(seed / 65536) % n
end

local nouns = { "vector", "matrix", "point", "segment", "polygon", "circle",
  "grid", "cell", "path", "curve", "shape", "bounds", "angle", "scale" }
local verbs = { "compute", "find", "make", "scale", "rotate", "merge",
  "split", "test", "measure", "clip", "project", "sort" }
local function noun() return nouns[1 + rnd(#nouns)] end

local function summary()
  local t = { verbs[1 + rnd(#verbs)]:gsub("^%l", string.upper) .. "s the " .. noun() }
  for i = 1, rnd(3) do
    t[#t + 1] = ({ "with *care*", "using `" .. noun() .. "`", "in **place**",
      "along a " .. noun(), "(see `" .. noun() .. "`)" })[1 + rnd(5)]
  end
  return table.concat(t, " ") .. "."
end

local tmp = os.tmpname()
os.remove(tmp)
assert(lfs.mkdir(tmp))
local src = tmp .. "/src"
assert(lfs.mkdir(src))
assert(lfs.mkdir(src .. "/geom"))

for m = 1, NMOD do
  local name = ("m%02d_%s"):format(m, noun())
  local out = {}
  local function w(s) out[#out + 1] = s end
  w("--- Module " .. name .. ".\n-- " .. summary() .. "\n-- A longer description with a list:\n--\n")
  w("--  * item one, " .. summary() .. "\n--  * item two\n--\n-- @module geom." .. name .. "\n\nlocal M = {}\n\n")
  w("--- Configuration.\n-- @table config\n-- @field size the size\n-- @field name the name\nM.config = { size = 1, name = 'x' }\n\n")
  w("--- A class.\n-- @type " .. noun():gsub("^%l", string.upper) .. "\nlocal C = {}\n\n")
  w("--- Create one.\n-- @tparam number x first\n-- @treturn C the object\nfunction C.new(x) return setmetatable({ x = x }, { __index = C }) end\n\n")
  w("--- Get x.\n-- @return x\nfunction C:get() return self.x end\n\n")
  w("--- Functions.\n-- @section functions\n\n")
  for f = 1, NFUN do
    local fname = verbs[1 + rnd(#verbs)] .. "_" .. noun() .. f
    w("--- " .. summary() .. "\n")
    if rnd(2) == 0 then w("-- " .. summary() .. "\n") end
    local params = {}
    for p = 1, 1 + rnd(4) do
      params[p] = noun() .. p
      w("-- @tparam " .. ({ "number", "string", "table", "{number,...}" })[1 + rnd(4)]
        .. " " .. params[p] .. " " .. summary() .. "\n")
    end
    w("-- @treturn " .. ({ "number", "string", "bool" })[1 + rnd(3)] .. " " .. summary() .. "\n")
    if rnd(3) == 0 then w("-- @raise error when " .. noun() .. " is nil\n") end
    if rnd(2) == 0 then w("-- @usage local r = M." .. fname .. "(1, 2)\n") end
    if rnd(4) == 0 then w("-- @see " .. fname .. "\n") end
    w("function M." .. fname .. "(" .. table.concat(params, ", ") .. ")\n  return "
      .. params[1] .. "\nend\n\n")
  end
  w("return M\n")
  local f = assert(io.open(src .. "/geom/" .. name .. ".lua", "w"))
  f:write(table.concat(out))
  f:close()
end

-- Run ldoc; its messages (they name the temporary directory) are dropped.
local messages = 0
local real_print = print
print = function() messages = messages + 1 end
local saved_arg = arg
arg = { [0] = LDOC, "--testing", "-q", "-f", "markdown", "-p", "geom",
  "-t", "Geometry", "-d", tmp .. "/doc", src }
-- ldoc ends with os.exit on errors: turn that into an error, so that the
-- temporary tree is removed either way.
local real_exit = os.exit
os.exit = function(code) error("ldoc exited (" .. tostring(code) .. ")", 0) end
local ok, err = pcall(assert(loadfile(LDOC)))
print, arg, os.exit = real_print, saved_arg, real_exit

-- Walk the output in sorted order; digest the HTML files.
local files, bytes, h = 0, 0, 0
local tags = { a = 0, li = 0, table = 0, code = 0, h2 = 0 }
local function walk(dir, rel)
  local names = {}
  for n in lfs.dir(dir) do
    if n ~= "." and n ~= ".." then names[#names + 1] = n end
  end
  table.sort(names)
  for _, n in ipairs(names) do
    local p = dir .. "/" .. n
    if lfs.attributes(p, "mode") == "directory" then
      walk(p, rel .. n .. "/")
    else
      local f = assert(io.open(p, "rb"))
      local s = f:read("*a")
      f:close()
      files = files + 1
      bytes = bytes + #s
      h = (h * 31 + #s) % 1000000007
      for c in (rel .. n):gmatch(".") do h = (h * 31 + c:byte()) % 1000000007 end
      for k = 1, #s, 3 do h = (h * 31 + s:byte(k)) % 1000000007 end
      for tag in pairs(tags) do
        for _ in s:gmatch("<" .. tag .. "[ >]") do tags[tag] = tags[tag] + 1 end
      end
    end
  end
end
if ok then walk(tmp .. "/doc", "") end

-- Remove the temporary tree.
local function rmtree(p)
  if lfs.attributes(p, "mode") == "directory" then
    for n in lfs.dir(p) do
      if n ~= "." and n ~= ".." then rmtree(p .. "/" .. n) end
    end
    lfs.rmdir(p)
  else
    os.remove(p)
  end
end
rmtree(tmp)
if not ok then error(err, 0) end

print("modules", NMOD, "files", files, "bytes", bytes, "digest", h)
print("tags", "a=" .. tags.a, "li=" .. tags.li, "table=" .. tags.table,
  "code=" .. tags.code, "h2=" .. tags.h2, "messages", messages)
