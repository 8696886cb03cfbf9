/* libsandwich.c -- the seed's FFI sandwich, in the shape of its regression
 * test: a C library that is both a Lua C module (require "libsandwich"
 * returns a constructor) and a plain library loaded with ffi.load.
 *
 * The constructor init(trigger [, how [, holder]]) makes the state
 * increment() works on: the lua_State to call back into, a registry
 * reference to the Lua side and the trigger.  increment(state, i) returns
 * i + 1 computed in C below the trigger; from the trigger on it asks Lua
 * for i + 1, re-entering the VM through one C API function chosen by
 * `how`:
 *   "call"     lua_call of a function(i) return i + 1 end
 *   "pcall"    lua_pcall of the same function
 *   "getfield" lua_getfield(t, "next") where t.i = i and t's __index
 *              returns rawget(t, "i") + 1
 *   "concat"   lua_concat(t, i) where t's __concat returns i + 1
 * flush(state, i) does nothing below the trigger and from it on flushes
 * the JIT with luaJIT_setmode (the seed's follow-up, lj-flush-on-trace).
 * `holder` says what init returns: "udata" (default) a full userdata
 * holding the state, "light" a light userdata pointing to a static one.
 * Only our include/ headers are used; the lua_* symbols resolve against
 * the running executable. */
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "luajit.h"

enum how { HOW_CALL, HOW_PCALL, HOW_GETFIELD, HOW_CONCAT };

struct sandwich {
  lua_State *L;
  int ref;
  int trigger;
  int how;
};

int increment(struct sandwich *state, int i) {
  lua_State *L = state->L;
  int r;
  if (i < state->trigger) return i + 1;
  lua_rawgeti(L, LUA_REGISTRYINDEX, state->ref);
  switch (state->how) {
  case HOW_CALL:
    lua_pushinteger(L, i);
    lua_call(L, 1, 1);
    break;
  case HOW_PCALL:
    lua_pushinteger(L, i);
    if (lua_pcall(L, 1, 1, 0) != 0) {
      lua_pop(L, 1);
      return -1;
    }
    break;
  case HOW_GETFIELD:
    lua_pushstring(L, "i");
    lua_pushinteger(L, i);
    lua_rawset(L, -3);
    lua_getfield(L, -1, "next");
    lua_remove(L, -2);
    break;
  case HOW_CONCAT:
    lua_pushinteger(L, i);
    lua_concat(L, 2);
    break;
  }
  r = (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return r;
}

void flush(struct sandwich *state, int i) {
  if (i < state->trigger) return;
  (void)luaJIT_setmode(state->L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_FLUSH);
}

static const char *const lua_side[] = {
  "return function(i) return i + 1 end",
  "return function(i) return i + 1 end",
  "return setmetatable({}, { __index = function(t, k)"
  " return rawget(t, 'i') + 1 end })",
  "return setmetatable({}, { __concat = function(t, i) return i + 1 end })",
};

static struct sandwich light_state;

static int init(lua_State *L) {
  static const char *const hows[] = {"call", "pcall", "getfield", "concat", NULL};
  int trigger = (int)luaL_checkinteger(L, 1);
  int how = luaL_checkoption(L, 2, "call", hows);
  const char *holder = luaL_optstring(L, 3, "udata");
  struct sandwich *s;
  if (strcmp(holder, "light") == 0) {
    s = &light_state;
    lua_pushlightuserdata(L, s);
  } else {
    s = lua_newuserdata(L, sizeof *s);
  }
  s->L = L;
  s->trigger = trigger;
  s->how = how;
  if (luaL_dostring(L, lua_side[how]) != 0) lua_error(L);
  s->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 1;
}

int luaopen_libsandwich(lua_State *L) {
  lua_pushcfunction(L, init);
  return 1;
}
