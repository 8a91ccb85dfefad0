# Chorus server image: `chorus serve` by default; `chorus migrate --migrations /app/Migrations` applies
# the database migrations. Build with `docker build -t chorus:0.1.0 .` from the repository root.

# ---- build ------------------------------------------------------------------------------------------
FROM swift:6.1-bookworm AS build

# hiredis backs the Redis client (the CHiredis system library target, found through pkg-config).
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libhiredis-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Dependencies first, so that a change to the sources does not fetch them again. Package.resolved is
# used when present.
COPY Package.swift Package.resolved* ./
RUN swift package resolve

COPY . .
RUN swift build -c release --product chorus --static-swift-stdlib \
    && install -D -m 0755 "$(swift build -c release --show-bin-path)/chorus" /out/chorus

# ---- runtime ----------------------------------------------------------------------------------------
FROM debian:bookworm-slim

RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends libhiredis0.14 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 chorus \
    && useradd --system --uid 10001 --gid chorus --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin chorus

COPY --from=build /out/chorus /usr/local/bin/chorus
COPY Migrations/ /app/Migrations/
COPY tenants-sample/ /app/tenants-sample/

WORKDIR /app
# Numeric, so that Kubernetes can check runAsNonRoot.
USER 10001:10001

# Inside a container the server must listen on every interface.
ENV CHORUS_HTTP_HOST=0.0.0.0 \
    CHORUS_HTTP_PORT=8080
EXPOSE 8080

ENTRYPOINT ["chorus"]
CMD ["serve"]
