#!/usr/bin/env bash
# Installs and starts what the test suite needs beyond Python: PostgreSQL, Java (for Spark) and Debian's chromium.
# Idempotent; needs root (or sudo) and Debian's apt. Prints the PostgreSQL URL the tests should use.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "provision: not root and no sudo; install postgresql, a JRE and chromium by hand" >&2; exit 1
  fi
fi

need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "provision: installing ${need[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Start the first PostgreSQL cluster (create one if the package did not) and give the tests a role and database.
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | grep -q .; then $SUDO pg_createcluster "$version" main >/dev/null; fi
cluster=$(pg_lsclusters -h | head -n 1)
cver=$(echo "$cluster" | awk '{print $1}'); cname=$(echo "$cluster" | awk '{print $2}'); port=$(echo "$cluster" | awk '{print $3}')
echo "$cluster" | grep -q online || $SUDO pg_ctlcluster "$cver" "$cname" start
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.5; done
as_postgres() { if [ -z "$SUDO" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
psql_admin() { as_postgres psql -p "$port" -qtA "$@"; }
psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname='suara'" | grep -q 1 \
  || psql_admin -c "CREATE ROLE suara LOGIN PASSWORD 'suara' CREATEDB"
psql_admin -c "SELECT 1 FROM pg_database WHERE datname='suara_test'" | grep -q 1 \
  || psql_admin -c "CREATE DATABASE suara_test OWNER suara"
echo "postgresql+psycopg://suara:suara@127.0.0.1:${port}/suara_test"
