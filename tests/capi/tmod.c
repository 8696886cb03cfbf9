/* tmod.c -- a C module built as a shared object for Lua 5.1, loaded by the
 * lunatrace CLI with require (its lua_* symbols resolve against the CLI).
 * Exports luaopen_tmod, luaopen_tmod_inner (for "tmod.inner") and
 * luaopen_sub (for the hyphenated name "v2-sub"). */
#include "lua.h"
#include "lauxlib.h"

typedef struct { int n; } Counter;

static int counter_new(lua_State *L) {
  Counter *c = (Counter *)lua_newuserdata(L, sizeof(Counter));
  c->n = (int)luaL_optinteger(L, 1, 0);
  luaL_getmetatable(L, "tmod.Counter");
  lua_setmetatable(L, -2);
  return 1;
}
static int counter_inc(lua_State *L) {
  Counter *c = (Counter *)luaL_checkudata(L, 1, "tmod.Counter");
  c->n += (int)luaL_optinteger(L, 2, 1);
  lua_pushinteger(L, c->n);
  return 1;
}
static int counter_tostring(lua_State *L) {
  Counter *c = (Counter *)luaL_checkudata(L, 1, "tmod.Counter");
  lua_pushfstring(L, "Counter(%d)", c->n);
  return 1;
}
static int tmod_fail(lua_State *L) {
  return luaL_error(L, "tmod failure: %s", luaL_checkstring(L, 1));
}
static int tmod_map(lua_State *L) {
  /* map(t, f): calls back into Lua for each element */
  int i, n;
  luaL_checktype(L, 1, LUA_TTABLE);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  n = (int)lua_objlen(L, 1);
  lua_createtable(L, n, 0);
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, 2);
    lua_rawgeti(L, 1, i);
    lua_call(L, 1, 1);
    lua_rawseti(L, -2, i);
  }
  return 1;
}
static int tmod_join(lua_State *L) {
  luaL_Buffer b;
  int i, n = lua_gettop(L);
  luaL_buffinit(L, &b);
  for (i = 1; i <= n; i++) {
    lua_pushvalue(L, i);
    luaL_addvalue(&b);
    if (i < n) luaL_addchar(&b, ',');
  }
  luaL_pushresult(&b);
  return 1;
}

static const luaL_Reg counter_m[] = {
  {"inc", counter_inc},
  {"__tostring", counter_tostring},
  {NULL, NULL}
};
/* Yields its arguments to the resumer; the values resumed with are its
   results. */
static int tmod_yielder(lua_State *L) {
  return lua_yield(L, lua_gettop(L));
}

static const luaL_Reg tmod_f[] = {
  {"yielder", tmod_yielder},
  {"new", counter_new},
  {"fail", tmod_fail},
  {"map", tmod_map},
  {"join", tmod_join},
  {NULL, NULL}
};

int luaopen_tmod(lua_State *L) {
  luaL_newmetatable(L, "tmod.Counter");
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  luaL_register(L, NULL, counter_m);
  lua_pop(L, 1);
  luaL_register(L, "tmod", tmod_f);
  lua_pushstring(L, lua_tostring(L, 1) ? lua_tostring(L, 1) : "?");
  lua_setfield(L, -2, "loaded_as");
  return 1;
}

int luaopen_tmod_inner(lua_State *L) {
  lua_newtable(L);
  lua_pushliteral(L, "inner");
  lua_setfield(L, -2, "name");
  return 1;
}

int luaopen_sub(lua_State *L) {
  lua_newtable(L);
  lua_pushliteral(L, "hyphen rule");
  lua_setfield(L, -2, "name");
  return 1;
}
