#!/usr/bin/env bash
# Makes sure headless Chromium is installed for the dashboard's browser tests
# (internal/dashboard, chromedp). Idempotent and quick when it is already
# there. When it is missing and we are root (or have sudo), installs the
# distribution package with apt-get. Otherwise it says so and returns 0: the
# browser tests then skip with a reason, except under CI=true, where a missing
# browser is an error here and in the tests.
#
# VIGIL_CHROMIUM overrides the browser path the tests use; this script checks
# the same places they do.
set -euo pipefail

find_chromium() {
	local c
	for c in "${VIGIL_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser /usr/bin/google-chrome; do
		if [ -n "$c" ] && [ -x "$c" ]; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

if path=$(find_chromium); then
	echo "chromium: $path" >&2
	exit 0
fi

fail_or_skip() {
	if [ "${CI:-}" = "true" ]; then
		echo "install-chromium: $1 (CI=true: the dashboard's browser tests need it)" >&2
		exit 1
	fi
	echo "install-chromium: $1; the dashboard's browser tests will skip" >&2
	exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
	fail_or_skip "chromium is missing and there is no apt-get to install it (install chromium, or set VIGIL_CHROMIUM to a Chrome/Chromium binary)"
fi

if [ "$(id -u)" -eq 0 ]; then
	run=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
	run=(sudo -n)
else
	fail_or_skip "chromium is missing and installing it needs root (run: sudo apt-get install -y chromium)"
fi

echo "install-chromium: installing chromium with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { "${run[@]}" apt-get update -qq && "${run[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; then
	fail_or_skip "apt-get install chromium failed"
fi

if path=$(find_chromium); then
	echo "chromium: $path" >&2
	exit 0
fi
fail_or_skip "apt-get installed chromium but no binary was found at /usr/bin/chromium"
