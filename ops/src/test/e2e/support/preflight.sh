#!/bin/sh
# Run by the build (pre-integration-test) before 'npm ci': the browser tests are never skipped because
# something is missing; the build fails here saying what to install. Plain sh: it must work without Node.
problems=0
fail() {
  echo "[browser tests] $1" >&2
  problems=$((problems + 1))
}

chromium="${CHROMIUM:-/usr/bin/chromium}"
jar="${TSUNAGU_JAR:-../../../target/tsunagu-ops.jar}"

if ! command -v node >/dev/null 2>&1; then
  fail "node not found: the browser tests need Node 20.19 or newer (Debian: apt-get install -y nodejs npm; .ci/run installs them)."
else
  # 20.19: Redocly CLI's floor (the OpenAPI lint in the same run).
  if [ "$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 19)')" != true ]; then
    fail "node $(node --version) is too old: the browser tests need Node 20.19 or newer."
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  fail "npm not found: the browser tests install playwright-core with npm ci (Debian: apt-get install -y npm; .ci/run installs it)."
fi
if [ ! -x "$chromium" ]; then
  fail "Chromium not found at $chromium: the browser tests run in headless Debian Chromium. Install it with 'apt-get install -y chromium' (or run .ci/run, which installs it), or point CHROMIUM at a Chromium binary."
fi
if [ ! -f "$jar" ]; then
  fail "$jar not found: the browser tests start the built server (./mvnw -B verify builds it in 'package')."
fi

if [ "$problems" -gt 0 ]; then
  echo "[browser tests] cannot run: $problems problem(s) above. They are part of ./mvnw -B verify; -DskipTests skips them with every other test." >&2
  exit 1
fi
echo "[browser tests] node $(node --version), npm $(npm --version), chromium $chromium, server $jar"
