# syntax=docker/dockerfile:1
# tickets-pushbot: build with dev dependencies, run with production ones only.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    PUSHBOT_DB_PATH=/data/db.json
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY config.sample.json ./
# State (db.json, its backup, the generated secret key, the heartbeat) lives on a volume
# owned by the unprivileged user.
RUN mkdir -p /data && chown node:node /data && chmod 0700 /data
VOLUME /data
USER node
# The scheduler touches /data/heartbeat after every poll cycle; a stale file means a hung daemon.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
  CMD ["node", "dist/healthcheck.js"]
# The same V8 flags as `npm start`: they make V8 collect garbage sooner instead of growing the
# heap to the allocation rate (docs/benchmarks.md: at 10,000 subscriptions the peak RSS halves
# for about a third more CPU). None caps the heap, so none can make the daemon run out of memory.
# ENTRYPOINT, not CMD: arguments after the image name reach the daemon
# (`docker run IMAGE --help`, `docker run -it IMAGE check --case 01234567`).
ENTRYPOINT ["node", "--max-semi-space-size=4", "--initial-old-space-size=32", "--heap-growing-percent=25", "dist/main.js"]
CMD []
