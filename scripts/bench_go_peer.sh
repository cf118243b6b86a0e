#!/usr/bin/env bash
# Builds the Go benchmark peer (tests/bench/go_peer: the grpc-go + pgx v4
# data path this service replaces; see the comment at the top of its
# main.go) offline, in GOPATH mode, against Debian's Go packages, as
# scripts/proto_go.sh builds the Go stubs; runs scripts/proto_go.sh first
# when the stubs are missing.
#
# Output: $OUT/bin/defifundr-data-go-peer, with OUT = $PROTO_GO_OUT, else
# $BUILD_DIR/proto-go, else build/proto-go. The binary's path is the last
# line of stdout. Exits non-zero if the build or `go vet` fails. Run it with
#   defifundr-data-go-peer -listen 127.0.0.1:50061 -database_url URI -pool_size 10
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="${PROTO_GO_OUT:-${BUILD_DIR:-$ROOT/build}/proto-go}"
PKG=github.com/demola234/defifundr/data/v1
PEER=defifundr-data-go-peer

command -v go >/dev/null || { echo "bench-go-peer: go not found (scripts/deps.sh installs it)" >&2; exit 1; }

if ! compgen -G "$OUT/src/$PKG/*_grpc.pb.go" >/dev/null; then
  # proto_go.sh's own progress lines go to stderr: stdout ends with the path.
  PROTO_GO_OUT="$OUT" "$ROOT/scripts/proto_go.sh" >&2
fi

rm -rf "${OUT:?}/src/$PEER"
mkdir -p "$OUT/src/$PEER" "$OUT/bin"
cp tests/bench/go_peer/main.go "$OUT/src/$PEER/"

export GO111MODULE=off GOFLAGS= GOPROXY=off
export GOPATH="$OUT:/usr/share/gocode"
export GOCACHE="${GOCACHE:-$OUT/cache}"
cd "$OUT"
go vet "$PEER" >&2
go build -o "$OUT/bin/$PEER" "$PEER" >&2
echo "$OUT/bin/$PEER"
