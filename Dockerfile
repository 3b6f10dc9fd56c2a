# syntax=docker/dockerfile:1
# The kit, standalone: `docker build -t polar-checkout-kit .` then
#   docker run -p 8000:8000 -v polar-kit-data:/app/data --env-file .env polar-checkout-kit
# Set POLAR_ACCESS_TOKEN, POLAR_WEBHOOK_SECRET, PUBLIC_URL, KIT_ADMIN_TOKEN and KIT_ALLOWED_ORIGINS (see README).

# Build stage: the toolchain better-sqlite3 compiles with (when no prebuilt binary fits), the widget and demo
# builds (dist/), then only the production dependencies are kept.
FROM node:20-bookworm AS build
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: the same Debian release (so the native module fits), no compilers, a non-root user.
FROM node:20-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATABASE_PATH=/app/data/kit.sqlite \
    LOG_LEVEL=info \
    DEMO_EMBED_PORT=off
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/tsconfig.json /app/tsconfig.base.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/cli ./cli
COPY --from=build --chown=node:node /app/server ./server
COPY --from=build --chown=node:node /app/contract ./contract
COPY --from=build --chown=node:node /app/emulator ./emulator
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/demo/templates ./demo/templates
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME /app/data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "bin/polar-kit.js", "start"]
