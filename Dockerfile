# source-kaltura as an Airbyte source image.
#
#   docker build -t airbyte/source-kaltura:0.1.0 .        (or: buildah bud -t ... .)
#
# The labels io.airbyte.name and io.airbyte.version come from CONNECTOR_NAME and CONNECTOR_VERSION,
# whose defaults below are package.json's name and version (`npm version` keeps them in step;
# test/package/metadata.test.ts fails when they drift). `--build-arg` may still override them, but
# the build fails when they disagree with package.json, so a label can never drift from the package.
#
# BASE_IMAGE: any image with `node` (an LTS release) and npm on the PATH, /bin/sh and the usual
# sed, mkdir, chown, ln, tar and gzip: the official slim images have them all.
ARG BASE_IMAGE=node:24-slim
ARG CONNECTOR_NAME=airbyte/source-kaltura
ARG CONNECTOR_VERSION=0.1.0

# ---- build: dev dependencies, TypeScript, then the npm package's files with production dependencies
FROM ${BASE_IMAGE} AS build
ARG CONNECTOR_NAME
ARG CONNECTOR_VERSION
WORKDIR /build
COPY package.json package-lock.json ./
COPY scripts/docker/check-build-args.mjs ./scripts/docker/
RUN node scripts/docker/check-build-args.mjs
RUN npm ci --ignore-scripts --no-audit --no-fund --no-update-notifier
COPY tsconfig.json ./
COPY scripts/gen-types.mjs ./scripts/
COPY spec/ ./spec/
COPY schemas/ ./schemas/
COPY connector/ ./connector/
RUN npm run build --no-update-notifier
# Exactly what `npm pack` ships (package.json "files"), which test/package/ proves is enough to run.
RUN mkdir -p /tmp/pack /app \
 && npm pack --ignore-scripts --pack-destination /tmp/pack \
 && tar -xzf /tmp/pack/*.tgz -C /app --strip-components=1 --no-same-owner
WORKDIR /app
COPY package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier

# ---- runtime: node, the package and its production dependencies; no compiler, no npm cache
FROM ${BASE_IMAGE}
ARG CONNECTOR_NAME
ARG CONNECTOR_VERSION
# Airbyte runs connector containers as uid/gid 1000. The official node images call that user
# "node": it becomes "airbyte", whose home /airbyte is the connector's writable directory.
ARG AIRBYTE_UID=1000
RUN set -eu; \
    [ -x /usr/local/bin/node ] || ln -s "$(command -v node)" /usr/local/bin/node; \
    for f in /etc/passwd /etc/group; do \
      sed -i -e '/^airbyte:/d' -e "/^[^:]*:[^:]*:${AIRBYTE_UID}:/d" "$f"; \
    done; \
    echo "airbyte:x:${AIRBYTE_UID}:${AIRBYTE_UID}:Airbyte connector:/airbyte:/usr/sbin/nologin" >> /etc/passwd; \
    echo "airbyte:x:${AIRBYTE_UID}:" >> /etc/group; \
    mkdir -p /airbyte; \
    chown "${AIRBYTE_UID}:${AIRBYTE_UID}" /airbyte
# Owned by root: the connector can read its own code but not change it.
COPY --from=build /app/ /airbyte/integration_code/

ENV NODE_ENV=production
# The connector's live set is about 60 MB (a page per reader); without caps V8 lets garbage grow
# the heap, and the young generation to 32 MB, before collecting. These keep peak RSS well under
# 200 MB at no measured CPU cost (see BENCHMARKS.md). Given here, they also spare the entrypoint
# its relaunch under the same caps (connector/util/heapCaps.ts): one process in the container.
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8"
ENV AIRBYTE_ENTRYPOINT="/usr/local/bin/node /airbyte/integration_code/connector/index.js"
ENTRYPOINT ["/usr/local/bin/node", "/airbyte/integration_code/connector/index.js"]
WORKDIR /airbyte
USER airbyte

LABEL io.airbyte.name="${CONNECTOR_NAME}" \
      io.airbyte.version="${CONNECTOR_VERSION}" \
      org.opencontainers.image.title="source-kaltura" \
      org.opencontainers.image.description="Airbyte source for Kaltura metadata" \
      org.opencontainers.image.version="${CONNECTOR_VERSION}" \
      org.opencontainers.image.licenses="MIT"
