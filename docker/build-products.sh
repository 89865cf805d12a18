#!/usr/bin/env bash
# Builds every product the image ships, one `swift build` per product (several --product flags to one build make
# only the last), and copies the binaries with their resource bundles (migrations, OpenAPI documents, texts) into
# OUT. The Dockerfile runs it; `make image-products` runs the same script on the host, so the image's build step
# is checked by CI even where no container engine exists.
#   docker/build-products.sh OUT
set -euo pipefail
out="${1:?usage: docker/build-products.sh OUT}"
cd "$(dirname "$0")/.."
# Every executable product of Package.swift but the benchmark (Tests/Support/check_docs.py checks this list).
products=(portal-adapter whatsapp-adapter email-adapter appeals-service dispatcher dakiya-admin dakiya-audit
    whatsapp-cloud-simulator)
# A build folder of its own: a static-stdlib build beside the everyday release build would rebuild both in turn.
scratch=.build/image-build
for product in "${products[@]}"; do
    echo "building $product"
    swift build -c release --static-swift-stdlib --scratch-path "$scratch" --product "$product"
done
bin="$(swift build -c release --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)"
mkdir -p "$out"
for product in "${products[@]}"; do
    test -x "$bin/$product" || { echo "build-products: $product was not built" >&2; exit 1; }
    cp "$bin/$product" "$out/"
done
cp -R "$bin"/*.resources "$out/"
echo "built ${#products[@]} products into $out"
