-- io over C stdio (LuaJIT's semantics): buffering shared by handles of
-- one stream, files closed by the collector are flushed, messages for
-- closed default files, popen, setvbuf, seek results, read formats.
local name = os.tmpname()

-- A collected file is closed, and so flushed.
do
  local f = io.open(name, "w")
  f:write("written by a file the collector closes\n")
end
collectgarbage(); collectgarbage()
print(io.open(name):read("*a"))

-- Two handles on one file: each has its own buffer until flushed.
local a = io.open(name, "w")
local b = io.open(name, "r")
a:write("abc")
print("before flush", b:read("*a"))
a:flush()
print("after flush", b:read("*a"))
a:setvbuf("no")
a:write("def")
print("unbuffered", b:read("*a"))
a:close(); b:close()

-- seek results and reading after seeking.
local f = io.open(name, "w+")
print(f:write("line one\n", 2, " ", 3.5, "\nlast"))
print(f:seek("cur"), f:seek("set", 5), f:read(3), f:seek("cur"), f:seek("end"))
print(f:seek("set"), f:read("*l", "*n", "*n", "*L", "*a"))
print(f:seek("set", 100), f:read(1), f:read(0), f:read("*a"))
print(f:seek("set", -1))
print(pcall(f.seek, f, "middle"))
f:close()

-- read counts across the buffer, and at the end.
f = io.open(name, "w")
f:write(string.rep("0123456789", 3000))
f:close()
f = io.open(name)
local s = f:read(20000)
print(#s, s:sub(-3), #f:read(20000), f:read(1), f:read(0))
f:close()

-- lines with formats over a file, and io.lines closing its file.
f = io.open(name, "w"); f:write("1 2\n3 4\nx\n"); f:close()
for x, y in io.lines(name, "*n", "*n") do io.write(tostring(x), ",", tostring(y), " ") end
print()
local n = 0
for l in io.lines(name) do n = n + 1 end
print("lines", n)

-- Closed default files.
io.output(name); io.close()
print(pcall(io.write, "x"))
print(pcall(io.flush))
print(pcall(io.close))
io.output(io.stdout)
io.input(name); io.input():close()
print(pcall(io.read))
io.input(io.stdin)

-- Pipes: reading, writing, close results.
local p = io.popen("echo one; echo two")
print(p:read("*l"), p:read("*L"), p:read("*a"), p:read("*l"))
print(p:close())
print(io.type(p), tostring(p))
p = io.popen("exit 7")
print(p:close())
p = io.popen("cat > /dev/null", "w")
print(p:write("to cat"), p:read("*l"))
print(p:close())
print(io.popen("true", "rw"))

-- Errors of a stream opened for the other direction.
f = io.open(name, "r")
print(f:write("no"))
f:close()
f = io.open(name, "a")
print(f:read("*l"))
f:close()
os.remove(name)

-- setvbuf on the standard streams.
print(io.stdout:setvbuf("full", 4096), io.stderr:setvbuf("no"))
print(pcall(io.stdout.setvbuf, io.stdout, "some"))
print(io.stdout:close())
print(io.type(io.stdout), io.type(f), io.type(name))
