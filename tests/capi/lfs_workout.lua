-- Workout of Debian's lua-filesystem (a Lua 5.1 C module) under lunatrace.
local lfs = require "lfs"
local function check(c, msg) if not c then error("check failed: " .. msg, 2) end end

local base = os.tmpname()
os.remove(base)
check(lfs.mkdir(base), "mkdir")
check(lfs.attributes(base, "mode") == "directory", "mode dir")

-- Build a small tree.
local files = {"a.txt", "b.lua", "sub/c.txt", "sub/deeper/d.txt", "sub/deeper/e.bin"}
check(lfs.mkdir(base .. "/sub") and lfs.mkdir(base .. "/sub/deeper"), "mkdir nested")
for i, f in ipairs(files) do
  local h = assert(io.open(base .. "/" .. f, "w"))
  h:write(string.rep("x", i * 10))
  h:close()
end

-- Walk it recursively.
local found, sizes = {}, 0
local function walk(dir, rel)
  for name in lfs.dir(dir) do
    if name ~= "." and name ~= ".." then
      local path = dir .. "/" .. name
      local attr = lfs.attributes(path)
      check(attr, "attributes of " .. path)
      local r = rel == "" and name or rel .. "/" .. name
      if attr.mode == "directory" then
        walk(path, r)
      else
        found[#found + 1] = r
        sizes = sizes + attr.size
      end
    end
  end
end
walk(base, "")
table.sort(found)
check(table.concat(found, ",") == "a.txt,b.lua,sub/c.txt,sub/deeper/d.txt,sub/deeper/e.bin",
      table.concat(found, ","))
check(sizes == 150, "sizes " .. sizes)

-- Directory objects, touch, currentdir/chdir, errors.
local iter, dobj = lfs.dir(base)
local n = 0
while dobj:next() do n = n + 1 end
dobj:close()
check(n == 5, "dir object entries " .. n)
check(lfs.touch(base .. "/a.txt", 1000000000, 1000000000), "touch")
check(lfs.attributes(base .. "/a.txt", "modification") == 1000000000, "mtime")
local cwd = lfs.currentdir()
check(lfs.chdir(base .. "/sub"), "chdir")
check(lfs.currentdir():sub(-4) == "/sub", "currentdir")
check(lfs.chdir(cwd), "chdir back")
local ok, err = lfs.mkdir(base)
check(ok == nil and type(err) == "string", "mkdir existing")
check(lfs.attributes(base .. "/missing") == nil, "missing")
local pok, perr = pcall(lfs.dir, base .. "/missing")
check(not pok and perr:find("cannot open"), "dir error " .. tostring(perr))
check(pcall(lfs.attributes, base, "nosuchfield") == false, "bad field")

-- Clean up.
for i = #files, 1, -1 do check(os.remove(base .. "/" .. files[i]), "remove") end
check(lfs.rmdir(base .. "/sub/deeper") and lfs.rmdir(base .. "/sub") and lfs.rmdir(base), "rmdir")
check(lfs.attributes(base) == nil, "removed")
print(lfs._VERSION)
print("ok")
