#!/usr/bin/env bash
# Builds the connector's Airbyte image the plain way (`docker build -t TAG .` or `buildah bud`):
# no build arguments for the labels, which are the Dockerfile's defaults (package.json's name and
# version; the build fails if they drifted).
#
#   scripts/docker/build.sh [TAG]            (npm run docker:build -- [TAG])
#
# TAG defaults to airbyte/<name>:<version> from package.json. Environment:
#   BUILDER        docker or buildah; default docker when a Docker daemon answers, else buildah
#   BASE_IMAGE     passed on as the Dockerfile's BASE_IMAGE (default there: an official Node LTS slim image)
#   STORAGE_DRIVER buildah's storage driver (default vfs, which works without kernel overlay support)
set -euo pipefail
cd "$(dirname "$0")/../.."

name="airbyte/$(node -p "require('./package.json').name")"
version="$(node -p "require('./package.json').version")"
tag="${1:-$name:$version}"

args=(-t "$tag")
if [ -n "${BASE_IMAGE:-}" ]; then args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE"); fi

builder="${BUILDER:-}"
if [ -z "$builder" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then builder=docker
  elif command -v buildah >/dev/null 2>&1; then builder=buildah
  else echo "build: neither a Docker daemon nor buildah is available (apt-get install buildah)" >&2; exit 1
  fi
fi

echo "build: $builder, image $tag (labels from the Dockerfile's defaults: $name $version${BASE_IMAGE:+; base $BASE_IMAGE})" >&2
case "$builder" in
  docker) docker build "${args[@]}" . ;;
  # chroot isolation and the host's network: no daemon, no user namespaces, and RUN npm ci reaches
  # the registry the way this machine does. --layers=false: only the final image is stored.
  buildah) buildah --storage-driver "${STORAGE_DRIVER:-vfs}" build --isolation chroot --network host --layers=false "${args[@]}" . ;;
  *) echo "build: unknown BUILDER $builder" >&2; exit 1 ;;
esac
