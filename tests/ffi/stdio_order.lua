-- Lua output (print, io.write, io.stdout:write) and C output through the
-- FFI (printf, puts, fputs to stdout) share C's stdout: with stdout a pipe
-- (fully buffered), the lines still come out in program order, as in
-- LuaJIT. Also from a hot loop, and around explicit flushes.
local ffi = require "ffi"
ffi.cdef [[
int printf(const char *fmt, ...);
int puts(const char *s);
int fflush(void *stream);
]]
local C = ffi.C

io.write("lua io.write 1\n")
C.printf("C printf %d\n", ffi.new("int", 2))
print("lua print 3")
C.puts("C puts 4")
io.stdout:write("lua stdout:write 5", " and ")
C.printf("C printf on the same line 6\n")
io.write("partial ")
io.stdout:flush()
C.printf("after io.stdout:flush 7\n")
print("lua 8")
C.fflush(nil)
C.puts("C after fflush(NULL) 9")

-- Alternating in a loop (compiled in the JIT modes).
for i = 1, 60 do
  if i % 3 == 0 then
    C.printf("c%d ", ffi.new("int", i))
  elseif i % 3 == 1 then
    io.write("w", i, " ")
  else
    io.stdout:write("s", i, " ")
  end
  if i % 10 == 0 then C.puts("|") end
end
print("end of loop")

-- The handle's stream is the very stream C sees: setvbuf through io
-- changes C's buffering, and a C write goes between Lua writes.
print(io.stdout:setvbuf("line"))
io.write("line-buffered lua ")
C.printf("then C\n")
print(io.stdout:setvbuf("full"))
io.write("x")
io.write("done\n")
