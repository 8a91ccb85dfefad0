#!/usr/bin/env bash
# Migrates, seeds the sample tenants and serves, with the private servers of DIR (started by services.sh).
set -euo pipefail
dir=${1:?DIR}
port=${2:-8080}
# shellcheck disable=SC1091
. "$dir/env"
bin=$(swift build --show-bin-path)/chorus

"$bin" secrets init --dir "$CHORUS_SECRETS_DIR"
"$bin" migrate --migrations Migrations
export CHORUS_HTTP_PORT=$port CHORUS_LOG_LEVEL=${CHORUS_LOG_LEVEL:-info}
"$bin" seed --folder tenants-sample

cat <<MSG

Chorus is starting on http://127.0.0.1:$port  (Ctrl-C stops it; 'make stop-services' stops the databases)

  Log in as the sample tenant's owner:
    curl -s http://127.0.0.1:$port/api/v2/auth/login -H 'content-type: application/json' \\
      -d '{"tenant":"acme","email":"owner@acme.example","password":"acme-owner-password"}'

  Operator API token: $(cat "$CHORUS_SECRETS_DIR/operator-token")
    curl -s http://127.0.0.1:$port/api/v2/operator/tenants -H "authorization: Bearer \$(cat $CHORUS_SECRETS_DIR/operator-token)"

MSG
exec "$bin" serve
