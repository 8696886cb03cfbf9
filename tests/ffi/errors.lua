-- Error messages of bad FFI uses, caught with pcall and printed as is.
local ffi = require "ffi"
ffi.cdef [[
struct errs { int a; const char *s; };
int abs(int x);
]]

local function try(label, f, ...)
  local ok, err = pcall(f, ...)
  print(label, ok, err)
end

-- declarations
try("undeclared C symbol", function() local f = ffi.C.nonexistent_fn; return f end)
do
  -- the message embeds dlerror() text naming the executable: keep the tail
  ffi.cdef "int lunatrace_no_such_function_xyz(int);"
  local ok, err = pcall(function() local f = ffi.C.lunatrace_no_such_function_xyz; return f end)
  print("declared but missing", ok, err:match("undefined symbol: .*$"))
end
try("syntax error", function() ffi.cdef "struct { int a" end)
try("unknown type", function() ffi.cdef "typedef unknown_t foo_t;" end)
try("bad token", function() ffi.cdef "int x @;" end)
try("unknown type in new", function() local x = ffi.new("struct nosuch_s"); return x end)
try("bad type string", function() local x = ffi.new("int int"); return x end)
try("typeof garbage", function() local x = ffi.typeof("1234"); return x end)
try("sizeof unknown", function() local x = ffi.sizeof("struct nosuch2_s *"); return x end)
ffi.cdef "struct incomplete_s;"
print("sizeof incomplete", ffi.sizeof("struct incomplete_s"), ffi.sizeof("struct incomplete_s *"))

-- field access
local e = ffi.new("struct errs")
try("missing field read", function() local x = e.nofield; return x end)
try("missing field write", function() e.nofield = 1 end)
try("index int", function() local x = ffi.new("int", 1); local y = x.a; return y end)

-- conversions
try("string to int", function() e.a = "five" end)
try("table to ptr", function() e.s = {} end)
try("number to ptr", function() e.s = 12 end)
try("struct to int", function() e.a = ffi.new("struct errs") end)
try("bool to int", function() e.a = true end)
try("function to struct", function() local x = ffi.new("struct errs", print); return x end)

-- calls
try("wrong arg count", function() local r = ffi.C.abs(); return r end)
try("too many args", function() local r = ffi.C.abs(1, 2); return r end)
try("bad arg type", function() local r = ffi.C.abs("x"); return r end)
try("call non-function", function() local r = e(); return r end)

-- arithmetic and comparison
try("arith struct", function() local r = e + 1; return r end)
try("compare struct", function() local r = e < e; return r end)
try("concat struct", function() local r = e .. "x"; return r end)
try("len of struct", function() local r = #e; return r end)

-- library functions
try("ffi.new no args", function() local r = ffi.new(); return r end)
try("ffi.cast to array", function() local r = ffi.cast("int[4]", 0); return r end)
try("ffi.string number", function() local r = ffi.string(1); return r end)
try("ffi.load missing", function() local r = ffi.load("lunatrace_no_such_lib"); return r end)
try("ffi.metatype non-struct", function() local r = ffi.metatype("int", {}); return r end)
try("vla without size", function() local r = ffi.new("int[?]"); return r end)
try("negative vla size", function() local r = ffi.new("int[?]", -1); return r end)
