#!/usr/bin/env bash
# The deployment checks CI runs (scripts/test.sh runs this first): what can be checked of the production build, the
# Docker setup and the Helm chart on a machine without a Docker engine or a Kubernetes cluster.
#   1. npm ci --dry-run accepts the committed lock in a clean copy, for this platform and for macOS/arm64 and
#      Windows/x64 (the lock carries every platform's optional packages);
#   2. npm run build compiles to dist/, and the compiled API, worker, consumers and db modules load under plain
#      node (no tsx);
#   3. docker-compose.yml loads as `docker compose config` loads it (compose-go: the Compose Specification schema,
#      interpolation, depends_on and volumes cross-checked) — deploy/tools/compose-check; the Dockerfile is parsed
#      and linted by dockerfile-utils (npm); hadolint is not obtainable here (a Haskell binary);
#   4. the Helm chart: helm lint, helm template (also: rendering without the required secrets fails), and
#      kubeconform -strict of the rendered manifests against the Kubernetes 1.34 schemas (offline, from the
#      kubernetes-validate package).
# Tools are built or fetched once into $ALTIS_CACHE_DIR (default ~/.cache/altis) like the Temporal CLI: helm and
# kubeconform from the Go module proxy (go install), compose-check with go build, the schemas with pip download.
# Nothing of the work tree is changed but dist/ (git-ignored).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CACHE=${ALTIS_CACHE_DIR:-$HOME/.cache/altis}
HELM_VERSION=3.22.0
KUBECONFORM_VERSION=0.8.0
KUBERNETES_VALIDATE_VERSION=1.37.0 # ships the schemas of Kubernetes releases up to 1.37
KUBERNETES_VERSION=1.34.0
DOCKERFILE_UTILS_VERSION=0.16.3
HELM=$CACHE/helm-$HELM_VERSION/helm
KUBECONFORM=$CACHE/kubeconform-$KUBECONFORM_VERSION/kubeconform
SCHEMAS=$CACHE/k8s-schemas-$KUBERNETES_VALIDATE_VERSION
COMPOSE_CHECK_HASH=$(cat deploy/tools/compose-check/go.mod deploy/tools/compose-check/go.sum deploy/tools/compose-check/*.go |
  sha256sum | cut -c1-12)
COMPOSE_CHECK=$CACHE/compose-check-$COMPOSE_CHECK_HASH/compose-check
DOCKERFILE_UTILS=$CACHE/dockerfile-utils-$DOCKERFILE_UTILS_VERSION
T0=$SECONDS
LOGS=$(mktemp -d)
trap 'rm -rf "$LOGS"' EXIT

say() { printf '\033[1;36m[deploy-check]\033[0m %s\n' "$*"; }
fail() {
  printf '\033[1;31m[deploy-check]\033[0m %s\n' "$*" >&2
  exit 1
}

# with_heartbeat <what> <log> <command...>: runs a slow first-time step with its output in <log>, printing the
# elapsed time and the log's last line every 15 s; on failure, the end of the log.
with_heartbeat() {
  local what=$1 log=$2 started=$SECONDS
  shift 2
  say "$what (first time only; log: $log)"
  "$@" >"$log" 2>&1 &
  local pid=$! ticks=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    ticks=$((ticks + 1))
    if ((ticks % 15 == 0)); then say "  $what: $((SECONDS - started))s, $(tail -n 1 "$log" | cut -c1-90)"; fi
  done
  if ! wait "$pid"; then
    tail -n 20 "$log" >&2
    fail "$what failed"
  fi
  say "  $what: done in $((SECONDS - started))s"
}

go_install() { GOBIN=$(dirname "$1") go install -v -trimpath -ldflags='-s -w' "$2" 2>&1; }

tools() {
  mkdir -p "$CACHE"
  if [ ! -x "$HELM" ]; then
    with_heartbeat "building helm v$HELM_VERSION from its Go module" "$CACHE/install-helm.log" \
      go_install "$HELM" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
  fi
  if [ ! -x "$KUBECONFORM" ]; then
    with_heartbeat "building kubeconform v$KUBECONFORM_VERSION from its Go module" "$CACHE/install-kubeconform.log" \
      go_install "$KUBECONFORM" "github.com/yannh/kubeconform/cmd/kubeconform@v$KUBECONFORM_VERSION"
  fi
  if [ ! -x "$COMPOSE_CHECK" ]; then
    with_heartbeat "building deploy/tools/compose-check (compose-go)" "$CACHE/install-compose-check.log" \
      sh -c "cd deploy/tools/compose-check && go build -trimpath -ldflags='-s -w' -o '$COMPOSE_CHECK' ."
  fi
  if [ ! -d "$SCHEMAS/v$KUBERNETES_VERSION-standalone-strict" ]; then
    local wheels=$CACHE/wheels
    with_heartbeat "fetching the Kubernetes schemas (kubernetes-validate $KUBERNETES_VALIDATE_VERSION)" \
      "$CACHE/install-k8s-schemas.log" sh -c "python3 -m pip download --no-deps --quiet -d '$wheels' \
        kubernetes-validate==$KUBERNETES_VALIDATE_VERSION && python3 deploy/tools/k8s-schemas.py \
        '$wheels/kubernetes_validate-$KUBERNETES_VALIDATE_VERSION-py3-none-any.whl' $KUBERNETES_VERSION '$SCHEMAS.partial' &&
        rm -rf '$SCHEMAS' && mv '$SCHEMAS.partial' '$SCHEMAS'"
  fi
  if [ ! -x "$DOCKERFILE_UTILS/node_modules/.bin/dockerfile-utils" ]; then
    with_heartbeat "installing dockerfile-utils $DOCKERFILE_UTILS_VERSION (npm)" "$CACHE/install-dockerfile-utils.log" \
      npm install --prefix "$DOCKERFILE_UTILS" --no-audit --no-fund --no-save "dockerfile-utils@$DOCKERFILE_UTILS_VERSION"
  fi
}

check_lock() {
  local copy
  copy=$(mktemp -d)
  cp package.json package-lock.json "$copy/"
  local platform
  for platform in "" "--os=darwin --cpu=arm64" "--os=win32 --cpu=x64"; do
    # shellcheck disable=SC2086 # the platform flags are words
    if ! (cd "$copy" && npm ci --dry-run --ignore-scripts --no-audit --no-fund $platform >"$LOGS/npm-ci.log" 2>&1); then
      tail -n 20 "$LOGS/npm-ci.log" >&2
      rm -rf "$copy"
      fail "npm ci --dry-run ${platform:-(this platform)} refused the committed lock"
    fi
    say "  npm ci --dry-run ${platform:-(this platform)}: the lock is accepted"
  done
  rm -rf "$copy"
}

check_build() {
  if ! npm run --silent build >"$LOGS/build.log" 2>&1; then
    tail -n 30 "$LOGS/build.log" >&2
    fail "npm run build failed"
  fi
  say "  $(tail -n 1 "$LOGS/build.log" | sed 's/^\[build\] //')"
  # Importing runs no process (each main.js is the only file that starts one): this proves every module resolves
  # and loads under plain node with production settings.
  NODE_ENV=production node --input-type=module -e "
    for (const m of ['api/app.js', 'worker/worker.js', 'consumers/runner.js', 'scripts/db.js', 'payments-sandbox/app.js'])
      await import('./dist/' + m);
    const { prebuiltWorkflowBundle } = await import('./dist/worker/worker.js');
    if (!prebuiltWorkflowBundle(false) || !prebuiltWorkflowBundle(true)) throw new Error('no pre-built workflow bundle');
  "
  say "  dist/ loads under plain node; the worker finds its pre-built workflow bundles"
}

check_docker() {
  "$COMPOSE_CHECK" -json docker-compose.yml >"$LOGS/compose.json" || fail "docker-compose.yml is not a valid Compose file"
  say "  docker-compose.yml: a valid Compose file (compose-go: schema, interpolation, cross-checks)"
  # Every long-running service has a healthcheck; the app services wait for the migrate job.
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    const { services } = JSON.parse(readFileSync('$LOGS/compose.json', 'utf8'));
    const problems = [];
    for (const [name, s] of Object.entries(services)) {
      if (name !== 'migrate' && !s.healthcheck) problems.push(name + ' has no healthcheck');
      if (['api', 'worker', 'consumers'].includes(name) &&
          s.depends_on?.migrate?.condition !== 'service_completed_successfully')
        problems.push(name + ' does not wait for migrate to complete');
    }
    if (problems.length) { console.error(problems.join('\n')); process.exit(1); }
  " || fail "docker-compose.yml: see above"
  say "  docker-compose.yml: every service has a healthcheck; api, worker and consumers wait for migrate"
  local lint
  lint=$("$DOCKERFILE_UTILS/node_modules/.bin/dockerfile-utils" lint Dockerfile 2>&1 || true)
  if [ -n "$lint" ] && ! grep -q 'No problems' <<<"$lint"; then
    echo "$lint" >&2
    fail "Dockerfile: dockerfile-utils found problems"
  fi
  grep -q '^USER node' Dockerfile || fail "Dockerfile: the runtime stage does not run as the node user"
  grep -q '^HEALTHCHECK' Dockerfile || fail "Dockerfile: no HEALTHCHECK"
  say "  Dockerfile: dockerfile-utils lint clean; non-root user and HEALTHCHECK present"
}

check_helm() {
  local chart=deploy/helm/altis
  "$HELM" lint "$chart" -f "$chart/ci/values.yaml" --kube-version "$KUBERNETES_VERSION" >"$LOGS/helm-lint.log" 2>&1 ||
    {
      cat "$LOGS/helm-lint.log" >&2
      fail "helm lint failed"
    }
  say "  helm lint: $(tail -n 1 "$LOGS/helm-lint.log")"
  "$HELM" template altis "$chart" -f "$chart/ci/values.yaml" --kube-version "$KUBERNETES_VERSION" >"$LOGS/manifests.yaml" ||
    fail "helm template failed"
  if "$HELM" template altis "$chart" --kube-version "$KUBERNETES_VERSION" >/dev/null 2>&1; then
    fail "helm template rendered without the required secrets"
  fi
  say "  helm template: $(grep -c '^kind:' "$LOGS/manifests.yaml") manifests ($(grep '^kind:' "$LOGS/manifests.yaml" |
    sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $3; sep=", "}')); refused without the required secrets"
  "$KUBECONFORM" -strict -summary -kubernetes-version "$KUBERNETES_VERSION" -schema-location "$SCHEMAS" \
    "$LOGS/manifests.yaml" >"$LOGS/kubeconform.log" 2>&1 || {
    cat "$LOGS/kubeconform.log" >&2
    fail "kubeconform: the rendered chart is not valid Kubernetes $KUBERNETES_VERSION"
  }
  say "  kubeconform -strict (Kubernetes $KUBERNETES_VERSION): $(tail -n 1 "$LOGS/kubeconform.log")"
}

say "tools"
tools
say "npm lock"
check_lock
say "production build"
check_build
say "Docker"
check_docker
say "Helm chart"
check_helm
say "all deployment checks passed in $((SECONDS - T0))s"
