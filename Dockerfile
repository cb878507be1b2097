# The glomers dashboard image (docker-compose.yml's `dashboard` service): the workspace is
# built with cargo in the Rust image, and only the `dashboard` binary goes into a slim Debian
# image of the same release (same glibc). Checked by dashboard/tests/compose_stack.rs.

FROM rust:1-slim-bookworm AS build
WORKDIR /src
# Cargo loads the whole workspace, so every member is copied.
COPY Cargo.toml Cargo.lock ./
COPY model model
COPY node node
COPY harness harness
COPY dashboard dashboard
RUN cargo build --release --locked -p glomers-dashboard --bin dashboard

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin glomers \
    && mkdir -p /data /store \
    && chown glomers /data
COPY --from=build /src/target/release/dashboard /usr/local/bin/dashboard
USER glomers
WORKDIR /data
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/dashboard"]
CMD ["--store", "/store", "--listen", "0.0.0.0:8080", "--db", "/data/glomers-dashboard.sqlite"]
