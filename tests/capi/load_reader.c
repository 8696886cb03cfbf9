/* lua_load with a reader: the chunk is read piece by piece as the parser
 * needs it, so a syntax error stops the reading (the reader is not called
 * again); a token cut between two pieces is read whole; a byte-order mark
 * and a first '#' line are skipped; a binary chunk loads too. */
#include <stdio.h>
#include <string.h>
#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

typedef struct {
  const char **pieces;
  const size_t *sizes; /* NULL: strlen of each piece */
  int next;
  int calls;
} Pieces;

static const char *reader(lua_State *L, void *ud, size_t *size) {
  Pieces *p = (Pieces *)ud;
  const char *s;
  (void)L;
  p->calls++;
  s = p->pieces[p->next];
  if (s == NULL) { *size = 0; return NULL; }
  *size = p->sizes ? p->sizes[p->next] : strlen(s);
  p->next++;
  return s;
}

static void try_load_sized(lua_State *L, const char *label, const char **pieces,
                           const size_t *sizes) {
  Pieces p;
  int st;
  p.pieces = pieces; p.sizes = sizes; p.next = 0; p.calls = 0;
  st = lua_load(L, reader, &p, "=pieces");
  if (st == 0) {
    int r = lua_pcall(L, 0, 1, 0);
    /* (A binary chunk's end may be read or known: its count is not
     * shown, the formats differ.) */
    if (sizes)
      printf("%s: status %d, pieces read %d, result %s\n", label, st, p.next,
             r == 0 ? lua_tostring(L, -1) : "error");
    else
      printf("%s: status %d, reader calls %d, result %s\n", label, st, p.calls,
             r == 0 ? lua_tostring(L, -1) : "error");
  } else {
    printf("%s: status %d, reader calls %d, message %s\n", label, st, p.calls,
           lua_tostring(L, -1));
  }
  lua_pop(L, 1);
}

static void try_load(lua_State *L, const char *label, const char **pieces) {
  try_load_sized(L, label, pieces, NULL);
}

static int writer(lua_State *L, const void *p, size_t sz, void *ud) {
  luaL_Buffer *b = (luaL_Buffer *)ud;
  (void)L;
  luaL_addlstring(b, (const char *)p, sz);
  return 0;
}

int main(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  {
    const char *ok[] = {"local x = 12", "34 return ", "tostring(x + 1)", NULL};
    try_load(L, "split token", ok);
  }
  {
    const char *bad[] = {"local x = = 1\n", "return 'never read'", "x", NULL};
    try_load(L, "syntax error", bad);
  }
  {
    const char *late[] = {"return 1", " +", " ", "end", " 'more'", NULL};
    try_load(L, "late error", late);
  }
  {
    const char *bom[] = {"\xEF\xBB\xBF#!/usr/bin/lua", " -- still the first line\n", "return 'bom'", NULL};
    try_load(L, "bom and #", bom);
  }
  {
    const char *empty[] = {NULL};
    try_load(L, "empty", empty);
  }
  {
    /* A binary chunk, in two pieces. */
    luaL_Buffer b;
    const char *bin[3];
    size_t len;
    const char *s;
    luaL_loadstring(L, "return 'from bytecode'");
    luaL_buffinit(L, &b);
    lua_dump(L, writer, &b);
    luaL_pushresult(&b);
    s = lua_tolstring(L, -1, &len);
    {
      size_t sizes[3];
      bin[0] = s; sizes[0] = 4;
      bin[1] = s + 4; sizes[1] = len - 4;
      bin[2] = NULL; sizes[2] = 0;
      try_load_sized(L, "binary", bin, sizes);
    }
    lua_pop(L, 2);
  }
  lua_close(L);
  return 0;
}
