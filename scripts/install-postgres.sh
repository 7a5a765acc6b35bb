#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, postgres) are installed
# for the tests that run a throwaway server (internal/testutil/pgtest: the
# PostgreSQL store, storeopen, serve on PostgreSQL). Idempotent and quick
# when they are already there. When they are missing and we are root (or
# have sudo), installs Debian's postgresql package with apt-get, without
# starting its service (pgtest starts its own servers on loopback). As
# root, PostgreSQL refuses to run, so pgtest runs it as the "postgres" user
# (VIGIL_PGTEST_USER names another), which the package creates; this script
# checks that user exists.
#
# Without the binaries it says so and returns 0 (the tests skip with a
# reason), except under CI=true, where a missing server is an error here and
# in the tests. VIGIL_PG_BINDIR overrides where the tests look; the tests
# also accept VIGIL_TEST_POSTGRES, the DSN of a server you run yourself, and
# then need no binaries.
set -euo pipefail

find_bindir() {
	local d p
	if [ -n "${VIGIL_PG_BINDIR:-}" ]; then
		[ -x "$VIGIL_PG_BINDIR/initdb" ] && [ -x "$VIGIL_PG_BINDIR/postgres" ] && { echo "$VIGIL_PG_BINDIR"; return 0; }
		return 1
	fi
	if p=$(command -v initdb 2>/dev/null); then
		d=$(dirname "$(readlink -f "$p")")
		[ -x "$d/postgres" ] && { echo "$d"; return 0; }
	fi
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		[ -x "$d/initdb" ] && [ -x "$d/postgres" ] && { echo "$d"; return 0; }
	done
	return 1
}

fail_or_skip() {
	if [ "${CI:-}" = "true" ]; then
		echo "install-postgres: $1 (CI=true: the PostgreSQL store's tests need it)" >&2
		exit 1
	fi
	echo "install-postgres: $1; the PostgreSQL tests will skip" >&2
	exit 0
}

check_user() {
	if [ "$(id -u)" -eq 0 ] && [ -z "${VIGIL_TEST_POSTGRES:-}" ]; then
		local u="${VIGIL_PGTEST_USER:-postgres}"
		if ! id "$u" >/dev/null 2>&1; then
			if [ "$u" = postgres ] && command -v useradd >/dev/null 2>&1; then
				echo "install-postgres: creating the system user postgres to run test servers as (PostgreSQL refuses root)" >&2
				useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home --shell /bin/bash postgres
			else
				fail_or_skip "running as root, and there is no user $u to run PostgreSQL as"
			fi
		fi
	fi
}

if [ -n "${VIGIL_TEST_POSTGRES:-}" ]; then
	echo "postgres: using VIGIL_TEST_POSTGRES" >&2
	exit 0
fi

if dir=$(find_bindir); then
	check_user
	echo "postgres: $dir" >&2
	exit 0
fi

if [ -n "${VIGIL_PG_BINDIR:-}" ]; then
	fail_or_skip "VIGIL_PG_BINDIR=$VIGIL_PG_BINDIR holds no initdb and postgres"
fi

if ! command -v apt-get >/dev/null 2>&1; then
	fail_or_skip "PostgreSQL's server binaries (initdb, postgres) are missing and there is no apt-get to install them (install PostgreSQL, or set VIGIL_PG_BINDIR)"
fi

if [ "$(id -u)" -eq 0 ]; then
	run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	run=(sudo -n)
else
	fail_or_skip "PostgreSQL is missing and installing it needs root (run: sudo apt-get install -y postgresql)"
fi

echo "install-postgres: installing postgresql with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep the package from starting its own cluster's service: the tests start
# their own servers. A policy-rc.d that exits 101 forbids service starts
# while it is in place; one the machine already has is left alone.
policy=/usr/sbin/policy-rc.d
added_policy=
if [ ! -e "$policy" ]; then
	"${run[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
	added_policy=1
fi
status=0
{ "${run[@]}" apt-get update -qq && "${run[@]}" apt-get install -y -qq --no-install-recommends postgresql >/dev/null; } || status=$?
if [ -n "$added_policy" ]; then
	"${run[@]}" rm -f "$policy"
fi
if [ "$status" -ne 0 ]; then
	fail_or_skip "apt-get install postgresql failed"
fi

if dir=$(find_bindir); then
	check_user
	echo "postgres: $dir" >&2
	exit 0
fi
fail_or_skip "apt-get installed postgresql but no initdb and postgres were found in /usr/lib/postgresql/*/bin"
