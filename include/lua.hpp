// lua.hpp -- the Lunatrace C API headers for C++ (C linkage).
// Written for Lunatrace.

extern "C" {
#include "lua.h"
#include "lualib.h"
#include "lauxlib.h"
#include "luajit.h"
}
