# The Stageline image that docker-compose.yml runs as `stageline-migrate`, `worker` and `api`.
# There is no build step: tsx runs the TypeScript sources directly, and tsx is a runtime dependency
# (package.json "dependencies"), so the dev tools (tsc, eslint, vitest) stay out of the image.
FROM node:20-bookworm-slim

ENV NODE_ENV=production
WORKDIR /app

# Dependencies first, so that a source change does not reinstall them. The Temporal SDK's native
# bridge ships prebuilt for linux x64 and arm64 in its npm package; nothing is compiled here.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY . .

USER node
ENTRYPOINT ["node", "cli/bin.js"]
CMD ["--help"]
