/* coro_debug.c -- C host test of the Lunatrace C API: coroutines driven
 * from C (lua_newthread, lua_resume, lua_yield from a C function,
 * lua_xmove, lua_status), the debug interface (lua_getstack, lua_getinfo,
 * lua_getlocal, lua_getupvalue, lua_sethook), lua_atpanic-free pcall paths
 * and lua_dump/lua_load round trips. */
#include <stdio.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int c_yielder(lua_State *L) {
  /* yields its arguments doubled; resumes return to the caller */
  int i, n = lua_gettop(L);
  for (i = 1; i <= n; i++) lua_pushnumber(L, 2 * lua_tonumber(L, i));
  return lua_yield(L, n);
}

static int line_hits = 0, call_hits = 0, count_hits = 0;
static void hook(lua_State *L, lua_Debug *ar) {
  if (ar->event == LUA_HOOKLINE) line_hits++;
  else if (ar->event == LUA_HOOKCALL) call_hits++;
  else if (ar->event == LUA_HOOKCOUNT) count_hits++;
  if (ar->event == LUA_HOOKLINE && ar->currentline == 3) {
    lua_Debug d;
    if (lua_getstack(L, 1, &d) == 0) { /* hook level 1: hooked function */ }
    lua_getinfo(L, "Sl", ar);
    printf("hook line %d in %s (%s)\n", ar->currentline, ar->short_src, ar->what);
  }
}

static int inspect(lua_State *L) {
  lua_Debug ar;
  int level = 1, i;
  const char *name;
  while (lua_getstack(L, level, &ar)) {
    lua_getinfo(L, "nSlu", &ar);
    printf("level %d: %s %s line %d name %s nups %d\n", level, ar.what, ar.short_src,
           ar.currentline, ar.name ? ar.name : "(null)", ar.nups);
    if (level == 1) {
      for (i = 1; (name = lua_getlocal(L, &ar, i)) != NULL; i++) {
        printf("  local %s = %s\n", name, luaL_typename(L, -1));
        lua_pop(L, 1);
      }
      lua_pushinteger(L, 777);
      name = lua_setlocal(L, &ar, 1);
      printf("  setlocal %s\n", name ? name : "(null)");
    }
    level++;
  }
  lua_getstack(L, 0, &ar);
  lua_getinfo(L, "S", &ar);
  printf("level 0 what %s\n", ar.what);
  return 0;
}

static const char *reader_src = "return 'read by a reader', ...";
static const char *reader(lua_State *L, void *ud, size_t *sz) {
  int *done = (int *)ud;
  (void)L;
  if (*done) { *sz = 0; return NULL; }
  *done = 1;
  *sz = strlen(reader_src);
  return reader_src;
}

typedef struct { char buf[65536]; size_t n; } DumpBuf;
static int writer(lua_State *L, const void *p, size_t sz, void *ud) {
  DumpBuf *b = (DumpBuf *)ud;
  (void)L;
  if (b->n + sz > sizeof(b->buf)) return 1;
  memcpy(b->buf + b->n, p, sz);
  b->n += sz;
  return 0;
}

int main(void) {
  lua_State *L = luaL_newstate();
  lua_State *co;
  int r, i, n;
  setvbuf(stdout, NULL, _IOLBF, 0);
  luaL_openlibs(L);
  lua_register(L, "c_yielder", c_yielder);
  lua_register(L, "inspect", inspect);

  /* --- a Lua coroutine driven from C --- */
  (void)luaL_dostring(L, "function gen(a, b) local x = coroutine.yield(a + b) "
                   "local y, z = coroutine.yield(x * 10) return 'done', y, z end");
  co = lua_newthread(L);
  printf("new thread status %d top %d\n", lua_status(co), lua_gettop(co));
  lua_getglobal(co, "gen");
  lua_pushinteger(co, 1);
  lua_pushinteger(co, 2);
  r = lua_resume(co, 2);
  printf("resume1 %d top %d value %g\n", r, lua_gettop(co), lua_tonumber(co, -1));
  printf("status after yield %d\n", lua_status(co));
  lua_pop(co, lua_gettop(co));
  lua_pushinteger(co, 5);
  r = lua_resume(co, 1);
  printf("resume2 %d value %g\n", r, lua_tonumber(co, -1));
  lua_pop(co, 1);
  lua_pushstring(co, "Y");
  lua_pushstring(co, "Z");
  r = lua_resume(co, 2);
  n = lua_gettop(co);
  printf("resume3 %d nres %d:", r, n);
  for (i = 1; i <= n; i++) printf(" %s", lua_tostring(co, i));
  printf("\n");
  printf("status dead %d\n", lua_status(co));
  r = lua_resume(co, 0);
  printf("resume dead %d %s\n", r, lua_tostring(co, -1));
  lua_settop(L, 0);

  /* --- lua_yield from a C function, inside a Lua coroutine --- */
  co = lua_newthread(L);
  luaL_loadstring(co, "local a, b = c_yielder(1, 2) local c = c_yielder(a + b) return c * 100");
  r = lua_resume(co, 0);
  printf("C yield: %d top %d: %g %g\n", r, lua_gettop(co), lua_tonumber(co, 1), lua_tonumber(co, 2));
  lua_settop(co, 0);
  lua_pushinteger(co, 10);
  lua_pushinteger(co, 20);
  r = lua_resume(co, 2);
  printf("C yield 2: %d %g\n", r, lua_tonumber(co, -1));
  lua_settop(co, 0);
  lua_pushinteger(co, 4);
  r = lua_resume(co, 1);
  printf("C yield done: %d %g\n", r, lua_tonumber(co, -1));
  lua_settop(L, 0);

  /* --- Lua's coroutine library with a C function that yields --- */
  (void)luaL_dostring(L, "local co = coroutine.wrap(function(...) local r = {c_yielder(...)} "
                   "return 'end', r[1] end) print(co(3, 4)) print(co('again'))");
  (void)luaL_dostring(L, "print(pcall(c_yielder, 1))");

  /* --- errors in coroutines, lua_xmove --- */
  co = lua_newthread(L);
  luaL_loadstring(co, "error('inside coroutine')");
  r = lua_resume(co, 0);
  printf("resume error %d %s status %d\n", r, lua_tostring(co, -1), lua_status(co));
  lua_xmove(co, L, 1);
  printf("xmoved: %s, L top %d\n", lua_tostring(L, -1), lua_gettop(L));
  lua_settop(L, 0);

  /* --- a thread used as a separate stack for calls --- */
  co = lua_newthread(L);
  luaL_loadstring(co, "return 6 * 7");
  lua_call(co, 0, 1);
  printf("call on thread: %g\n", lua_tonumber(co, -1));
  lua_pushthread(L);
  printf("pushthread main %d\n", lua_pushthread(L));
  lua_settop(L, 0);

  /* --- debug interface --- */
  (void)luaL_dostring(L, "local up = 5 function probe(a, b) local c = a + up inspect() return c, a end");
  (void)luaL_dostring(L, "print('after setlocal', probe(1, 2))");
  lua_getglobal(L, "probe");
  {
    const char *nm = lua_getupvalue(L, -1, 1);
    printf("upvalue 1 of probe: %s = %g\n", nm, lua_tonumber(L, -1));
    lua_pop(L, 1);
    lua_pushinteger(L, 50);
    nm = lua_setupvalue(L, -2, 1);
    printf("setupvalue %s\n", nm);
    printf("getupvalue 2: %s\n", lua_getupvalue(L, -1, 2) ? "yes" : "null");
  }
  {
    lua_Debug ar;
    lua_getglobal(L, "probe");
    lua_getinfo(L, ">S", &ar);
    printf("getinfo >S: %s line %d-%d src %s\n", ar.what, ar.linedefined, ar.lastlinedefined,
           ar.short_src);
    lua_pushcfunction(L, inspect);
    lua_getinfo(L, ">Su", &ar);
    printf("getinfo C: %s %s nups %d\n", ar.what, ar.short_src, ar.nups);
  }
  lua_settop(L, 0);
  lua_pushinteger(L, 9);
  lua_pushcclosure(L, inspect, 1);
  {
    const char *nm = lua_getupvalue(L, -1, 1);
    printf("C upvalue: '%s' %g\n", nm, lua_tonumber(L, -1));
  }
  lua_settop(L, 0);

  lua_sethook(L, hook, LUA_MASKLINE | LUA_MASKCALL, 0);
  printf("hook mask %d set %d\n", lua_gethookmask(L), lua_gethook(L) == hook);
  (void)luaL_dostring(L, "local x = 0\n"
                   "for i = 1, 3 do\n"
                   "  x = x + i\n"
                   "end\n"
                   "local function f() return x end f()\n");
  lua_sethook(L, NULL, 0, 0);
  printf("line hits %d call hits>0 %d\n", line_hits, call_hits > 0);
  lua_sethook(L, hook, LUA_MASKCOUNT, 10);
  (void)luaL_dostring(L, "local s = 0 for i = 1, 1000 do s = s + i end");
  lua_sethook(L, NULL, 0, 0);
  printf("count hook fired %d\n", count_hits > 0);

  /* --- lua_load with a reader, lua_dump and reload --- */
  {
    int done = 0;
    DumpBuf *b = (DumpBuf *)lua_newuserdata(L, sizeof(DumpBuf));
    b->n = 0;
    r = lua_load(L, reader, &done, "=reader");
    lua_pushstring(L, "arg");
    lua_call(L, 1, 2);
    printf("reader: %d %s %s\n", r, lua_tostring(L, -2), lua_tostring(L, -1));
    lua_pop(L, 2);
    luaL_loadstring(L, "local t = {...} return #t, 'dumped'");
    r = lua_dump(L, writer, b);
    lua_pop(L, 1);
    r = luaL_loadbuffer(L, b->buf, b->n, "=dumped");
    lua_pushinteger(L, 1);
    lua_pushinteger(L, 2);
    lua_call(L, 2, 2);
    printf("dump/load: %d %g %s\n", r, lua_tonumber(L, -2), lua_tostring(L, -1));
    lua_settop(L, 0);
  }
  lua_close(L);
  printf("closed\n");
  return 0;
}
