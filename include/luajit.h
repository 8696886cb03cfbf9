/*
** luajit.h -- LuaJIT 2.1 extensions of the C API as provided by Lunatrace.
** Written for Lunatrace; names and values follow LuaJIT 2.1.
*/
#ifndef _LUAJIT_H
#define _LUAJIT_H

#include "lua.h"

#define LUAJIT_VERSION		"LuaJIT 2.1.0-beta3"
#define LUAJIT_VERSION_NUM	20100
#define LUAJIT_VERSION_SYM	luaJIT_version_2_1_0_beta3
#define LUAJIT_COPYRIGHT	"Copyright (C) 2005-2017 Mike Pall"
#define LUAJIT_URL		"http://luajit.org/"

/* Modes for luaJIT_setmode. */
#define LUAJIT_MODE_MASK	0x00ff

enum {
  LUAJIT_MODE_ENGINE,		/* the whole JIT compiler */
  LUAJIT_MODE_DEBUG,		/* debug hooks */
  LUAJIT_MODE_FUNC,		/* one function */
  LUAJIT_MODE_ALLFUNC,		/* all functions of a prototype tree */
  LUAJIT_MODE_ALLSUBFUNC,	/* its children only */
  LUAJIT_MODE_TRACE,		/* one trace */
  LUAJIT_MODE_WRAPCFUNC = 0x10,	/* wrapping of C function calls */
  LUAJIT_MODE_MAX
};

#define LUAJIT_MODE_OFF		0x0000	/* turn off */
#define LUAJIT_MODE_ON		0x0100	/* turn on */
#define LUAJIT_MODE_FLUSH	0x0200	/* flush compiled code */

LUA_API int luaJIT_setmode(lua_State *L, int idx, int mode);

/* The low-level profiler API. The callback gets the data given to start,
** the profiled thread, the number of samples since the last call and the
** VM state as a character ('I' interpreted, 'N' compiled code, ...). */
typedef void (*luaJIT_profile_callback)(void *data, lua_State *L,
                                        int samples, int vmstate);

LUA_API void luaJIT_profile_start(lua_State *L, const char *mode,
                                  luaJIT_profile_callback cb, void *data);
LUA_API void luaJIT_profile_stop(lua_State *L);
LUA_API const char *luaJIT_profile_dumpstack(lua_State *L, const char *fmt,
                                             int depth, size_t *len);

/* Referencing this symbol checks the library version at link time. */
LUA_API void LUAJIT_VERSION_SYM(void);

#endif
