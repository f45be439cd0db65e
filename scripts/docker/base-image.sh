#!/usr/bin/env bash
# Assembles a local stand-in for an official `node:<lts>-slim` image from this machine's own
# Node.js, for machines that reach no image registry (CI here). Prints the image name.
#
#   scripts/docker/base-image.sh [IMAGE_NAME]
#
# The image has what the Dockerfile's stages use and nothing else:
#   - this machine's `node` at /usr/local/bin/node and npm at /usr/local/lib/node_modules/npm
#     (the paths of the official images), with the shared libraries `ldd` names;
#   - /bin/sh, /usr/bin/env (npm's shebang) and the few tools the Dockerfile's RUN steps call,
#     all of which a Debian slim image has: sed, mkdir, chown, ln, tar, gzip;
#   - the machine's npm registry access exactly as the machine has it: the CA bundle that
#     NODE_EXTRA_CA_CERTS names (same path, same variable) and npm's global config carrying
#     `cafile` (and `registry` when it is not the default). The Dockerfile itself knows nothing
#     of these: with an official base image they simply are not there.
# Needs buildah; storage driver vfs unless STORAGE_DRIVER says otherwise.
set -euo pipefail

image="${1:-localhost/source-kaltura-node-base:$(node -p 'process.versions.node')}"
buildah() { command buildah --storage-driver "${STORAGE_DRIVER:-vfs}" "$@"; }

node_bin="$(readlink -f "$(command -v node)")"
npm_dir="$(cd "$(dirname "$(readlink -f "$(command -v npm)")")/.." && pwd -P)" # .../node_modules/npm
[ -f "$npm_dir/package.json" ] || { echo "base-image: npm not found beside $npm_dir" >&2; exit 1; }

root="$(mktemp -d "${TMPDIR:-/tmp}/source-kaltura-base.XXXXXX")"
trap 'rm -rf "$root"' EXIT

# Merged /usr, as in Debian 12 and the official images.
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib" "$root/usr/lib64" "$root/usr/local/bin" \
  "$root/usr/local/lib/node_modules" "$root/usr/local/etc" "$root/etc" "$root/root" "$root/tmp" \
  "$root/var/tmp" "$root/dev" "$root/proc" "$root/sys" "$root/run"
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 700 "$root/root"

# Copies a file to the same path under $root (its real path, plus the symlink chain that leads
# there), then the shared libraries it needs.
copy_path() {
  local path="$1" dest="${2:-$1}" real
  real="$(readlink -f "$path")"
  mkdir -p "$root$(dirname "$dest")"
  cp -L --preserve=mode "$real" "$root$dest"
}
copy_libs() {
  local lib
  # ldd prints "name => /path (addr)" or "/path (addr)" for the loader; vdso has no file.
  for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'); do
    [ -e "$root$lib" ] || copy_path "$lib"
  done
}

copy_path "$node_bin" /usr/local/bin/node
copy_libs "$node_bin"

for tool in sh env sed mkdir chown ln tar gzip; do
  src="$(command -v "$tool")"
  case "$tool" in
    sh) # keep sh -> dash (or whatever the machine's sh is) as a link, like Debian
      real="$(readlink -f "$src")"
      copy_path "$real"
      [ "$real" = /usr/bin/sh ] || ln -sf "$(basename "$real")" "$root/usr/bin/sh" ;;
    *) copy_path "$src" "/usr/bin/$tool" ;;
  esac
  copy_libs "$(readlink -f "$src")"
done

cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"

cat > "$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat > "$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"

# The machine's npm registry access: the CA bundle and npm's settings for it.
npm_cfg() { npm config get "$1" 2>/dev/null; }
env_args=()
ca_bundle="${NODE_EXTRA_CA_CERTS:-}"
if [ -n "$ca_bundle" ]; then
  [ -f "$ca_bundle" ] || { echo "base-image: NODE_EXTRA_CA_CERTS names $ca_bundle, which does not exist" >&2; exit 1; }
  copy_path "$ca_bundle"
  env_args+=(--env "NODE_EXTRA_CA_CERTS=$ca_bundle")
fi
npmrc="$root/usr/local/etc/npmrc" # npm's global config for the prefix /usr/local
global_cfg="$(npm_cfg globalconfig)"
if [ -f "$global_cfg" ]; then cp "$global_cfg" "$npmrc"; else : > "$npmrc"; fi
cafile="$(npm_cfg cafile)"
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ "$cafile" != undefined ]; then
  [ -e "$root$cafile" ] || copy_path "$cafile"
  grep -q '^cafile=' "$npmrc" || printf 'cafile=%s\n' "$cafile" >> "$npmrc"
fi
registry="$(npm_cfg registry)"
if [ -n "$registry" ] && [ "$registry" != "https://registry.npmjs.org/" ]; then
  grep -q '^registry=' "$npmrc" || printf 'registry=%s\n' "$registry" >> "$npmrc"
fi

ctr="$(buildah from scratch)"
cleanup() { buildah rm "$ctr" >/dev/null 2>&1 || true; rm -rf "$root"; }
trap cleanup EXIT
buildah copy --quiet "$ctr" "$root" / >/dev/null
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env "NODE_VERSION=$(node -p 'process.versions.node')" \
  "${env_args[@]}" \
  --cmd node \
  --label "org.opencontainers.image.description=local stand-in for node:slim, assembled from the build machine's Node.js" \
  "$ctr"
buildah commit --quiet --rm "$ctr" "$image" >/dev/null
trap 'rm -rf "$root"' EXIT
echo "$image"
