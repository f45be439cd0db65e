#!/usr/bin/env bash
# The image test (npm run test:docker; CI runs it after the main suite). It
#   1. assembles a local base image from this machine's Node.js (no image registry is reachable
#      here; scripts/docker/base-image.sh), unless BASE_IMAGE names one already;
#   2. builds the connector image on it for real with buildah (vfs storage, chroot isolation);
#   3. reports the build time and the image's size, layer by layer;
#   4. runs the image's entrypoint (spec, check, discover, read) against the Kaltura emulator on
#      loopback, config and catalog mounted under /airbyte, and validates every message against
#      the Airbyte protocol schema (scripts/docker/image.test.ts).
# Expects the TypeScript build in dist/ (npm run test:docker builds first). Environment:
#   IMAGE (default localhost/source-kaltura:test-<pid>), BASE_IMAGE, STORAGE_DRIVER (default vfs),
#   KEEP_IMAGES=1 to keep the images afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v buildah >/dev/null 2>&1; then
  echo "test:docker needs buildah: apt-get update && apt-get install -y buildah" >&2
  exit 1
fi
[ -f dist/scripts/docker/image.test.js ] || { echo "test:docker: run npm run build first" >&2; exit 1; }

export STORAGE_DRIVER="${STORAGE_DRIVER:-vfs}"
# Tags of this run only, so that two runs on one machine never remove each other's images.
export IMAGE="${IMAGE:-localhost/source-kaltura:test-$$}"
bh() { buildah --storage-driver "$STORAGE_DRIVER" "$@"; }

# Working containers that a killed earlier run left behind (named after its test process, which
# is gone); they would keep that run's images alive.
for ctr in $(bh containers --all --noheading --format '{{.ContainerName}}' 2>/dev/null | grep '^source-kaltura-image-test-[0-9]*$' || true); do
  kill -0 "${ctr##*-}" 2>/dev/null || bh rm "$ctr" >/dev/null 2>&1 || true
done

made_base=""
cleanup() {
  if [ "${KEEP_IMAGES:-}" != 1 ]; then
    bh rmi "$IMAGE" >/dev/null 2>&1 || true
    if [ -n "$made_base" ]; then bh rmi "$made_base" >/dev/null 2>&1 || true; fi
  fi
}
trap cleanup EXIT

t0=$SECONDS
if [ -z "${BASE_IMAGE:-}" ]; then
  BASE_IMAGE="$(bash scripts/docker/base-image.sh "localhost/source-kaltura-node-base:$(node -p 'process.versions.node')-test-$$")"
  made_base="$BASE_IMAGE"
  echo "# base image $BASE_IMAGE assembled from $(command -v node) in $((SECONDS - t0)) s"
fi
export BASE_IMAGE

t1=$SECONDS
log="$(mktemp)"
if ! BUILDER=buildah bash scripts/docker/build.sh "$IMAGE" >"$log" 2>&1; then
  cat "$log"
  echo "test:docker: the image build failed (log above)" >&2
  exit 1
fi
build_s=$((SECONDS - t1))
rm -f "$log"

# Sizes as a registry would hold them: each layer uncompressed and gzip-compressed.
sizes="$(mktemp -d)"
bh push --quiet --disable-compression "$IMAGE" "dir:$sizes/raw" >/dev/null
bh push --quiet "$IMAGE" "dir:$sizes/gz" >/dev/null
node -e '
  const fs = require("fs");
  const [dir, build, image, base] = process.argv.slice(1);
  const layers = (d) => JSON.parse(fs.readFileSync(`${dir}/${d}/manifest.json`, "utf8")).layers.map((l) => l.size);
  const raw = layers("raw"), gz = layers("gz");
  const mb = (n) => (n / 1e6).toFixed(1) + " MB";
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  console.log(`# image ${image} built in ${build} s on ${base}`);
  console.log(`# image size ${mb(sum(raw))} uncompressed, ${mb(sum(gz))} gzip; the connector layer on top of the base: ${mb(raw.at(-1))} uncompressed, ${mb(gz.at(-1))} gzip`);
' "$sizes" "$build_s" "$IMAGE" "$BASE_IMAGE"
rm -rf "$sizes"

node --test --test-concurrency=1 --test-reporter=./dist/test/helpers/reporter.js dist/scripts/docker/
