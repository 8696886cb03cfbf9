/* sandwich.c -- the "FFI sandwich": Lua -> FFI call -> C -> Lua C API ->
 * Lua VM.  Built by tests/ffi.rs as a shared object (-shared -fPIC, no
 * -llua: the lua_* symbols resolve against the running executable, which
 * exports them dynamically).  The same object is
 *   - a Lua C module: require "sandwich" runs luaopen_sandwich, which keeps
 *     the lua_State and registry references to the Lua values given to
 *     sandwich.setup() in C globals;
 *   - a plain C library loaded with ffi.load(): every sw_* function below
 *     is called through the FFI and, when x >= the threshold set with
 *     sw_set_threshold(), re-enters the VM through one Lua API function and
 *     returns an int computed from Lua's answer.  Below the threshold it
 *     returns the same value computed in C, without touching the VM, so
 *     the sums printed by the scripts do not depend on the threshold (the
 *     number of metamethod calls, counted on the Lua side, does).
 * Only include/lua.h, lauxlib.h, lualib.h and luajit.h are used. */
#include <stdio.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "luajit.h"

static lua_State *gL;
static int threshold = 1;
static int ref_fn = LUA_NOREF;     /* function(x) -> 2x+1 */
static int ref_pfn = LUA_NOREF;    /* function(x) -> 2x+1, errors when x % 50 == 0 */
static int ref_obj = LUA_NOREF;    /* table with __index/__newindex/__concat */
static int ref_shadow = LUA_NOREF; /* where __newindex stores 2v */
static int ref_a = LUA_NOREF;      /* tables sharing __eq/__lt/__double */
static int ref_b = LUA_NOREF;

static int get_ref(lua_State *L, int idx, const char *name) {
  lua_getfield(L, idx, name);
  if (lua_isnil(L, -1)) luaL_error(L, "setup: field '%s' missing", name);
  return luaL_ref(L, LUA_REGISTRYINDEX);
}

/* sandwich.setup{fn=, pfn=, obj=, shadow=, a=, b=} */
static int l_setup(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  gL = L;
  ref_fn = get_ref(L, 1, "fn");
  ref_pfn = get_ref(L, 1, "pfn");
  ref_obj = get_ref(L, 1, "obj");
  ref_shadow = get_ref(L, 1, "shadow");
  ref_a = get_ref(L, 1, "a");
  ref_b = get_ref(L, 1, "b");
  return 0;
}

int sw_set_threshold(int t) {
  int old = threshold;
  threshold = t;
  return old;
}

static void push_ref(int ref) { lua_rawgeti(gL, LUA_REGISTRYINDEX, ref); }

/* rawset t.v = n for the table on top of the stack */
static void set_v(lua_State *L, int n) {
  lua_pushstring(L, "v");
  lua_pushinteger(L, n);
  lua_rawset(L, -3);
}

/* lua_call: fn(x) = 2x + 1 */
int sw_call(int x) {
  lua_State *L = gL;
  int r;
  if (x < threshold) return 2 * x + 1;
  push_ref(ref_fn);
  lua_pushinteger(L, x);
  lua_call(L, 1, 1);
  r = (int)lua_tointeger(L, -1);
  lua_pop(L, 1);
  return r;
}

/* lua_pcall: pfn(x) = 2x + 1, raises an error when x % 50 == 0 -> -1000 */
int sw_pcall(int x) {
  lua_State *L = gL;
  int r;
  if (x < threshold) return x % 50 == 0 ? -1000 : 2 * x + 1;
  push_ref(ref_pfn);
  lua_pushinteger(L, x);
  if (lua_pcall(L, 1, 1, 0) != 0) {
    r = -1000;
  } else {
    r = (int)lua_tointeger(L, -1);
  }
  lua_pop(L, 1);
  return r;
}

/* lua_gettable: obj[x] through __index(t, k) = 3k */
int sw_gettable(int x) {
  lua_State *L = gL;
  int r;
  if (x < threshold) return 3 * x;
  push_ref(ref_obj);
  lua_pushinteger(L, x);
  lua_gettable(L, -2);
  r = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return r;
}

/* lua_getfield: obj["k<x>"] through __index(t, k) = 5 * tonumber(k:sub(2)) */
int sw_getfield(int x) {
  lua_State *L = gL;
  char key[32];
  int r;
  if (x < threshold) return 5 * x;
  snprintf(key, sizeof key, "k%d", x);
  push_ref(ref_obj);
  lua_getfield(L, -1, key);
  r = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return r;
}

/* lua_settable: obj[x] = x + 1 through __newindex, which stores
 * shadow[x] = 2(x + 1); the result is read back with a raw get. */
int sw_settable(int x) {
  lua_State *L = gL;
  int r;
  if (x < threshold) return 2 * (x + 1);
  push_ref(ref_obj);
  lua_pushinteger(L, x);
  lua_pushinteger(L, x + 1);
  lua_settable(L, -3);
  lua_pop(L, 1);
  push_ref(ref_shadow);
  lua_rawgeti(L, -1, x);
  r = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return r;
}

/* lua_setfield: obj.f = x through __newindex -> shadow.f = 2x */
int sw_setfield(int x) {
  lua_State *L = gL;
  int r;
  if (x < threshold) return 2 * x;
  push_ref(ref_obj);
  lua_pushinteger(L, x);
  lua_setfield(L, -2, "f");
  lua_pop(L, 1);
  push_ref(ref_shadow);
  lua_pushstring(L, "f");
  lua_rawget(L, -2);
  r = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return r;
}

/* lua_concat: obj .. x through __concat(a, b) = tostring(7b) */
int sw_concat(int x) {
  lua_State *L = gL;
  int r;
  if (x < threshold) return 7 * x;
  push_ref(ref_obj);
  lua_pushinteger(L, x);
  lua_concat(L, 2);
  r = (int)lua_tointeger(L, -1); /* a numeric string */
  lua_pop(L, 1);
  return r;
}

/* lua_equal: a == b through __eq(a, b) = (a.v % 3 == 0) -> x or 0 */
int sw_equal(int x) {
  lua_State *L = gL;
  int eq;
  if (x < threshold) return x % 3 == 0 ? x : 0;
  push_ref(ref_a);
  set_v(L, x);
  push_ref(ref_b);
  eq = lua_equal(L, -2, -1);
  lua_pop(L, 2);
  return eq ? x : 0;
}

/* lua_lessthan: a < b through __lt(a, b) = (a.v < b.v), b.v = 100 -> 1 or 2 */
int sw_lessthan(int x) {
  lua_State *L = gL;
  int lt;
  if (x < threshold) return x < 100 ? 1 : 2;
  push_ref(ref_a);
  set_v(L, x);
  push_ref(ref_b);
  set_v(L, 100);
  lt = lua_lessthan(L, -2, -1);
  lua_pop(L, 2);
  return lt ? 1 : 2;
}

/* luaL_callmeta: the metafield __double(a) = 2 * a.v */
int sw_callmeta(int x) {
  lua_State *L = gL;
  int r;
  if (x < threshold) return 2 * x;
  push_ref(ref_a);
  set_v(L, x);
  if (!luaL_callmeta(L, -1, "__double")) {
    lua_pop(L, 1);
    return -1;
  }
  r = (int)lua_tointeger(L, -1);
  lua_pop(L, 2);
  return r;
}

/* A second, independent VM: created once, runs a Lua loop summing 1..x.
 * Allowed at any time, also while a trace of the first VM runs. */
static lua_State *L2;
int sw_other_vm(int x) {
  int r;
  if (!L2) {
    L2 = luaL_newstate();
    luaL_openlibs(L2);
    if (luaL_dostring(L2,
          "function sum(n) local s = 0 for i = 1, n do s = s + i end return s end"))
      return -1;
  }
  lua_getfield(L2, LUA_GLOBALSINDEX, "sum");
  lua_pushinteger(L2, x);
  if (lua_pcall(L2, 1, 1, 0) != 0) {
    lua_pop(L2, 1);
    return -2;
  }
  r = (int)lua_tointeger(L2, -1);
  lua_pop(L2, 1);
  return r;
}

/* Closes the second VM (so its collector and JIT state are torn down while
 * the first one lives on). */
int sw_close_other_vm(void) {
  if (!L2) return 0;
  lua_close(L2);
  L2 = NULL;
  return 1;
}

/* FFI callbacks: cb(x) + cb(x + 1). */
int sw_apply(int (*cb)(int), int x) {
  return cb(x) + cb(x + 1);
}

/* Like sw_apply, but calls back only from x >= threshold on; below it
   returns what the callback x -> 3x would give (6x + 3). */
int sw_apply_from(int (*cb)(int), int x) {
  if (x < threshold) return 6 * x + 3;
  return cb(x) + cb(x + 1);
}

/* luaJIT_setmode (turning the JIT off) from x >= threshold
   on: a JIT mode change while a trace runs follows the sandwich policy. */
int sw_setmode(int x) {
  if (x >= threshold) luaJIT_setmode(gL, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
  return 2 * x + 1;
}

/* luaL_error from x >= threshold on: not a VM entry (no Lua code runs),
   the error unwinds through this C frame to the nearest pcall, also out
   of a compiled trace. */
int sw_error(int x) {
  if (x >= threshold) luaL_error(gL, "boom %d", x);
  return x;
}

/* A callback with a double and a pointer argument, called n times. */
double sw_fold(double (*cb)(double, const int *), const int *xs, int n) {
  double acc = 0;
  int i;
  for (i = 0; i < n; i++) acc = cb(acc, xs + i);
  return acc;
}

static const luaL_Reg funcs[] = {
  {"setup", l_setup},
  {NULL, NULL}
};

/* Structs passed and returned by value (jit_ffi_shapes.lua): two SSE
 * eightbytes, two INTEGER eightbytes (12 bytes), and one in memory. */
typedef struct { double x, y; } lt_vec2;
typedef struct { int a, b, c; } lt_tri;
typedef struct { double v[4]; long n; } lt_big;

lt_vec2 lt_vec2_add(lt_vec2 a, lt_vec2 b) {
  lt_vec2 r = { a.x + b.x, a.y + b.y };
  return r;
}

double lt_vec2_dot(lt_vec2 a, lt_vec2 b) { return a.x * b.x + a.y * b.y; }

lt_tri lt_tri_rot(lt_tri t, int k) {
  lt_tri r = { t.b + k, t.c + k, t.a + k };
  return r;
}

lt_big lt_big_scale(lt_big b, double k) {
  lt_big r;
  for (int i = 0; i < 4; i++) r.v[i] = b.v[i] * k;
  r.n = b.n + 1;
  return r;
}

int luaopen_sandwich(lua_State *L) {
  gL = L;
  luaL_register(L, "sandwich", funcs);
  lua_pushstring(L, "sandwich");
  lua_setfield(L, -2, "name");
  return 1;
}
