#!/usr/bin/env bash
# `make client-example`: installs the client library (`cmake --install`) into
# a prefix, builds client/examples as a CMake project of its own against the
# installed package (find_package(DefiFundrDataClient)), builds the same
# program once more with the installed pkg-config file, and runs both
# against a live server over a fresh, seeded database; then the Go example
# (client/examples/go) if scripts/proto_go.sh built it. Fails if any step
# does. Needs a built tree (scripts/build.sh) and PostgreSQL (scripts/pg.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${BUILD_DIR:-$ROOT/build}"
PREFIX="${CLIENT_PREFIX:-$BUILD/client-install}"
EXAMPLE_BUILD="$BUILD/client-example"
# shellcheck source=scripts/live_server.sh
. "$ROOT/scripts/live_server.sh"

rm -rf "$PREFIX" "$EXAMPLE_BUILD"
cmake --install "$BUILD" --prefix "$PREFIX" >/dev/null
echo "client-example: installed into $PREFIX"

cmake -S client/examples -B "$EXAMPLE_BUILD" -G Ninja \
  -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$EXAMPLE_BUILD" >/dev/null
echo "client-example: built with find_package(DefiFundrDataClient)"

PC_DIR="$(dirname "$(find "$PREFIX" -name defifundr-data-client.pc | head -1)")"
# shellcheck disable=SC2046
c++ -std=c++20 -O1 client/examples/main.cc -o "$EXAMPLE_BUILD/defifundr-client-example-pkgconfig" \
  $(PKG_CONFIG_PATH="$PC_DIR" pkg-config --cflags --libs defifundr-data-client)
echo "client-example: built with pkg-config defifundr-data-client"

live_server_start client_example 10
"$EXAMPLE_BUILD/defifundr-client-example" "$LIVE_TARGET"
"$EXAMPLE_BUILD/defifundr-client-example-pkgconfig" "$LIVE_TARGET" >/dev/null
echo "client-example: both builds ran OK against $LIVE_TARGET"
# The Go example, when scripts/proto_go.sh has built it: Go stubs generated
# from our .proto files, calling the same server.
GO_EXAMPLE="${PROTO_GO_OUT:-$BUILD/proto-go}/bin/defifundr-data-go-example"
if [ -x "$GO_EXAMPLE" ]; then
  "$GO_EXAMPLE" -target "$LIVE_TARGET" | tail -1
  echo "client-example: the Go example ran OK against $LIVE_TARGET"
fi
