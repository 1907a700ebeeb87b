#!/usr/bin/env bash
# Print the URL of a PostgreSQL role that may CREATE DATABASE, starting a server if needed.
#
# stdout carries the URL and nothing else; every message goes to stderr. Tried in order:
#   1. $LIBLEDGER_TEST_PG_URL, if set and reachable;
#   2. a server on 127.0.0.1:5432 (user postgres, trust auth); a stopped Debian cluster is
#      started with pg_ctlcluster (root only);
#   3. a throw-away cluster in <repo>/.pgdata/ (initdb + pg_ctl, 127.0.0.1, a free port, trust
#      auth), reused on later runs. The PostgreSQL server binaries are installed with apt-get
#      when missing (root only; otherwise a message says what to install).
#
#   scripts/ensure-postgres.sh          print the URL (start/install as above)
#   scripts/ensure-postgres.sh --throwaway  skip 1 and 2: always use the .pgdata/ cluster
#   scripts/ensure-postgres.sh --stop   stop the throw-away cluster in .pgdata/ (if running)
#
# Tests create and drop their own databases; this script never creates or drops any.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PGROOT="$REPO/.pgdata"          # throw-away cluster: data/, server.log, port
PGDATA_DIR="$PGROOT/data"
DEFAULT_URL="postgresql://postgres@127.0.0.1:5432/postgres"

say() { echo "ensure-postgres: $*" >&2; }
die() { say "$*"; exit 1; }
is_root() { [ "$(id -u)" -eq 0 ]; }

# --- probing ------------------------------------------------------------------------------------

# True when URL accepts a connection and its role may create databases.
# Uses psql when present, else the project's venv (psycopg), else only checks that the port answers.
can_create_db() {
  local url="$1" out
  if command -v psql >/dev/null 2>&1; then
    out="$(PGCONNECT_TIMEOUT=5 psql "$url" -XAtqw -c \
      "select rolsuper or rolcreatedb from pg_roles where rolname = current_user" 2>/dev/null)" || return 1
    [ "$out" = "t" ]
  elif [ -x "$REPO/.venv/bin/python" ] && "$REPO/.venv/bin/python" -c 'import psycopg' 2>/dev/null; then
    "$REPO/.venv/bin/python" - "$url" <<'PY' 2>/dev/null
import sys, psycopg
url = sys.argv[1]
if "+" in url.split("://", 1)[0]:  # postgresql+psycopg://... -> postgresql://...
    url = "postgresql://" + url.split("://", 1)[1]
with psycopg.connect(url, connect_timeout=5) as c:
    ok = c.execute("select rolsuper or rolcreatedb from pg_roles where rolname = current_user").fetchone()[0]
sys.exit(0 if ok else 1)
PY
  elif command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -t 5 -d "$url"
  else
    # Last resort: the port answers. Host/port parsed from postgresql://user@host:port/db.
    local hp="${url#*://}"; hp="${hp#*@}"; hp="${hp%%/*}"
    (exec 3<>"/dev/tcp/${hp%%:*}/${hp##*:}") 2>/dev/null
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local p
  for p in $(seq 55432 55531); do
    if ! port_in_use "$p"; then echo "$p"; return 0; fi
  done
  return 1
}

major_of() { "$1/pg_ctl" --version 2>/dev/null | sed -E 's/^[^0-9]*([0-9]+).*/\1/'; }

# Directory holding initdb/pg_ctl. With a version (a cluster's PG_VERSION): only binaries of
# exactly that major version. Without: those on PATH, else Debian's newest
# /usr/lib/postgresql/<ver>/bin.
pg_bindir() {
  local want="${1:-}" d=""
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    d="$(dirname "$(command -v pg_ctl)")"
    if [ -z "$want" ] || [ "$(major_of "$d")" = "$want" ]; then echo "$d"; return 0; fi
  fi
  if [ -n "$want" ]; then
    d="/usr/lib/postgresql/$want/bin"
  else
    d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  return 1
}

# --- path 1: the URL given ----------------------------------------------------------------------

try_env_url() {
  [ -n "${LIBLEDGER_TEST_PG_URL:-}" ] || return 1
  if can_create_db "$LIBLEDGER_TEST_PG_URL"; then
    echo "$LIBLEDGER_TEST_PG_URL"; return 0
  fi
  say "LIBLEDGER_TEST_PG_URL is set but unreachable, or its role may not CREATE DATABASE; looking elsewhere"
  return 1
}

# --- path 2: a server on 127.0.0.1:5432 ---------------------------------------------------------

try_local_5432() {
  if can_create_db "$DEFAULT_URL"; then echo "$DEFAULT_URL"; return 0; fi
  if port_in_use 5432; then
    say "a server answers on 127.0.0.1:5432 but not as user postgres with trust auth; using a throw-away cluster instead"
    return 1
  fi
  # Nothing listens: a Debian cluster that is merely stopped?
  command -v pg_lsclusters >/dev/null 2>&1 || return 1
  local ver cluster port status
  while read -r ver cluster port status _; do
    [ "$port" = "5432" ] || continue
    case "$status" in down*) ;; *) continue ;; esac
    if ! is_root; then
      say "PostgreSQL cluster $ver/$cluster on port 5432 is stopped; start it with: sudo pg_ctlcluster $ver $cluster start"
      return 1
    fi
    say "starting the stopped Debian cluster $ver/$cluster on port 5432"
    pg_ctlcluster --skip-systemctl-redirect "$ver" "$cluster" start >&2 || { say "could not start $ver/$cluster"; return 1; }
    local i
    for i in $(seq 1 30); do
      if can_create_db "$DEFAULT_URL"; then echo "$DEFAULT_URL"; return 0; fi
      sleep 0.5
    done
    say "cluster $ver/$cluster started but 127.0.0.1:5432 does not accept user postgres with trust auth"
    return 1
  done < <(pg_lsclusters --no-header 2>/dev/null || true)
  return 1
}

# --- path 3: a throw-away cluster in .pgdata/ ---------------------------------------------------

install_server() {
  if ! is_root; then
    die "no PostgreSQL server found and its binaries (initdb, pg_ctl) are not installed. Install them (Debian/Ubuntu: sudo apt-get install postgresql), or start a server and set LIBLEDGER_TEST_PG_URL=postgresql://USER@HOST:PORT/DB (a role with CREATEDB)."
  fi
  command -v apt-get >/dev/null 2>&1 \
    || die "no PostgreSQL server found and no apt-get to install one: install PostgreSQL (initdb, pg_ctl) or set LIBLEDGER_TEST_PG_URL"
  say "installing PostgreSQL with apt-get (Debian package postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q postgresql </dev/null; } >&2 \
    || die "apt-get install postgresql failed"
}

# Runs a command as the cluster's owner: ourselves, or (as root, since initdb refuses root)
# the postgres system user.
OWNER=""
as_owner() {
  if [ -z "$OWNER" ]; then "$@"
  elif command -v runuser >/dev/null 2>&1; then runuser -u "$OWNER" -- "$@"
  else su -s /bin/sh "$OWNER" -c "$(printf '%q ' "$@")"
  fi
}

pick_owner() {
  is_root || return 0
  OWNER=postgres
  if ! id -u "$OWNER" >/dev/null 2>&1; then
    say "creating system user $OWNER to own the throw-away cluster (initdb refuses to run as root)"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$OWNER" >&2
  fi
}

stop_cluster() {
  [ -f "$PGDATA_DIR/PG_VERSION" ] || { say "no throw-away cluster in $PGROOT"; return 0; }
  local bin pid
  pick_owner
  if bin="$(pg_bindir "$(cat "$PGDATA_DIR/PG_VERSION")")"; then
    if as_owner "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
      as_owner "$bin/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop >&2
      return 0
    fi
  else
    # Its binaries are gone: SIGINT is PostgreSQL's "fast shutdown".
    pid="$(head -n 1 "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      say "stopping the throw-away cluster (pid $pid) with SIGINT"
      kill -INT "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
      say "pid $pid did not stop"; return 1
    fi
  fi
  say "throw-away cluster in $PGROOT is not running"
}

throwaway_cluster() {
  local bin ver port url
  pick_owner
  mkdir -p "$PGROOT"
  # One setup at a time (two `make test` in parallel, or pytest workers).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$PGROOT/.lock"
    flock -w 120 9 || die "timed out waiting for the lock on $PGROOT/.lock"
    # (The server must not inherit fd 9, or it would hold the lock forever: see `9>&-` below.)
  fi

  if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
    ver="$(cat "$PGDATA_DIR/PG_VERSION")"
    if ! bin="$(pg_bindir "$ver")"; then
      pg_bindir >/dev/null || install_server    # no server binaries at all
      pg_bindir >/dev/null || die "PostgreSQL installed but initdb/pg_ctl not found"
      if ! bin="$(pg_bindir "$ver")"; then
        say "the cluster in $PGDATA_DIR is PostgreSQL $ver, whose binaries are gone; re-creating it with $(pg_bindir) (it holds only test data)"
        stop_cluster || true
        rm -rf "$PGDATA_DIR"
      fi
    fi
  fi

  if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
    bin="$(pg_bindir)" || { install_server; bin="$(pg_bindir)" || die "PostgreSQL installed but initdb not found"; }
    rm -rf "$PGDATA_DIR"
    mkdir -p "$PGDATA_DIR"
    if [ -n "$OWNER" ]; then
      chown "$OWNER" "$PGROOT" "$PGDATA_DIR"
      as_owner test -w "$PGDATA_DIR" || die "user $OWNER cannot write $PGDATA_DIR: a parent directory of the repository is not accessible to it (e.g. a checkout under /root). Clone the repository somewhere $OWNER can reach, or set LIBLEDGER_TEST_PG_URL."
    fi
    chmod 700 "$PGDATA_DIR"
    say "creating a throw-away PostgreSQL cluster in $PGDATA_DIR ($("$bin/initdb" --version))"
    as_owner "$bin/initdb" -D "$PGDATA_DIR" -U postgres --auth=trust -E UTF8 --no-locale >"$PGROOT/initdb.log" 2>&1 \
      || { cat "$PGROOT/initdb.log" >&2; die "initdb failed"; }
    # Test data only: trade durability for speed; TCP on loopback only, no Unix socket.
    as_owner sh -c "cat >> '$PGDATA_DIR/postgresql.conf'" <<'CONF'

# --- libledger throw-away test cluster ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
  fi

  port="$(cat "$PGROOT/port" 2>/dev/null || true)"
  if ! as_owner "$bin/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
    if [ -z "$port" ] || port_in_use "$port"; then
      port="$(free_port)" || die "no free port in 55432-55531"
    fi
    echo "$port" > "$PGROOT/port"
    say "starting the throw-away cluster on 127.0.0.1:$port (log: $PGROOT/server.log)"
    [ -z "$OWNER" ] || { touch "$PGROOT/server.log"; chown "$OWNER" "$PGROOT/server.log"; }
    as_owner "$bin/pg_ctl" -D "$PGDATA_DIR" -l "$PGROOT/server.log" -o "-p $port" -w -t 60 start >&2 9>&- \
      || { tail -n 20 "$PGROOT/server.log" >&2 || true; die "pg_ctl start failed"; }
  fi
  [ -n "$port" ] || die "the throw-away cluster runs but $PGROOT/port is missing; run: $0 --stop"
  url="postgresql://postgres@127.0.0.1:$port/postgres"
  can_create_db "$url" || die "the throw-away cluster does not answer at $url (log: $PGROOT/server.log)"
  echo "$url"
}

# --- main ---------------------------------------------------------------------------------------

case "${1:-}" in
  --stop) stop_cluster; exit 0 ;;
  --throwaway) throwaway_cluster; exit 0 ;;
  "") ;;
  -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
  *) die "unknown argument: $1 (try --help)" ;;
esac

# (Not an `a || b || c` list: bash would switch off `set -e` inside the last function.)
if try_env_url; then exit 0; fi
if try_local_5432; then exit 0; fi
throwaway_cluster
