# The api7-sync pull-request bot (a GitHub App), from a checkout of a release tag:
#   docker build -t api7-sync-bot:1.0.0 .
#   docker run --env-file bot.env -p 3000:3000 api7-sync-bot:1.0.0
# The image holds the same tarball a release ships (`npm pack`, dependencies inside), installed
# globally; it runs as the unprivileged `node` user. Secrets come from the platform at run time
# (environment variables, or a mounted key file with PRIVATE_KEY_PATH), never from the image.
# Every variable: docs/bot-operations.md.

# Node.js 24 is an LTS line the package declares and the Action runs on; set NODE_VERSION to
# move to a newer LTS line once CI tests it.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Scripts are off: the build below is the only one needed, and no dependency's install script
# runs in the image.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm run build && node scripts/pack-release.mjs --no-build --out /tmp/release \
  && mv /tmp/release/api7-sync-*.tgz /tmp/api7-sync.tgz

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
COPY --from=build /tmp/api7-sync.tgz /tmp/api7-sync.tgz
# The tarball carries its dependencies: the install reads no registry.
RUN npm install --global --offline --no-audit --no-fund /tmp/api7-sync.tgz \
  && rm /tmp/api7-sync.tgz && npm cache clean --force
WORKDIR /home/node
USER node
EXPOSE 3000
# /healthz answers 200 once the bot listens; the check asks the port the bot was given.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop) lets the bot finish the jobs it started; give it time (docker stop -t 60).
CMD ["api7-sync", "bot"]
