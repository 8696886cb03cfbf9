#!/bin/sh
# Compare the surface of LuaJIT 2.1 and of Lunatrace: the globals and
# library fields tests/surface/list.lua lists under each engine, and the
# dynamic symbols each C library defines (nm -D --defined-only). Prints one
# line per difference: "lua -<line>" (LuaJIT only), "lua +<line>"
# (Lunatrace only), "sym -<name>", "sym +<name>"; nothing when they agree.
#
# usage: tests/surface/diff.sh [lunatrace [liblunatrace.so]]
# (defaults: target/debug/lunatrace and target/debug/liblunatrace.so;
# LUAJIT and LIBLUAJIT in the environment name the reference.)
set -eu
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lt=${1:-$root/target/debug/lunatrace}
ltlib=${2:-$root/target/debug/liblunatrace.so}
lj=${LUAJIT:-luajit}
ljlib=${LIBLUAJIT:-/usr/lib/x86_64-linux-gnu/libluajit-5.1.so.2}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# (Run from an empty directory with no LUA_* settings: the same modules
# are found by both.)
cd "$tmp"
env -u LUA_PATH -u LUA_CPATH -u LUA_INIT "$lj" "$here/list.lua" | sort > lj.lua
env -u LUA_PATH -u LUA_CPATH -u LUA_INIT "$lt" "$here/list.lua" | sort > lt.lua
nm -D --defined-only "$ljlib" | awk '{print $3}' | sort > lj.sym
nm -D --defined-only "$ltlib" | awk '{print $3}' | sort > lt.sym

comm -23 lj.lua lt.lua | sed 's/^/lua -/'
comm -13 lj.lua lt.lua | sed 's/^/lua +/'
comm -23 lj.sym lt.sym | sed 's/^/sym -/'
comm -13 lj.sym lt.sym | sed 's/^/sym +/'
