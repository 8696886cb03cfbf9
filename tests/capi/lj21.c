/* The LuaJIT 2.1 additions to the 5.1 API: lua_copy, lua_tonumberx,
 * lua_tointegerx, lua_loadx (modes), luaL_loadbufferx, lua_isyieldable,
 * lua_version, lua_upvalueid, lua_upvaluejoin, luaL_pushmodule,
 * luaopen_string_buffer and the profiler's C API (luaJIT_profile_start,
 * _stop, _dumpstack). The same host linked to LuaJIT's libluajit-5.1.so.2
 * prints the same lines (lj21.expected was checked against it). */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "luajit.h"

static void run(lua_State *L, const char *code) {
  if (luaL_loadstring(L, code) || lua_pcall(L, 0, 0, 0)) {
    printf("error: %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
}

static void copy_and_convert(lua_State *L) {
  int isnum = -1;
  lua_Number n;
  lua_Integer i;
  lua_pushinteger(L, 1);
  lua_pushstring(L, "two");
  lua_pushnumber(L, 3.75);
  lua_copy(L, 3, 1); /* 3.75 two 3.75 */
  printf("copy: top %d, [1] %g, [2] %s, [3] %g\n", lua_gettop(L),
         lua_tonumber(L, 1), lua_tostring(L, 2), lua_tonumber(L, 3));
  n = lua_tonumberx(L, 1, &isnum);
  printf("tonumberx(3.75) %g isnum %d\n", n, isnum);
  isnum = -1;
  n = lua_tonumberx(L, 2, &isnum);
  printf("tonumberx('two') %g isnum %d\n", n, isnum);
  isnum = -1;
  i = lua_tointegerx(L, 3, &isnum);
  printf("tointegerx(3.75) %ld isnum %d\n", (long)i, isnum);
  lua_pushstring(L, " 0x10 ");
  isnum = -1;
  i = lua_tointegerx(L, -1, &isnum);
  printf("tointegerx(' 0x10 ') %ld isnum %d\n", (long)i, isnum);
  lua_pushnil(L);
  isnum = -1;
  i = lua_tointegerx(L, -1, &isnum);
  printf("tointegerx(nil) %ld isnum %d\n", (long)i, isnum);
  printf("tonumberx(none, NULL) %g\n", lua_tonumberx(L, 20, NULL));
  lua_settop(L, 0);
}

typedef struct { const char *s; size_t n; int done; } Str;

static const char *one_piece(lua_State *L, void *ud, size_t *size) {
  Str *p = (Str *)ud;
  (void)L;
  if (p->done) { *size = 0; return NULL; }
  p->done = 1;
  *size = p->n;
  return p->s;
}

static int to_buffer(lua_State *L, const void *p, size_t sz, void *ud) {
  (void)L;
  luaL_addlstring((luaL_Buffer *)ud, (const char *)p, sz);
  return 0;
}

static void loadx(lua_State *L, const char *label, const char *s, size_t n,
                  const char *mode) {
  Str p;
  int st;
  p.s = s; p.n = n; p.done = 0;
  st = lua_loadx(L, one_piece, &p, "=loadx", mode);
  if (st == 0) {
    lua_call(L, 0, 1);
    printf("loadx %s mode %s: ok, %s\n", label, mode ? mode : "NULL",
           lua_tostring(L, -1));
  } else {
    printf("loadx %s mode %s: status %d, %s\n", label, mode ? mode : "NULL",
           st, lua_tostring(L, -1));
  }
  lua_pop(L, 1);
}

static void loading(lua_State *L) {
  const char *src = "return 'from source'";
  luaL_Buffer b;
  const char *bc;
  size_t bcn;
  int st;
  luaL_loadstring(L, "return 'from bytecode'");
  luaL_buffinit(L, &b);
  lua_dump(L, to_buffer, &b);
  luaL_pushresult(&b);
  bc = lua_tolstring(L, -1, &bcn); /* stays on the stack */
  loadx(L, "text", src, strlen(src), NULL);
  loadx(L, "text", src, strlen(src), "t");
  loadx(L, "text", src, strlen(src), "b");
  loadx(L, "binary", bc, bcn, "bt");
  loadx(L, "binary", bc, bcn, "t");
  loadx(L, "binary", bc, bcn, "b");
  st = luaL_loadbufferx(L, src, strlen(src), "=buf", "b");
  printf("loadbufferx text mode b: status %d, %s\n", st, lua_tostring(L, -1));
  lua_pop(L, 1);
  st = luaL_loadbufferx(L, bc, bcn, "=buf", "b");
  printf("loadbufferx binary mode b: status %d\n", st);
  lua_settop(L, 0);
}

static int c_isyieldable(lua_State *L) {
  lua_pushboolean(L, lua_isyieldable(L));
  return 1;
}

static void yieldable(lua_State *L) {
  lua_State *co;
  printf("isyieldable main: %d\n", lua_isyieldable(L));
  lua_pushcfunction(L, c_isyieldable);
  lua_setglobal(L, "c_isyieldable");
  run(L, "print('in main', c_isyieldable())\n"
         "local co = coroutine.wrap(function() print('in coroutine', c_isyieldable()) end)\n"
         "co()");
  co = lua_newthread(L);
  printf("isyieldable new thread: %d\n", lua_isyieldable(co));
  lua_settop(L, 0);
}

static void upvalues(lua_State *L) {
  run(L, "local a, b = 1, 2\n"
         "function f1() return a end\n"
         "function f2() return a end\n"
         "function f3() return b end\n"
         "function f4() return a + b end");
  lua_getglobal(L, "f1");
  lua_getglobal(L, "f2");
  lua_getglobal(L, "f3");
  printf("upvalueid f1.1 == f2.1: %d\n",
         lua_upvalueid(L, 1, 1) == lua_upvalueid(L, 2, 1));
  printf("upvalueid f1.1 == f3.1: %d\n",
         lua_upvalueid(L, 1, 1) == lua_upvalueid(L, 3, 1));
  lua_upvaluejoin(L, 3, 1, 1, 1); /* f3's b becomes f1's a */
  printf("after join: f3.1 == f1.1: %d\n",
         lua_upvalueid(L, 3, 1) == lua_upvalueid(L, 1, 1));
  run(L, "print('f3() =', f3(), 'f4() =', f4())");
  lua_pushcclosure(L, c_isyieldable, 0);
  lua_pushinteger(L, 7);
  lua_pushinteger(L, 8);
  lua_pushcclosure(L, c_isyieldable, 2);
  printf("C upvalueid 1 != 2: %d, non-NULL: %d\n",
         lua_upvalueid(L, -1, 1) != lua_upvalueid(L, -1, 2),
         lua_upvalueid(L, -1, 1) != NULL);
  lua_settop(L, 0);
}

static int mod_hello(lua_State *L) {
  lua_pushliteral(L, "hello");
  return 1;
}

static void modules(lua_State *L) {
  static const luaL_Reg fns[] = {{"hello", mod_hello}, {NULL, NULL}};
  luaL_pushmodule(L, "my.mod", 1);
  luaL_register(L, NULL, fns);
  lua_pop(L, 1);
  run(L, "print('pushmodule:', my.mod.hello(), package.loaded['my.mod'] == my.mod)");
  luaL_pushmodule(L, "my.mod", 1); /* the same table again */
  lua_getglobal(L, "my");
  lua_getfield(L, -1, "mod");
  printf("pushmodule again, same table: %d\n", lua_rawequal(L, -1, -3));
  lua_settop(L, 0);
}

static int conflict(lua_State *L) {
  luaL_pushmodule(L, "notatable.sub", 1);
  return 1;
}

static void module_conflict(lua_State *L) {
  int st;
  run(L, "notatable = 1");
  lua_pushcfunction(L, conflict);
  st = lua_pcall(L, 0, 1, 0);
  printf("pushmodule conflict: status %d, %s\n", st, lua_tostring(L, -1));
  lua_settop(L, 0);
}

static void string_buffer(lua_State *L) {
  luaopen_string_buffer(L);
  lua_setglobal(L, "sbuf");
  run(L, "local b = sbuf.new(); b:put('a', 1, 'b'); print('string.buffer:', b:tostring(),"
         " sbuf.decode(sbuf.encode({1, 2}))[2])");
}

static int samples_total;
static int calls;
static int spin_seen;
static int bad_state;

static void prof_cb(void *data, lua_State *L, int samples, int vmstate) {
  size_t len = 0;
  const char *s = luaJIT_profile_dumpstack(L, "f;", 3, &len);
  int *tag = (int *)data;
  if (*tag != 42) bad_state = 1;
  if (strchr("NIJCG", vmstate) == NULL) bad_state = 1;
  if (strlen(s) < len) bad_state = 1;
  if (len > 0 && memmem(s, len, "spin", 4) != NULL) spin_seen = 1;
  samples_total += samples;
  calls++;
}

static int c_dumpstack(lua_State *L) {
  size_t len;
  const char *s = luaJIT_profile_dumpstack(L, "f|", 3, &len);
  lua_pushlstring(L, s, len);
  s = luaJIT_profile_dumpstack(L, "fZ;", -2, &len);
  lua_pushlstring(L, s, len);
  lua_concat(L, 2);
  return 1;
}

static void profiler(lua_State *L) {
  static int tag = 42;
  int before;
  size_t len;
  const char *s;
  int tries;
  luaJIT_profile_start(L, "fi1", prof_cb, &tag);
  /* Samples are taken at the VM's safe points, on a ticker thread's
     clock: on a loaded machine a quarter second may see none inside
     spin, so spin again (at most 2 s) until one does. */
  for (tries = 0; tries < 8 && !spin_seen; tries++)
    run(L, "local function spin(n) local s = 0 for i = 1, n do s = s + i % 7 end return s end\n"
           "local t0 = os.clock()\n"
           "while os.clock() - t0 < 0.25 do spin(3000) end");
  luaJIT_profile_stop(L);
  printf("profiler: samples %d, callbacks %d, spin on a stack %d, data and states ok %d\n",
         samples_total > 0, calls > 0, spin_seen, !bad_state);
  before = calls;
  run(L, "local t0 = os.clock() while os.clock() - t0 < 0.05 do end");
  printf("after stop: no more callbacks %d\n", calls == before);
  /* (LuaJIT's dumpstack writes to the running profiler's buffer.) */
  luaJIT_profile_start(L, "i1000", prof_cb, &tag);
  s = luaJIT_profile_dumpstack(L, "f;", 2, &len);
  printf("dumpstack outside a callback: [%.*s]\n", (int)len, s);
  lua_pushcfunction(L, c_dumpstack);
  lua_setglobal(L, "c_dumpstack");
  run(L, "local function inner() return c_dumpstack() end\n"
         "local function outer() return inner() .. '' end\n"
         "print('dumpstack from a C function:', outer())");
  luaJIT_profile_stop(L);
}

int main(void) {
  lua_State *L = luaL_newstate();
  setvbuf(stdout, NULL, _IONBF, 0); /* (print writes in between) */
  luaL_openlibs(L);
  printf("lua_version: %g, same address: %d\n", *lua_version(L),
         lua_version(L) == lua_version(NULL));
  copy_and_convert(L);
  loading(L);
  yieldable(L);
  upvalues(L);
  modules(L);
  module_conflict(L);
  string_buffer(L);
  profiler(L);
  lua_close(L);
  return 0;
}
