/* panic.c -- unprotected errors and misuse: `panic.c atpanic` raises an
 * error outside any protected call with a panic function set (it runs, then
 * the process exits with status 1 after the PANIC message); `plain` does
 * the same without one; `checkstack` shows luaL_checkstack's message. */
#include <stdio.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static int my_panic(lua_State *L) {
  printf("my_panic: %s\n", lua_tostring(L, -1));
  fflush(stdout);
  return 0;
}

static int grow(lua_State *L) {
  luaL_checkstack(L, 100000000, "too many values");
  return 0;
}

int main(int argc, char **argv) {
  lua_State *L = luaL_newstate();
  const char *mode = argc > 1 ? argv[1] : "plain";
  setvbuf(stdout, NULL, _IOLBF, 0);
  luaL_openlibs(L);
  if (strcmp(mode, "checkstack") == 0) {
    lua_pushcfunction(L, grow);
    int r = lua_pcall(L, 0, 0, 0);
    printf("pcall: %d %s\n", r, lua_tostring(L, -1));
    lua_close(L);
    return 0;
  }
  if (strcmp(mode, "atpanic") == 0) lua_atpanic(L, my_panic);
  printf("before\n");
  luaL_loadstring(L, "error('unprotected!')");
  lua_call(L, 0, 0);
  printf("not reached\n");
  return 0;
}
