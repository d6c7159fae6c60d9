# The CONNECT sample web app: a static Go binary in a distroless image that
# has no shell and runs as a non-root user.
#
#     docker build -t connect-sample .
#     docker run --rm -p 8081:8081 -p 127.0.0.1:8082:8082 -e LOCAL_CONNECT_LISTEN=:8082 connect-sample
#
# (docker compose up does this and adds Redis.)

# --- build -----------------------------------------------------------------
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Modules first, in a layer of their own, so editing code does not download
# them again.
COPY go.mod go.sum ./
RUN go mod download

COPY . .
# The same flags as .ci/run's go_build_flags (compose_test.go checks), so CI
# builds exactly what the image ships. CGO off makes the binary static, which
# the distroless static image needs.
RUN --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/connect-sample .

# --- run -------------------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/connect-sample /connect-sample

# No APP_LISTEN here: the app's default, :8081 or :$PORT when the platform
# sets PORT, already listens on every interface (inside a container,
# localhost is unreachable from outside), and an ENV would hide PORT from
# the platforms that route only to it. The local CONNECT stand-in stays on
# the container's own loopback unless LOCAL_CONNECT_LISTEN says otherwise
# (docker-compose.yml sets it, and publishes it on the host's loopback only).
USER nonroot:nonroot
EXPOSE 8081 8082

# No shell or curl in the image: the binary checks its own /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["/connect-sample","healthcheck"]
ENTRYPOINT ["/connect-sample"]
