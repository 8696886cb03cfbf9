/* A C module for tests/capi/cframes.lua: C functions calling Lua through
 * lua_call (so tracebacks and dumpstack show C levels), a traceback made
 * in C, and the address of one of its functions. */
#include "lua.h"
#include "lauxlib.h"

static int call(lua_State *L) {
  luaL_checkany(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

static int tb(lua_State *L) {
  luaL_traceback(L, L, luaL_optstring(L, 1, NULL), 0);
  return 1;
}

static int tb_addr(lua_State *L) {
  lua_pushlightuserdata(L, (void *)tb);
  return 1;
}

static const luaL_Reg funcs[] = {
  {"call", call}, {"tb", tb}, {"tb_addr", tb_addr}, {NULL, NULL}
};

int luaopen_cframes(lua_State *L) {
  luaL_register(L, "cframes", funcs);
  return 1;
}
