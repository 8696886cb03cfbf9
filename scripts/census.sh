#!/bin/sh
# Abort census: runs every bench program and real-program driver under
# `-jv -Oasync=0` and counts the reasons of aborted recordings.
# Usage: scripts/census.sh [lunatrace binary]
LT=${1:-target/release/lunatrace}
for f in bench/programs/*.lua; do
  "$LT" -jv -Oasync=0 "$f" 2>&1 >/dev/null | sed "s|^|$(basename "$f" .lua): |"
done
cd bench/real || exit 1
for f in *.lua; do
  "../../$LT" -jv -Oasync=0 "$f" 2>&1 >/dev/null | sed "s|^|$(basename "$f" .lua): |"
done
