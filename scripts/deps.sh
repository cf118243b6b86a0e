#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the local database
# need; installs nothing when all are present. Safe to run repeatedly.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libpq-dev libssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # Prometheus metrics (its pull library serves HTTP with civetweb), and the
  # Prometheus text parser the metrics test checks the output with.
  prometheus-cpp-dev python3-prometheus-client
  postgresql-15 postgresql-client-15
  # The tests behind a transaction-mode pooler.
  pgbouncer
  # make proto-go: Go stubs, compiled offline against Debian's Go packages.
  golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev
  golang-github-golang-protobuf-1-5-dev
  # make bench: the Go peer's pgx pool; pgbench (postgresql-client-15).
  golang-github-jackc-pgx-v4-dev
)
# The reflection test's Node.js client: Debian's nodejs and npm, unless a
# Node.js is installed already (from another source).
command -v node >/dev/null && command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# The server package must not start a cluster of its own: we run a
# throwaway one under the repository (scripts/pg.sh).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
