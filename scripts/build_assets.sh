#!/usr/bin/env bash
# Build the public site's assets from the npm registry's GOV.UK Frontend.
# Idempotent: does nothing when the output is newer than its inputs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="cms/static/vendor/govuk"
stamp="$out/.built"

if [ -f "$stamp" ] && [ "$stamp" -nt package-lock.json ] && [ "$stamp" -nt cms/frontend/hub.scss ]; then
  exit 0
fi
echo "==> Building GOV.UK Frontend assets into $out"
if [ ! -d node_modules/govuk-frontend ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p "$out"
rm -rf "$out/assets"
cp -R node_modules/govuk-frontend/dist/govuk/assets "$out/assets"
cp node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js "$out/govuk-frontend.min.js"
npx --no-install sass --no-source-map --quiet-deps --silence-deprecation=import --style=compressed \
  --load-path=node_modules/govuk-frontend/dist cms/frontend/hub.scss "$out/hub.css"
touch "$stamp"
