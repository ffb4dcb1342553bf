#!/usr/bin/env bash
# Builds quire's test JupyterLab (this directory: package.json, package-lock.json,
# webpack.config.js, src/, templates/) into a cache directory and prints that directory. A
# second run with the same files prints it at once. Needs node and npm (the npm registry);
# never downloads a browser (puppeteer-core drives the system's Chromium).
#
#   dir=$(integration/jupyterlab/setup.sh)   # build log on stderr
#
# The directory holds static/ (the app), schemas/ (settings schemas, as jupyterlab_server
# reads them), themes/, templates/ and node_modules/ (puppeteer-core for scenarios.cjs).
# QUIRE_JUPYTERLAB_CACHE sets the cache (default ${XDG_CACHE_HOME:-~/.cache}/quire).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${QUIRE_JUPYTERLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/quire}
hash=$(cd "$here" && cat package.json package-lock.json webpack.config.js setup.sh src/*.js templates/* | sha256sum | cut -c1-16)
out=$cache/jupyterlab-$hash
if [ -f "$out/.complete" ]; then
  echo "quire test JupyterLab: cached in $out" >&2
  echo "$out"
  exit 0
fi
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool is not installed (JupyterLab is built with node 20 and npm)" >&2; exit 1; }
done
mkdir -p "$cache"
work=$(mktemp -d "$cache/jupyterlab-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
cp -r "$here/package.json" "$here/package-lock.json" "$here/webpack.config.js" "$here/src" "$here/templates" "$work/"
cd "$work"
echo "quire test JupyterLab: npm ci in $work" >&2
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
installed=$(date +%s)
echo "quire test JupyterLab: webpack" >&2
QUIRE_LAB_OUT="$work" node node_modules/webpack/bin/webpack.js --config webpack.config.js --no-stats >&2
built=$(date +%s)

# Settings schemas, laid out as jupyterlab_server expects (schemas/<package>/<plugin>.json,
# the package's version in package.json.orig), and the light theme.
node - <<'NODE'
const fs = require('fs');
const path = require('path');
const deps = Object.keys(require('./package.json').dependencies);
for (const name of deps) {
  const dir = path.join('node_modules', name);
  const pkg = require('./' + path.join(dir, 'package.json'));
  const lab = pkg.jupyterlab || {};
  if (lab.schemaDir) {
    const dest = path.join('schemas', name);
    fs.mkdirSync(dest, { recursive: true });
    for (const f of fs.readdirSync(path.join(dir, lab.schemaDir)).filter(f => f.endsWith('.json'))) {
      fs.copyFileSync(path.join(dir, lab.schemaDir, f), path.join(dest, f));
    }
    fs.writeFileSync(path.join(dest, 'package.json.orig'), JSON.stringify(pkg, null, 2));
  }
  if (lab.themePath) {
    const dest = path.join('themes', name);
    const src = path.dirname(path.join(dir, lab.themePath));
    fs.mkdirSync(dest, { recursive: true });
    for (const f of fs.readdirSync(src)) {
      fs.copyFileSync(path.join(src, f), path.join(dest, f));
    }
    fs.copyFileSync(path.join(dir, lab.themePath), path.join(dest, 'index.css'));
  }
}
NODE
rm -rf src
touch .complete
trap - EXIT
if ! mv -T "$work" "$out" 2>/dev/null; then
  rm -rf "$work" # another run finished the same build first
fi
echo "quire test JupyterLab: built in $out: npm ci $((installed - start)) s, webpack $((built - installed)) s" >&2
echo "$out"
