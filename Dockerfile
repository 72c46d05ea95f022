# syntax=docker/dockerfile:1

# ---- build: compile TypeScript and native modules, then drop dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app

# better-sqlite3 falls back to compiling from source with node-gyp.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

COPY package.json package-lock.json ./
RUN npm ci

COPY tsconfig.json ormconfig.ts ./
COPY scripts/build.js scripts/build-console.js ./scripts/
COPY src ./src
# The admin console and the typed client it imports; Vite (a dev dependency) builds the console
# into dist/console, which the server serves at /admin.
COPY console ./console
COPY clients ./clients
# scripts/build.js (SWC, no type check: CI runs `npm run typecheck`): emits to dist/, entry
# dist/src/main.js, the layout of tsc with rootDir "."; then scripts/build-console.js (Vite, and
# the console's 250 kB gzipped budget), before the dev dependencies go.
RUN npm run build \
 && npm prune --omit=dev

# ---- runtime: production dependencies and compiled output only, as the node user ----
FROM node:20-bookworm-slim AS runtime
WORKDIR /app

ENV NODE_ENV=production \
    PORT=3000 \
    SQLITE_PATH=/app/data/latchkey.sqlite

COPY --from=build /app/node_modules ./node_modules
# dist/console (the admin console) comes with the rest of dist/.
COPY --from=build /app/dist ./dist
COPY --from=build /app/package.json ./package.json

# The writable places: the SQLite file, used when DATABASE_URL is not set; and the keys folder,
# where `keys init` writes the installation's keys (KEYS_DIR). A named volume mounted there takes
# this owner and mode (0700) when it is new, so the node user can write the keys and no one else
# can read them.
RUN mkdir -p /app/data /app/keys && chown node:node /app/data /app/keys && chmod 700 /app/keys

USER node
EXPOSE 3000

# The slim image has no curl: ask node itself (global fetch, Node 20).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

CMD ["node", "dist/src/main.js"]
