/* jit_status.c -- C host for the interpreter-only build: through the C
 * API, jit.status() is false, and neither luaJIT_setmode nor jit.on()
 * turns a compiler on (hot loops still run right, interpreted). */
#include <stdio.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"
#include "luajit.h"

static void status(lua_State *L, const char *when) {
  lua_getglobal(L, "jit");
  lua_getfield(L, -1, "status");
  if (lua_pcall(L, 0, 1, 0) != 0) {
    printf("%s: error %s\n", when, lua_tostring(L, -1));
  } else {
    printf("%s: jit.status() = %s\n", when, lua_toboolean(L, -1) ? "true" : "false");
  }
  lua_pop(L, 2);
}

int main(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  status(L, "new state");
  printf("luaJIT_setmode(ON) = %d\n",
         luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_ON));
  status(L, "after setmode");
  if (luaL_dostring(L, "jit.on() local s = 0 for i = 1, 1000 do s = s + i % 7 end"
                       " return s") != 0)
    printf("error: %s\n", lua_tostring(L, -1));
  else
    printf("loop: %g\n", lua_tonumber(L, -1));
  lua_pop(L, 1);
  status(L, "after jit.on()");
  lua_close(L);
  return 0;
}
