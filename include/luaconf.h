/*
** luaconf.h -- build configuration of the Lunatrace C API.
** Written for Lunatrace; binary compatible with the Lua 5.1 ABI
** (double numbers, ptrdiff_t integers, 60-byte source ids).
*/
#ifndef lconfig_h
#define lconfig_h

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

/* Search paths (same defaults as the reference LuaJIT build on Debian). */
#define LUA_LDIR	"/usr/local/share/lua/5.1/"
#define LUA_CDIR	"/usr/local/lib/lua/5.1/"
#define LUA_PATH_DEFAULT \
  "./?.lua;" LUA_LDIR "?.lua;" LUA_LDIR "?/init.lua;" \
  "/usr/share/lua/5.1/?.lua;/usr/share/lua/5.1/?/init.lua"
#define LUA_CPATH_DEFAULT \
  "./?.so;" LUA_CDIR "?.so;/usr/lib/x86_64-linux-gnu/lua/5.1/?.so;" \
  LUA_CDIR "loadall.so"

#define LUA_PATH	"LUA_PATH"
#define LUA_CPATH	"LUA_CPATH"
#define LUA_INIT	"LUA_INIT"

#define LUA_DIRSEP	"/"
#define LUA_PATHSEP	";"
#define LUA_PATH_MARK	"?"
#define LUA_EXECDIR	"!"
#define LUA_IGMARK	"-"

/* Types of numbers and integers on the stack. */
#define LUA_NUMBER	double
#define LUA_INTEGER	ptrdiff_t
#define LUA_NUMBER_DOUBLE
#define LUAI_UACNUMBER	double
#define LUA_NUMBER_SCAN	"%lf"
#define LUA_NUMBER_FMT	"%.14g"
#define lua_number2str(s, n)	sprintf((s), LUA_NUMBER_FMT, (n))
#define LUAI_MAXNUMBER2STR	32
#define lua_str2number(s, p)	strtod((s), (p))
#define lua_number2int(i, n)	((i) = (int)(n))
#define lua_number2integer(i, n)	((i) = (lua_Integer)(n))

#define LUAI_INT32	int
#define LUAI_UINT32	unsigned int
#define LUAI_MAXINT32	INT_MAX
#define LUAI_UMEM	size_t
#define LUAI_MEM	ptrdiff_t

/* Linkage of API functions. */
#define LUA_API		extern
#define LUALIB_API	LUA_API
#define LUAI_FUNC	extern
#define LUAI_DATA	extern

/* Sizes and limits. */
#define LUA_IDSIZE	60
#define LUAL_BUFFERSIZE	BUFSIZ
#define LUAI_MAXCALLS	20000
#define LUAI_MAXCSTACK	8000
#define LUAI_MAXCCALLS	200
#define LUAI_MAXVARS	200
#define LUAI_MAXUPVALUES	60
#define LUA_MAXCAPTURES	32
#define LUAI_GCPAUSE	200
#define LUAI_GCMUL	200

#define LUA_PROMPT	"> "
#define LUA_PROMPT2	">> "
#define LUA_PROGNAME	"lunatrace"
#define LUA_MAXINPUT	512

/* Quoting helpers used in messages. */
#define LUA_QL(x)	"'" x "'"
#define LUA_QS		LUA_QL("%s")

/* 5.0 compatibility switches (as the default 5.1 build has them). */
#define LUA_COMPAT_LOADLIB
#define LUA_COMPAT_VARARG
#define LUA_COMPAT_MOD
#define LUA_COMPAT_LSTR	1
#define LUA_COMPAT_GFIND
#define LUA_COMPAT_OPENLIB

/* API checks are done inside the library (debug builds). */
#define luai_apicheck(L, o)	{ (void)L; }
#define api_check	luai_apicheck

#endif
