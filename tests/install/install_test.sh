#!/usr/bin/env bash
# Consumes libdurastore the way an application does: `meson install` of this build into a
# staging directory, then a C and a C++ program compiled and linked with nothing but
# `pkg-config --cflags --libs durastore` (PKG_CONFIG_SYSROOT_DIR maps the installed paths
# into the staging directory), run against a store in a temporary directory.
# Also checks that no internal header is installed.
# Usage: install_test.sh <meson> <build-dir> <tests/install source dir> <cc> <c++>
# Exit 77 (skipped) when pkg-config or a compiler is missing.
set -euo pipefail
meson=$1
build=$2
src=$3
cc=$4
cxx=$5
for tool in pkg-config "$cc" "$cxx"; do
  command -v "$tool" >/dev/null || { echo "install_test: SKIP: $tool not found"; exit 77; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/durastore-install-XXXXXX")
trap 'rm -rf "$stage"' EXIT
"$meson" install -C "$build" --no-rebuild --destdir "$stage/root" >"$stage/install.log" ||
  { cat "$stage/install.log"; exit 1; }

pc=$(find "$stage/root" -name durastore.pc -path '*/pkgconfig/*' | head -n 1)
[ -n "$pc" ] || { echo "install_test: no durastore.pc installed"; exit 1; }
# This durastore.pc first; the system's for its Requires.private (lmdb, ...).
PKG_CONFIG_PATH=$(dirname "$pc")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
export PKG_CONFIG_PATH
export PKG_CONFIG_SYSROOT_DIR=$stage/root
cflags=$(pkg-config --cflags durastore)
libs=$(pkg-config --libs durastore)
echo "pkg-config --cflags: $cflags"
echo "pkg-config --libs:   $libs"

# Only public headers: an installed internal one would let consumers depend on it.
include_dir=$(find "$stage/root" -type d -path '*/include/durastore' | head -n 1)
echo "installed headers: $(cd "$include_dir" && find . -name '*.h' | sort | tr '\n' ' ')"
internal=$(find "$stage/root" -name '*.h' \( -name '*internal*' -o -name 'status_macros.h' \
  -o -name '*_generated.h' -o -name 'durastore_config.h' \))
[ -z "$internal" ] || { echo "install_test: internal headers installed: $internal"; exit 1; }

lib=$(find "$stage/root" -name 'libdurastore.so.*' -type f | head -n 1)
soname=$(readelf -d "$lib" | sed -n "s/.*Library soname: \[\(.*\)\]/\1/p")
echo "installed library: ${lib#"$stage/root"} (SONAME $soname)"
LD_LIBRARY_PATH=$(dirname "$lib")
export LD_LIBRARY_PATH

# C: the shared library carries its C++ runtime, so plain cc links it.
if ! nm -D --defined-only "$lib" | grep -c ' T ds_api_version$' >/dev/null; then
  echo "install_test: libdurastore.so exports no C API: c.h's declarations need DURASTORE_EXPORT"
  exit 1
fi
# shellcheck disable=SC2086  # pkg-config output is a list of flags
"$cc" -std=c11 -Wall -Wextra -Werror -o "$stage/consumer_c" "$src/consumer.c" $cflags $libs
"$stage/consumer_c" "$stage/store-c"

# shellcheck disable=SC2086
"$cxx" -std=c++20 -Wall -Wextra -Werror -o "$stage/consumer_cpp" "$src/consumer.cc" $cflags $libs
"$stage/consumer_cpp" "$stage/store-cpp"
echo "install_test: C and C++ consumers built against the installed tree and ran"

# The durastore command is installed with the library and reads the store just written.
cmd=$(find "$stage/root" -path '*/bin/durastore' -type f | head -n 1)
[ -n "$cmd" ] || { echo "install_test: the durastore command is not installed"; exit 1; }
"$cmd" stat "$stage/store-cpp" >"$stage/stat.txt" ||
  { echo "install_test: installed durastore stat failed"; cat "$stage/stat.txt"; exit 1; }
grep -q '^streams' "$stage/stat.txt" ||
  { echo "install_test: durastore stat printed no counts"; cat "$stage/stat.txt"; exit 1; }
echo "install_test: installed ${cmd#"$stage/root"} read the C++ consumer's store"
