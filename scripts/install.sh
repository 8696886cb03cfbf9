#!/bin/sh
# Install Lunatrace under PREFIX: the command line (bin/lunatrace), the
# C library (lib/liblunatrace.so and .a), the Lua 5.1 / LuaJIT headers
# (include/lunatrace/) and a pkg-config file (lib/pkgconfig/lunatrace.pc).
#
#   scripts/install.sh PREFIX            # builds the `dist` profile first
#                                        # (release, stripped)
#   PROFILE=release scripts/install.sh P # another profile (debug, release)
#   NO_BUILD=1 scripts/install.sh P      # install what target/ holds
#
# Then: cc host.c $(pkg-config --cflags --libs lunatrace)        (shared)
#       cc host.c $(pkg-config --static --cflags --libs lunatrace) with
#       -l:liblunatrace.a, or link lib/liblunatrace.a directly (static).
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi
prefix=$1
profile=${PROFILE:-dist}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cargo=${CARGO:-cargo}

if [ -z "${NO_BUILD:-}" ]; then
    if [ "$profile" = debug ]; then
        flag=
    else
        flag="--profile $profile"
    fi
    (cd "$root" && "$cargo" build -q $flag -p lunatrace -p liblunatrace)
fi

out=$target/$profile
for f in lunatrace liblunatrace.so liblunatrace.a; do
    if [ ! -f "$out/$f" ]; then
        echo "$0: $out/$f is missing (build first)" >&2
        exit 1
    fi
done

mkdir -p "$prefix/bin" "$prefix/lib/pkgconfig" "$prefix/include/lunatrace"
install -m 755 "$out/lunatrace" "$prefix/bin/lunatrace"
install -m 755 "$out/liblunatrace.so" "$prefix/lib/liblunatrace.so"
install -m 644 "$out/liblunatrace.a" "$prefix/lib/liblunatrace.a"
for h in "$root"/include/*.h "$root"/include/*.hpp; do
    install -m 644 "$h" "$prefix/include/lunatrace/"
done

version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n 1)
abs_prefix=$(cd "$prefix" && pwd)
cat > "$prefix/lib/pkgconfig/lunatrace.pc" <<PC
prefix=$abs_prefix
libdir=\${prefix}/lib
includedir=\${prefix}/include/lunatrace

Name: lunatrace
Description: Lua 5.1 VM with LuaJIT 2.1's surface and a tracing JIT (C API)
Version: $version
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -llunatrace
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
Cflags: -I\${includedir}
PC
echo "installed lunatrace $version ($profile) under $abs_prefix"
