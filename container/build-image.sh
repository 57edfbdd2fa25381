#!/usr/bin/env bash
# Builds the restore-agent image (container/Containerfile, FROM scratch) with podman from the
# static agent, and prints the image name last. `podman build` works on a build machine without
# a container runtime for `podman run`.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
agent=${RA_STATIC_AGENT:-$(bash "$repo/container/build-static.sh" | tail -n 1)}
version=$("$agent" version | head -n 1 | awk '{print $2}')
image=${RA_IMAGE:-localhost/restore-agent:$version}
context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
install -m 0755 "$agent" "$context/restore-agent"
cp "$repo/container/Containerfile" "$context/Containerfile"
podman build -q -t "$image" -f "$context/Containerfile" "$context" >&2
echo "$image"
