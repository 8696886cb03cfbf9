-- Debian's lua-filesystem given io handles: lfs.lock/lfs.unlock take the
-- FILE* out of the handle (luaL_checkudata(L, 1, "FILE*")) and lock its
-- descriptor with fcntl, which /proc/locks shows for this process and the
-- file's inode.
local lfs = require "lfs"
local function check(c, msg) if not c then error("check failed: " .. msg, 2) end end

local pid = assert(io.open("/proc/self/stat")):read("*n")
check(type(pid) == "number" and pid > 0, "pid")
local name = os.tmpname()
local f = assert(io.open(name, "w+"))
local ino = lfs.attributes(name, "ino")

-- The POSIX locks /proc/locks lists for this process and file.
local function locks()
  local n, kinds = 0, {}
  for line in io.lines("/proc/locks") do
    local kind, lpid, lino = line:match("POSIX%s+%a+%s+(%a+)%s+(%d+)%s+%x+:%x+:(%d+)")
    if kind and tonumber(lpid) == pid and tonumber(lino) == ino then
      n = n + 1
      kinds[#kinds + 1] = kind
    end
  end
  return n, table.concat(kinds, ",")
end

check(locks() == 0, "no lock at first")
local ok, err = lfs.lock(f, "w")
check(ok == true, "lock w: " .. tostring(err))
local n, kinds = locks()
check(n == 1 and kinds == "WRITE", "write lock listed: " .. n .. " " .. kinds)
-- The handle still works as a Lua file while locked.
check(f:write("locked data\n") == true, "write while locked")
check(lfs.unlock(f) == true, "unlock")
check(locks() == 0, "unlocked")

-- A read lock on part of the file (start, length).
check(lfs.lock(f, "r", 0, 5) == true, "lock r")
n, kinds = locks()
check(n == 1 and kinds == "READ", "read lock listed: " .. n .. " " .. kinds)
check(lfs.unlock(f, 0, 5) == true, "unlock part")
check(locks() == 0, "unlocked part")

-- setmode (a no-op on POSIX systems) accepts the handle.
if lfs.setmode then
  local a, b = lfs.setmode(f, "binary")
  check(a == true and b == "binary", "setmode: " .. tostring(a) .. " " .. tostring(b))
end

-- Closed files and non-files are errors.
check(f:seek("set") == 0 and f:read("*a") == "locked data\n", "data")
f:close()
local pok, perr = pcall(lfs.lock, f, "w")
check(not pok and tostring(perr):find("closed file"), "closed: " .. tostring(perr))
pok, perr = pcall(lfs.lock, {}, "w")
check(not pok and tostring(perr):find("FILE%* expected"), "not a file: " .. tostring(perr))
os.remove(name)
print("ok")
