/*
** The bodies of the C-variadic functions of the Lunatrace C API:
** lua_pushfstring, lua_pushvfstring and luaL_error. Stable Rust cannot
** define a C-variadic function, so these are C: they read their arguments
** with <stdarg.h> (which the C compiler lowers for every target's calling
** convention) and build the result with the public API only (a
** luaL_Buffer, lua_pushnumber for numbers, luaL_where, lua_error), all
** defined in Rust, none of which enters the VM (so they work in C code
** that an FFI call from a trace runs).
**
** They are hidden (lunatrace_capi_*): the exported lua_pushfstring etc.
** are Rust functions that jump here, arguments untouched (varargs.rs),
** because rustc's version script for liblunatrace.so exports the symbols
** of Rust functions only.
**
** Formats are those LuaJIT 2.1 accepts (checked against its library):
**   %%                  a '%'
**   %s %q               a C string (NULL as "(null)"); flags, width and
**                       precision are accepted and ignored
**   %c                  the char of an int argument (flags/width ignored)
**   %d %i               an int, %u %o %x %X an unsigned int: printf's
**                       flags ("-+ #0"), width and precision (at most two
**                       digits each)
**   %f %F %e %E %g %G %a %A
**                       a lua_Number, always as tostring shows it
**                       ("%.14g", "inf", "nan"); flags etc. ignored
**   %p                  a pointer: "NULL", or "0x" and its bytes in hex
**                       (at least four bytes)
** Anything else (an unknown conversion, a third digit of width or
** precision, a '%' ending the format) adds '?' and ends the formatting.
**
** Errors (luaL_error's, or running out of memory) unwind through these
** frames: build.rs compiles this file with unwind tables (-fexceptions).
*/

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "lauxlib.h"

/* Up to two digits of a width or precision at *pp; -1 if three. */
static int two_digits(const char **pp, char *out, size_t *n)
{
  const char *p = *pp;
  int k = 0;
  while (*p >= '0' && *p <= '9') {
    if (k == 2) return -1;
    out[(*n)++] = *p++;
    k++;
  }
  *pp = p;
  return 0;
}

/* printf's conversion of an int or unsigned int with the spec spec. */
static void add_int(luaL_Buffer *b, const char *spec, int is_signed,
                    va_list *ap)
{
  char tmp[128];
  int n;
  if (is_signed)
    n = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, int));
  else
    n = snprintf(tmp, sizeof(tmp), spec, va_arg(*ap, unsigned int));
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof(tmp)) n = (int)sizeof(tmp) - 1;
  luaL_addlstring(b, tmp, (size_t)n);
}

/* "NULL", or "0x" and the pointer's significant bytes (at least four). */
static void add_ptr(luaL_Buffer *b, const void *p)
{
  static const char hex[] = "0123456789abcdef";
  uintptr_t u = (uintptr_t)p;
  char tmp[2 + 2 * sizeof(uintptr_t)];
  size_t nbytes = 4, i, n = 0;
  if (p == NULL) {
    luaL_addlstring(b, "NULL", 4);
    return;
  }
  while (nbytes < sizeof(uintptr_t) && (u >> (8 * nbytes)) != 0) nbytes++;
  tmp[n++] = '0';
  tmp[n++] = 'x';
  for (i = 2 * nbytes; i > 0; i--)
    tmp[n++] = hex[(u >> (4 * (i - 1))) & 15];
  luaL_addlstring(b, tmp, n);
}

/* Format fmt with the arguments of *ap into b. */
static void format(luaL_Buffer *b, const char *fmt, va_list *ap)
{
  const char *p = fmt;
  for (;;) {
    const char *q = strchr(p, '%');
    char spec[16];
    size_t n = 0;
    int flags_seen[5] = {0, 0, 0, 0, 0};
    static const char flags[] = "-+ #0";
    if (q == NULL) {
      luaL_addstring(b, p);
      return;
    }
    luaL_addlstring(b, p, (size_t)(q - p));
    p = q + 1;
    if (*p == '%') {
      luaL_addchar(b, '%');
      p++;
      continue;
    }
    /* The spec again, each flag once: at most 1 + 5 + 2 + 1 + 2 + 1. */
    spec[n++] = '%';
    while (*p != '\0' && strchr(flags, *p) != NULL) {
      int k = (int)(strchr(flags, *p) - flags);
      if (!flags_seen[k]) {
        flags_seen[k] = 1;
        spec[n++] = *p;
      }
      p++;
    }
    if (two_digits(&p, spec, &n) < 0) break;
    if (*p == '.') {
      spec[n++] = *p++;
      if (two_digits(&p, spec, &n) < 0) break;
    }
    spec[n++] = *p;
    spec[n] = '\0';
    switch (*p++) {
    case 'd': case 'i':
      add_int(b, spec, 1, ap);
      break;
    case 'u': case 'o': case 'x': case 'X':
      add_int(b, spec, 0, ap);
      break;
    case 'c':
      luaL_addchar(b, (char)va_arg(*ap, int));
      break;
    case 's': case 'q': {
      const char *s = va_arg(*ap, const char *);
      luaL_addstring(b, s != NULL ? s : "(null)");
      break;
    }
    case 'f': case 'F': case 'e': case 'E':
    case 'g': case 'G': case 'a': case 'A':
      lua_pushnumber(b->L, (lua_Number)va_arg(*ap, double));
      luaL_addvalue(b);
      break;
    case 'p':
      add_ptr(b, va_arg(*ap, void *));
      break;
    default:
      goto bad;
    }
  }
bad:
  luaL_addchar(b, '?');
}

/* Push the formatted string; its bytes. */
static const char *push_formatted(lua_State *L, const char *fmt, va_list *ap)
{
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  format(&b, fmt, ap);
  luaL_pushresult(&b);
  return lua_tolstring(L, -1, NULL);
}

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN const char *lunatrace_capi_pushvfstring(lua_State *L, const char *fmt,
                                               va_list argp);
HIDDEN const char *lunatrace_capi_pushfstring(lua_State *L, const char *fmt,
                                              ...);
HIDDEN int lunatrace_capi_error(lua_State *L, const char *fmt, ...);

/* lua_pushvfstring */
const char *lunatrace_capi_pushvfstring(lua_State *L, const char *fmt,
                                        va_list argp)
{
  const char *s;
  va_list ap;
  va_copy(ap, argp);
  s = push_formatted(L, fmt, &ap);
  va_end(ap);
  return s;
}

/* lua_pushfstring */
const char *lunatrace_capi_pushfstring(lua_State *L, const char *fmt, ...)
{
  const char *s;
  va_list ap;
  va_start(ap, fmt);
  s = push_formatted(L, fmt, &ap);
  va_end(ap);
  return s;
}

/* luaL_error */
int lunatrace_capi_error(lua_State *L, const char *fmt, ...)
{
  luaL_Buffer b;
  va_list ap;
  luaL_buffinit(L, &b);
  luaL_where(L, 1);
  luaL_addvalue(&b);
  va_start(ap, fmt);
  format(&b, fmt, &ap);
  va_end(ap);
  luaL_pushresult(&b);
  /* (Not lua_concat: it may run metamethods, so it is a guarded VM entry,
  ** refused in C code called by a running trace, where luaL_error must
  ** work.) */
  return lua_error(L);
}
