/* core.c -- C host test of the Lunatrace C API: states, stack
 * manipulation, push/to/is/check functions, tables, metatables, userdata
 * with __gc, registry and refs, calls and pcall with errors from C and Lua,
 * lua_concat/gettable/lessthan/equal invoking metamethods, luaL_Buffer. */
#include <stdio.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int gc_count = 0;

static void dump_stack(lua_State *L, const char *tag) {
  int i, n = lua_gettop(L);
  printf("%s [%d]:", tag, n);
  for (i = 1; i <= n; i++) {
    int t = lua_type(L, i);
    if (t == LUA_TSTRING) printf(" '%s'", lua_tostring(L, i));
    else if (t == LUA_TNUMBER) printf(" %g", lua_tonumber(L, i));
    else if (t == LUA_TBOOLEAN) printf(" %s", lua_toboolean(L, i) ? "true" : "false");
    else printf(" %s", lua_typename(L, t));
  }
  printf("\n");
}

/* A userdata type "Point" with methods and __gc. */
typedef struct { double x, y; } Point;

static int point_new(lua_State *L) {
  double x = luaL_checknumber(L, 1), y = luaL_optnumber(L, 2, 0);
  Point *p = (Point *)lua_newuserdata(L, sizeof(Point));
  p->x = x;
  p->y = y;
  luaL_getmetatable(L, "Point");
  lua_setmetatable(L, -2);
  return 1;
}
static int point_len(lua_State *L) {
  Point *p = (Point *)luaL_checkudata(L, 1, "Point");
  lua_pushnumber(L, p->x * p->x + p->y * p->y);
  return 1;
}
static int point_gc(lua_State *L) {
  Point *p = (Point *)luaL_checkudata(L, 1, "Point");
  (void)p;
  gc_count++;
  return 0;
}
static int point_tostring(lua_State *L) {
  Point *p = (Point *)luaL_checkudata(L, 1, "Point");
  lua_pushfstring(L, "Point(%f, %f)", p->x, p->y);
  return 1;
}
static const luaL_Reg point_methods[] = {
  {"len2", point_len},
  {NULL, NULL}
};
static const luaL_Reg pointlib[] = {
  {"new", point_new},
  {NULL, NULL}
};

/* C functions raising errors. */
static int c_error(lua_State *L) {
  return luaL_error(L, "boom %d %s", 42, "from C");
}
static int c_argerr(lua_State *L) {
  luaL_checkinteger(L, 1);
  luaL_argcheck(L, lua_tointeger(L, 1) > 0, 1, "must be positive");
  lua_pushinteger(L, lua_tointeger(L, 1) * 2);
  return 1;
}
static int c_lua_error(lua_State *L) {
  lua_pushstring(L, "raw error value");
  return lua_error(L);
}
static int c_calls_lua(lua_State *L) {
  /* calls its argument; errors propagate through this C frame */
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_pushvalue(L, 1);
  lua_call(L, 0, 1);
  return 1;
}
static int c_upcount(lua_State *L) {
  lua_Integer n = lua_tointeger(L, lua_upvalueindex(1)) + 1;
  lua_pushinteger(L, n);
  lua_replace(L, lua_upvalueindex(1));
  lua_pushinteger(L, n);
  return 1;
}
static int c_option(lua_State *L) {
  static const char *const opts[] = {"alpha", "beta", "gamma", NULL};
  lua_pushinteger(L, luaL_checkoption(L, 1, "beta", opts));
  return 1;
}
static int c_cpcall_body(lua_State *L) {
  int *p = (int *)lua_touserdata(L, 1);
  *p = 7;
  lua_pushstring(L, "cpcall error");
  return lua_error(L);
}
static int traceback_handler(lua_State *L) {
  lua_pushfstring(L, "handled: %s", lua_tostring(L, 1));
  return 1;
}

static int run(lua_State *L, const char *code) {
  int st = luaL_dostring(L, code);
  if (st != 0) {
    printf("error(%d): %s\n", st, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return st;
}

int main(void) {
  lua_State *L = luaL_newstate();
  int i, r, ref1, ref2, ref3;
  size_t len;
  setvbuf(stdout, NULL, _IOLBF, 0);
  luaL_openlibs(L);

  /* --- stack manipulation --- */
  lua_pushinteger(L, 1);
  lua_pushstring(L, "two");
  lua_pushboolean(L, 1);
  lua_pushnil(L);
  lua_pushnumber(L, 2.5);
  dump_stack(L, "push");
  lua_insert(L, 1);
  dump_stack(L, "insert");
  lua_remove(L, 2);
  dump_stack(L, "remove");
  lua_pushvalue(L, 2);
  lua_replace(L, 1);
  dump_stack(L, "replace");
  lua_settop(L, 2);
  dump_stack(L, "settop");
  printf("checkstack %d\n", lua_checkstack(L, 100));
  lua_settop(L, 0);

  /* --- push/to/is --- */
  lua_pushnumber(L, 10);
  lua_pushstring(L, "20");
  lua_pushstring(L, "x");
  lua_pushlstring(L, "a\0b", 3);
  printf("isnumber %d %d %d\n", lua_isnumber(L, 1), lua_isnumber(L, 2), lua_isnumber(L, 3));
  printf("isstring %d %d\n", lua_isstring(L, 1), lua_isstring(L, 3));
  printf("tonumber %g tointeger %ld\n", lua_tonumber(L, 2), (long)lua_tointeger(L, 1));
  lua_tolstring(L, 4, &len);
  printf("embedded zero len %u objlen %u\n", (unsigned)len, (unsigned)lua_objlen(L, 4));
  printf("number converted: %s", lua_tostring(L, 1));
  printf(" type now %s\n", luaL_typename(L, 1));
  printf("none type %d isnoneornil %d\n", lua_type(L, 10), lua_isnoneornil(L, 10));
  lua_pushfstring(L, "%s|%d|%f|%c|%%", "s", -5, 1.5, 'z');
  printf("fstring %s\n", lua_tostring(L, -1));
  lua_settop(L, 0);

  /* --- tables --- */
  lua_createtable(L, 2, 2);
  lua_pushstring(L, "v1");
  lua_rawseti(L, 1, 1);
  lua_pushstring(L, "v2");
  lua_rawseti(L, 1, 2);
  lua_pushinteger(L, 99);
  lua_setfield(L, 1, "key");
  lua_pushstring(L, "k2");
  lua_pushstring(L, "val2");
  lua_settable(L, 1);
  printf("objlen %u\n", (unsigned)lua_objlen(L, 1));
  lua_getfield(L, 1, "key");
  lua_rawgeti(L, 1, 2);
  lua_pushstring(L, "k2");
  lua_rawget(L, 1);
  dump_stack(L, "table reads");
  lua_settop(L, 1);
  {
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) { n++; lua_pop(L, 1); }
    printf("next count %d\n", n);
  }
  lua_setglobal(L, "T");
  run(L, "print('T.key', T.key, #T, T.k2)");

  /* --- metatables and metamethods through the API --- */
  run(L, "mt = {__index=function(t,k) return k..'!' end,"
         " __newindex=function(t,k,v) rawset(t,k,v*2) end,"
         " __concat=function(a,b) return 'cat' end,"
         " __lt=function(a,b) return true end,"
         " __le=function(a,b) return false end,"
         " __eq=function(a,b) return true end}"
         " A = setmetatable({}, mt) B = setmetatable({}, mt)");
  lua_getglobal(L, "A");
  lua_getfield(L, -1, "hello");
  printf("__index via getfield: %s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_pushstring(L, "q");
  lua_gettable(L, -2);
  printf("__index via gettable: %s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_pushinteger(L, 21);
  lua_setfield(L, -2, "n");
  lua_pushstring(L, "n");
  lua_rawget(L, -2);
  printf("__newindex via setfield: %g\n", lua_tonumber(L, -1));
  lua_pop(L, 1);
  lua_getglobal(L, "B");
  printf("lessthan %d equal %d rawequal %d\n", lua_lessthan(L, -2, -1), lua_equal(L, -2, -1),
         lua_rawequal(L, -2, -1));
  lua_pushstring(L, "x");
  lua_concat(L, 3);
  printf("concat with __concat: %s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_pushinteger(L, 1);
  lua_pushstring(L, "-");
  lua_pushnumber(L, 2.5);
  lua_concat(L, 3);
  printf("concat plain: %s\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_concat(L, 0);
  printf("concat 0: '%s'\n", lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_getglobal(L, "A");
  printf("getmetatable %d\n", lua_getmetatable(L, -1));
  lua_settop(L, 0);
  lua_pushnumber(L, 1);
  lua_pushnumber(L, 2);
  printf("numbers lessthan %d %d\n", lua_lessthan(L, 1, 2), lua_lessthan(L, 2, 1));
  lua_settop(L, 0);

  /* --- userdata with __gc, luaL_register, methods --- */
  luaL_newmetatable(L, "Point");
  lua_pushvalue(L, -1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, point_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, point_tostring);
  lua_setfield(L, -2, "__tostring");
  luaL_register(L, NULL, point_methods);
  lua_pop(L, 1);
  luaL_register(L, "point", pointlib);
  lua_pop(L, 1);
  run(L, "local p = point.new(3, 4) print(p:len2(), tostring(p), package.loaded.point == point)");
  run(L, "for i = 1, 10 do point.new(i) end collectgarbage() collectgarbage()");
  printf("gc count >= 10: %d\n", gc_count >= 10);
  run(L, "print(pcall(point.new, 'x'))");
  run(L, "print(pcall(getmetatable(point.new(1)).len2, {}))");

  /* --- registry and references --- */
  lua_pushstring(L, "first");
  ref1 = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushstring(L, "second");
  ref2 = luaL_ref(L, LUA_REGISTRYINDEX);
  luaL_unref(L, LUA_REGISTRYINDEX, ref1);
  lua_pushstring(L, "third");
  ref3 = luaL_ref(L, LUA_REGISTRYINDEX);
  printf("ref reuse %d\n", ref3 == ref1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref2);
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref3);
  printf("refs: %s %s\n", lua_tostring(L, -2), lua_tostring(L, -1));
  lua_pop(L, 2);
  lua_pushnil(L);
  printf("ref nil %d\n", luaL_ref(L, LUA_REGISTRYINDEX));
  lua_newtable(L);
  for (i = 0; i < 5; i++) { lua_pushinteger(L, i); luaL_ref(L, -2); }
  luaL_unref(L, -1, 2);
  luaL_unref(L, -1, 4);
  lua_pushstring(L, "a"); r = luaL_ref(L, -2);
  printf("own table refs: %d", r);
  lua_pushstring(L, "b"); r = luaL_ref(L, -2);
  printf(" %d", r);
  lua_pushstring(L, "c"); r = luaL_ref(L, -2);
  printf(" %d\n", r);
  lua_pop(L, 1);

  /* --- calls and errors --- */
  lua_register(L, "c_error", c_error);
  lua_register(L, "c_argerr", c_argerr);
  lua_register(L, "c_lua_error", c_lua_error);
  lua_register(L, "c_calls_lua", c_calls_lua);
  lua_register(L, "c_option", c_option);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, c_upcount, 1);
  lua_setglobal(L, "counter");
  run(L, "print(pcall(c_error))");
  run(L, "print(pcall(c_argerr, -1))");
  run(L, "print(pcall(c_argerr, 'x'))");
  run(L, "print(c_argerr(21))");
  run(L, "print(pcall(c_lua_error))");
  run(L, "print(pcall(c_calls_lua, function() error('lua err in C') end))");
  run(L, " print(select('#', pcall(c_calls_lua, function() error({}) end)), type(select(2, pcall(c_calls_lua, function() error({}) end))))");
  run(L, "print(c_calls_lua(function() return 'ok from lua' end))");
  run(L, "print(counter(), counter(), counter())");
  run(L, "print(c_option(), c_option('gamma'), pcall(c_option, 'delta'))");
  run(L, "local obj = {} function obj:m(x) return c_argerr(x) end print(pcall(obj.m, obj, -3))");
  run(L, "error('top level')");
  run(L, "syntax error here");
  run(L, "print(select('#', pcall(c_calls_lua, function() error({}) end)))");
  lua_getglobal(L, "c_error");
  r = lua_pcall(L, 0, 0, 0);
  printf("lua_pcall C error: %d %s\n", r, lua_tostring(L, -1));
  lua_pop(L, 1);
  lua_pushcfunction(L, traceback_handler);
  luaL_loadstring(L, "error('with handler')");
  r = lua_pcall(L, 0, 0, -2);
  printf("handler: %d %s\n", r, lua_tostring(L, -1));
  lua_settop(L, 0);
  {
    int x = 0;
    r = lua_cpcall(L, c_cpcall_body, &x);
    printf("cpcall: %d %d %s\n", r, x, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  luaL_loadstring(L, "return 1, 2, 3");
  lua_call(L, 0, LUA_MULTRET);
  printf("multret top %d\n", lua_gettop(L));
  lua_settop(L, 0);
  luaL_loadstring(L, "local a, b = ... return a + b");
  lua_pushinteger(L, 40);
  lua_pushinteger(L, 2);
  lua_call(L, 2, 1);
  printf("call result %ld\n", (long)lua_tointeger(L, -1));
  lua_settop(L, 0);
  r = luaL_loadfile(L, "/nonexistent/file.lua");
  printf("loadfile missing: %d %s\n", r == LUA_ERRFILE, lua_tostring(L, -1));
  lua_settop(L, 0);
  r = luaL_loadbuffer(L, "x = ", 4, "=buf");
  printf("loadbuffer syntax: %d %s\n", r == LUA_ERRSYNTAX, lua_tostring(L, -1));
  lua_settop(L, 0);

  /* --- luaL_Buffer beyond LUAL_BUFFERSIZE --- */
  {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (i = 0; i < 3 * LUAL_BUFFERSIZE + 17; i++) luaL_addchar(&b, 'a' + i % 26);
    luaL_addstring(&b, "<mid>");
    lua_pushinteger(L, 12345);
    luaL_addvalue(&b);
    {
      char *p = luaL_prepbuffer(&b);
      memcpy(p, "XYZ", 3);
      luaL_addsize(&b, 3);
    }
    for (i = 0; i < 2 * LUAL_BUFFERSIZE; i++) luaL_addlstring(&b, "xy", 2);
    luaL_pushresult(&b);
    len = 0;
    lua_tolstring(L, -1, &len);
    printf("buffer len %u (expected %u)\n", (unsigned)len,
           (unsigned)(3 * LUAL_BUFFERSIZE + 17 + 5 + 5 + 3 + 4 * LUAL_BUFFERSIZE));
    printf("buffer head %.30s\n", lua_tostring(L, -1));
    lua_setglobal(L, "BIG");
    run(L, "print(BIG:find('<mid>12345XYZxy', 1, true))");
  }
  printf("top at end %d\n", lua_gettop(L));

  /* --- gc API --- */
  printf("gc count > 0: %d\n", lua_gc(L, LUA_GCCOUNT, 0) > 0);
  lua_gc(L, LUA_GCCOLLECT, 0);
  printf("setpause old %d\n", lua_gc(L, LUA_GCSETPAUSE, 150));
  printf("setpause now %d\n", lua_gc(L, LUA_GCSETPAUSE, 200));
  lua_gc(L, LUA_GCSTOP, 0);
  lua_gc(L, LUA_GCRESTART, 0);
  printf("step %d\n", lua_gc(L, LUA_GCSTEP, 0));
  {
    int steps = 1;
    while (!lua_gc(L, LUA_GCSTEP, 0)) steps++;
    printf("steps to a cycle > 5: %d\n", steps > 5);
    printf("big step %d\n", lua_gc(L, LUA_GCSTEP, 100000));
  }

  gc_count = 0;
  run(L, "keep = point.new(1, 1)");
  lua_close(L);
  printf("gc at close: %d\n", gc_count);
  return 0;
}
