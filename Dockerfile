# syntax=docker/dockerfile:1
# One image for the API, the worker, the consumers, the payment sandbox and the migrate/seed job (the command picks
# the process). Multi-stage: the build stage compiles to dist/ (npm run build: tsc + the pre-bundled workflow code),
# the runtime stage has production dependencies only and runs plain `node` as the unprivileged `node` user.
ARG NODE_IMAGE=node:24-bookworm-slim

# All dependencies (the build needs TypeScript and the Temporal bundler); patches/ before npm ci: postinstall
# applies them (patch-package).
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Production dependencies only, from the same lock.
FROM ${NODE_IMAGE} AS prod-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Code and dependencies stay owned by root (read-only to the process); only the data directory is the user's.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
RUN mkdir -p /app/dist/.data && chown node:node /app/dist/.data
USER node
EXPOSE 8080
# The API's liveness endpoint (the worker and consumers services override it in docker-compose.yml / the chart).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.APP_SERVER__PORT||8080)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/api/main.js"]
