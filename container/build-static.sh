#!/usr/bin/env bash
# Builds a fully static restore-agent (and restore-launcher, for any Linux host) on a fresh
# Debian 12 machine and prints the agent's path last.
#
# Debian's static libpq.a needs GSSAPI and LDAP, and its libmariadb.a needs GnuTLS, which have
# no static libraries in Debian. So libpq (with libpgcommon/libpgport) and MariaDB Connector/C
# (the libmariadb folder of the mariadb source) are built here from Debian's own source
# packages, with OpenSSL, without GSSAPI/LDAP, and with every client auth plugin compiled in.
# ISA-L (the gzip stage) has no static library in Debian either: built from Debian's libisal
# source with nasm. OpenSSL, zlib, hiredis and the C++ runtime are linked statically from
# Debian's packages.
# The built libraries are cached (RA_STATIC_CACHE, default build-static/deps): a rebuild of the
# agent takes seconds.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${RA_STATIC_CACHE:-$repo/build-static/deps}
out=${RA_STATIC_BUILD:-$repo/build-static/agent}
jobs=$(nproc)
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
log() { echo "build-static: $*" >&2; }

bash "$repo/container/install-deps.sh" >&2
tools=(dpkg-dev file libssl-dev zlib1g-dev libhiredis-dev bison flex nasm)
missing=()
for p in "${tools[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_update=0
if [ ! -e /etc/apt/sources.list.d/restore-agent-src.sources ]; then
  log "adding deb-src entries for Debian 12"
  "${sudo[@]}" tee /etc/apt/sources.list.d/restore-agent-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  need_update=1
fi
if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
  "${sudo[@]}" apt-get update -qq >&2
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >&2
fi

# Downloads and unpacks a source package: the newest version apt can actually fetch (a mirror
# may list a version whose files it does not serve).
fetch_source() {
  local pkg=$1 dir=$2
  mkdir -p "$dir"
  if ls "$dir"/"$pkg"*.dsc >/dev/null 2>&1; then return 0; fi
  local v
  for v in $(apt-cache showsrc "$pkg" | awk '/^Version:/{print $2}' | sort -Vr | uniq); do
    log "fetching source $pkg=$v"
    if (cd "$dir" && apt-get source --download-only -qq "$pkg=$v" >&2 2>/dev/null) &&
       ls "$dir"/"$pkg"*.dsc >/dev/null 2>&1; then
      return 0
    fi
    rm -f "$dir"/"$pkg"_*
  done
  log "no version of source package $pkg could be downloaded"
  return 1
}

unpack() {  # unpack DSC_DIR PKG -> prints the unpacked folder
  local dir=$1 pkg=$2 dsc
  dsc=$(ls "$dir"/"$pkg"_*.dsc | head -n 1)
  local target="$dir/src-$pkg"
  if [ ! -d "$target" ]; then
    (cd "$dir" && dpkg-source --no-check -x "$dsc" "$target" >&2)
  fi
  echo "$target"
}

mkdir -p "$cache"
# libpq
if [ ! -f "$cache/pg/lib/libpq.a" ]; then
  fetch_source postgresql-15 "$cache/sources"
  src=$(unpack "$cache/sources" postgresql-15)
  log "building libpq from $src"
  (cd "$src" &&
   CFLAGS="-O2 -fPIC" ./configure --prefix="$cache/pg" --with-ssl=openssl --without-gssapi \
     --without-ldap --without-readline --without-icu --without-zlib --without-llvm \
     --disable-rpath >&2 &&
   make -s -j"$jobs" -C src/include >&2 && make -s -j"$jobs" -C src/common >&2 &&
   make -s -j"$jobs" -C src/port >&2 && make -s -j"$jobs" -C src/interfaces/libpq >&2 &&
   make -s -C src/include install >&2 && make -s -C src/interfaces/libpq install >&2 &&
   cp src/common/libpgcommon_shlib.a src/port/libpgport_shlib.a "$cache/pg/lib/")
fi
# MariaDB Connector/C
if [ ! -f "$cache/mariadb/lib/mariadb/libmariadbclient.a" ]; then
  fetch_source mariadb "$cache/sources"
  src=$(unpack "$cache/sources" mariadb)
  log "building MariaDB Connector/C from $src/libmariadb"
  cmake -S "$src/libmariadb" -B "$cache/build-mariadb" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$cache/mariadb" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
    -DCMAKE_COMPILE_WARNING_AS_ERROR=OFF \
    -DWITH_SSL=OPENSSL -DWITH_UNIT_TESTS=OFF -DWITH_CURL=OFF -DWITH_EXTERNAL_ZLIB=ON \
    -DCLIENT_PLUGIN_CACHING_SHA2_PASSWORD=STATIC -DCLIENT_PLUGIN_SHA256_PASSWORD=STATIC \
    -DCLIENT_PLUGIN_CLIENT_ED25519=STATIC -DCLIENT_PLUGIN_DIALOG=STATIC \
    -DCLIENT_PLUGIN_MYSQL_CLEAR_PASSWORD=STATIC -DCLIENT_PLUGIN_MYSQL_OLD_PASSWORD=OFF \
    -DCLIENT_PLUGIN_AUTH_GSSAPI_CLIENT=OFF -DCLIENT_PLUGIN_REMOTE_IO=OFF \
    -DCLIENT_PLUGIN_PVIO_NPIPE=OFF -DCLIENT_PLUGIN_PVIO_SHMEM=OFF >&2
  cmake --build "$cache/build-mariadb" -j"$jobs" --target mariadbclient >&2
  # The install rules expect the shared library too: copy what the static link needs.
  mkdir -p "$cache/mariadb/include/mariadb/mysql" "$cache/mariadb/lib/mariadb"
  cp "$src"/libmariadb/include/*.h "$cache/build-mariadb"/include/*.h "$cache/mariadb/include/mariadb/"
  cp "$src"/libmariadb/include/mysql/*.h "$cache/mariadb/include/mariadb/mysql/"
  cp "$cache/build-mariadb/libmariadb/libmariadbclient.a" "$cache/mariadb/lib/mariadb/"
fi

# ISA-L
if [ ! -f "$cache/isal/lib/libisal.a" ]; then
  fetch_source libisal "$cache/sources"
  src=$(unpack "$cache/sources" libisal)
  log "building ISA-L from $src"
  make -s -C "$src" -f Makefile.unx -j"$jobs" lib >&2
  mkdir -p "$cache/isal/lib" "$cache/isal/include/isa-l"
  cp "$src/bin/isa-l.a" "$cache/isal/lib/libisal.a"
  cp "$src"/include/*.h "$cache/isal/include/isa-l/"
fi

log "building the static agent"
cmake -S "$repo" -B "$out" -DRA_STATIC=ON -DRA_STATIC_DEPS="$cache" -DCMAKE_BUILD_TYPE=MinSizeRel >&2
cmake --build "$out" -j"$jobs" --target restore-agent restore-launcher >&2
for exe in restore-agent restore-launcher; do
  file "$out/$exe" | grep -q "statically linked" || { log "$exe is not statically linked"; exit 1; }
done
echo "$out/restore-agent"
