/* iofile.c -- io handles are C streams: C code takes them with
 * luaL_checkudata(L, i, LUA_FILEHANDLE), finds LuaJIT's IOFileUD layout
 * (the FILE* first, then a 32-bit type: 0 file, 1 pipe, 2 standard
 * stream), writes to them with stdio, and its output on stdout is ordered
 * with Lua's print/io.write (stdout is a pipe here: fully buffered). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

typedef struct { FILE *fp; uint32_t type; } IOFileUD;

/* cwrite(f, s): fprintf to f's stream; returns the stream's type. */
static int cwrite(lua_State *L) {
  IOFileUD *u = (IOFileUD *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  const char *s = luaL_checkstring(L, 2);
  if (u->fp == NULL) return luaL_error(L, "cwrite: closed file");
  fprintf(u->fp, "[C:%s]", s);
  lua_pushinteger(L, (lua_Integer)u->type);
  return 1;
}

/* cis(f, which): whether f's stream is C's stdin/stdout/stderr. */
static int cis(lua_State *L) {
  IOFileUD *u = (IOFileUD *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  const char *w = luaL_checkstring(L, 2);
  FILE *want = strcmp(w, "stdin") == 0 ? stdin : strcmp(w, "stdout") == 0 ? stdout : stderr;
  lua_pushboolean(L, u->fp == want);
  return 1;
}

/* cclosed(f): whether the handle's stream pointer is NULL. */
static int cclosed(lua_State *L) {
  IOFileUD *u = (IOFileUD *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
  lua_pushboolean(L, u->fp == NULL);
  return 1;
}

static const char *script =
  "print('lua print 1')\n"
  "io.write('lua write 2 ')\n"
  "print('type', cwrite(io.stdout, 'stdout'))\n"
  "print(cis(io.stdin, 'stdin'), cis(io.stdout, 'stdout'), cis(io.stderr, 'stderr'), cis(io.stdout, 'stderr'))\n"
  "local f = io.tmpfile()\n"
  "f:write('lua ')\n"
  "print('type', cwrite(f, 'tmp'))\n"
  "f:write(' end')\n"
  "print(f:seek('set'), f:read('*a'))\n"
  "print('closed before', cclosed(f))\n"
  "f:close()\n"
  "print('closed after', cclosed(f), pcall(cwrite, f, 'x'))\n"
  "local p = io.popen('cat > /dev/null', 'w')\n"
  "print('pipe type', cwrite(p, 'to cat'))\n"
  "p:close()\n"
  "local function nf(v) local ok, e = pcall(cwrite, v, 'x') return ok, e:match('FILE%* expected, got %a+') end\n"
  "print('not a file', nf({}))\n"
  "print('not a file', nf(newproxy()))\n";

int main(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  lua_register(L, "cwrite", cwrite);
  lua_register(L, "cis", cis);
  lua_register(L, "cclosed", cclosed);
  printf("host printf before\n");
  if (luaL_dostring(L, script)) {
    printf("error: %s\n", lua_tostring(L, -1));
    return 1;
  }
  printf("host printf after\n");
  lua_close(L);
  return 0;
}
