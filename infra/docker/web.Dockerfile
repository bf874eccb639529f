# syntax=docker/dockerfile:1
# The admin UI for the local prod-like stack: built with Vite, served by nginx, which also forwards /api to the
# function app and /agent and /socket.io to the agent host (one origin, as the local server has). Build from the
# repository root.
FROM node:20-bookworm-slim AS build
WORKDIR /src/static_web
COPY static_web/package.json static_web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY static_web ./
RUN npm run build

FROM nginxinc/nginx-unprivileged:1.27-alpine
COPY infra/docker/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /src/static_web/dist /usr/share/nginx/html
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
