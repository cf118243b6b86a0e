#!/usr/bin/env bash
# `make proto-go`: Go stubs of the API, generated from proto/ with
# protoc-gen-go and protoc-gen-go-grpc (Debian packages), then compiled -
# with the Go example client (client/examples/go) - against Debian's Go
# gRPC and protobuf packages, offline, in GOPATH mode.
#
# Output: $PROTO_GO_OUT (default $BUILD_DIR/proto-go, build/proto-go), a GOPATH whose
# src/github.com/demola234/defifundr/data/v1 holds the package `datav1`
# (go_package of every file in proto/defifundr/data/v1). grpc/health is not
# generated: Go services use google.golang.org/grpc/health/grpc_health_v1.
# Exits non-zero if generation or compilation fails.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="${PROTO_GO_OUT:-${BUILD_DIR:-$ROOT/build}/proto-go}"

for tool in protoc protoc-gen-go protoc-gen-go-grpc go; do
  command -v "$tool" >/dev/null || { echo "proto-go: $tool not found (scripts/deps.sh installs it)" >&2; exit 1; }
done

rm -rf "$OUT/src" "$OUT/bin"
mkdir -p "$OUT/src" "$OUT/bin"
mapfile -t PROTOS < <(cd proto && find defifundr/data/v1 -name '*.proto' | sort)
protoc --proto_path=proto --go_out="$OUT/src" --go-grpc_out="$OUT/src" "${PROTOS[@]}"
PKG=github.com/demola234/defifundr/data/v1
echo "proto-go: generated $(ls "$OUT/src/$PKG" | wc -l) files into $OUT/src/$PKG"

# The example client, as a package of that GOPATH.
EXAMPLE=defifundr-data-go-example
mkdir -p "$OUT/src/$EXAMPLE"
cp client/examples/go/main.go "$OUT/src/$EXAMPLE/"

export GO111MODULE=off GOFLAGS= GOPROXY=off
export GOPATH="$OUT:/usr/share/gocode"
export GOCACHE="${GOCACHE:-$OUT/cache}"
cd "$OUT"
go vet "$PKG" "$EXAMPLE"
go build -o "$OUT/bin/$EXAMPLE" "$EXAMPLE"
echo "proto-go: $PKG and $EXAMPLE compile (go $(go env GOVERSION))"
