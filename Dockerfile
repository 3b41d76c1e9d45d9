# Portcullis admission runtime. Multi-stage: compile TypeScript to JavaScript in a build stage
# (into lib/, never dist/, which `cdk8s synth` owns), install production dependencies only,
# and run as the non-root uid 65532 with `portcullis serve` as the entrypoint.
# Node 24 is the supported LTS for production (Node 20 left upstream support on 2026-04-30).
#
#   docker build -t ghcr.io/example/portcullis:0.1.0 .
#
# The image reference must match `image` in policies/ (the synthesized Deployment's image setting).

ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile constructs/ and runtime/ to lib/ (the image needs lib/runtime only) ---------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY constructs ./constructs
COPY runtime ./runtime
RUN npm run build

# ---- deps: production dependencies only ------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=peer --no-audit --no-fund --ignore-scripts && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/lib/runtime ./runtime
COPY package.json ./
RUN printf '#!/bin/sh\nexec node /app/runtime/cli/main.js "$@"\n' > /usr/local/bin/portcullis \
 && chmod 0755 /usr/local/bin/portcullis
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["portcullis"]
CMD ["serve", "--bundle", "/etc/portcullis/bundle/bundle.json", "--tls-cert", "/etc/portcullis/tls/tls.crt", "--tls-key", "/etc/portcullis/tls/tls.key", "--port", "8443"]
