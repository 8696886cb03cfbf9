-- reference-fails: joff hot
-- Bad FFI input gives a Lua error, never a crash: each case prints whether
-- it succeeded. (LuaJIT itself crashes on the NULL copy/fill cases, so the
-- expectations are hand-written.)
local ffi = require "ffi"
local function t(name, f, ...) print(name, (pcall(f, ...))) end
t("undeclared struct", ffi.new, "struct nosuch")
t("vla without size", ffi.new, "int[?]")
t("vla too large", ffi.new, "int[?]", 1e12)
t("void object", ffi.new, "void")
t("table to int", ffi.cast, "int", {})
t("number as ctype", ffi.typeof, 42)
t("bad array size", ffi.cdef, "int x[1e99];")
t("deep nesting", ffi.cdef, string.rep("(", 100000))
t("number to fn ptr", ffi.new, "int(*)(int)", 5)
t("missing member", function() return ffi.new("int[3]").x end)
t("string to int member", function() return ffi.new("struct { int a; }", { a = "x" }) end)
t("string of NULL", ffi.string, nil)
t("copy to NULL", ffi.copy, nil, "abc")
t("fill NULL", ffi.fill, nil, 4)
t("metatype of int", ffi.metatype, "int", {})
t("missing library", ffi.load, "definitely_not_a_lib_xyz")
t("pointer plus table", function() return ffi.new("int *") + {} end)
t("int64 division by zero", function() return ffi.new("int64_t", 1) / 0 end)
t("undeclared function", function() return ffi.C.nosuchfn end)
t("gc of a number", ffi.gc, 5, print)
t("NULL function pointer", function() return ffi.new("int (*)(int)")(1) end)
t("too many initializers", ffi.new, "int[2]", 1, 2, 3)
