# One image for every role; the command picks it: write-api, read-api, relay, projector, operator, or a CLI task.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN npx tsc -p tsconfig.build.json && npx vite build --config web/vite.config.mts && npm prune --omit=dev --no-audit --no-fund --loglevel=error

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# read-api serves the web app from here (README, "Web app").
COPY --from=build /app/web/dist ./web/dist
COPY --from=build /app/bin/couponkill.js ./bin/couponkill.js
USER 1000:1000
ENTRYPOINT ["node", "bin/couponkill.js"]
CMD ["--help"]
