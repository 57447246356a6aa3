#!/usr/bin/env bash
# The browser tier: the app's desk in headless Chromium on a test site with data.
#
#   tools/browser_tests.sh <bench_dir> <site> [pytest arguments, e.g. -k sync_console]
#
# <site> must already have this checkout of scoopjoy installed (apps/scoopjoy -> this repository,
# as tools/bench_tests.sh sets it up) and allow tests (it gets seeded with test records and its
# ScoopJoy Settings are changed for the run, then put back). The tests serve the site with gunicorn
# on 127.0.0.1 (a free port), start the provider simulators in-process, and drive Chromium through
# every page, list, form and button the app adds (scoopjoy/tests/browser/desk_test.py).
#
# Needs the desk's JS/CSS built in <bench_dir>/sites/assets; without them it says so and succeeds.
# Installs what it lacks: Debian's chromium (apt-get, as root) and PyPI playwright + pytest into the
# bench's env (Playwright drives /usr/bin/chromium; `playwright install` is never used).
#
# Screenshots and the server log go to $SCOOPJOY_BROWSER_ARTIFACTS (default <repo>/browser-artifacts,
# git-ignored). SCOOPJOY_README_SCREENSHOTS=1 also refreshes docs/screenshots/*.png.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bench_dir="${1:-}"
site="${2:-}"
shift 2 2>/dev/null || true
if [ -z "$bench_dir" ] || [ -z "$site" ]; then
	echo "usage: tools/browser_tests.sh <bench_dir> <site>" >&2
	exit 2
fi
bench_dir="$(cd "$bench_dir" && pwd)"
py="$bench_dir/env/bin/python"
sites="$bench_dir/sites"

if [ ! -x "$py" ] || [ ! -d "$bench_dir/apps/frappe" ]; then
	echo "browser tests: $bench_dir is not a Frappe bench; skipped."
	exit 0
fi
if ! ls "$sites"/assets/frappe/dist/js/desk.bundle.*.js >/dev/null 2>&1 || [ ! -s "$sites/assets/assets.json" ]; then
	echo "browser tests: the desk's assets are not built in $sites/assets (bench build); skipped."
	exit 0
fi
if [ ! -f "$sites/$site/site_config.json" ]; then
	echo "browser tests: no site $site in $sites" >&2
	exit 1
fi
if [ "$(readlink -f "$bench_dir/apps/scoopjoy")" != "$(readlink -f "$repo")" ]; then
	echo "browser tests: $bench_dir/apps/scoopjoy is not this checkout ($repo); tools/bench_tests.sh links it" >&2
	exit 1
fi

# --- what the tier needs, installed by script ------------------------------------------------------
chromium="${SCOOPJOY_BROWSER_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
	echo "browser tests: installing Debian's chromium"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -qq chromium >/dev/null 2>&1; then
		apt-get update -qq >/dev/null
		apt-get install -y -qq chromium >/dev/null
	fi
fi
if ! "$py" -c "import playwright.sync_api, pytest" >/dev/null 2>&1; then
	echo "browser tests: installing playwright and pytest into $bench_dir/env"
	"$py" -m pip install --quiet "playwright>=1.40" "pytest>=7" 2>&1 | grep -v "is ignored" || true
	"$py" -c "import playwright.sync_api, pytest"
fi

# --- run -------------------------------------------------------------------------------------------
artifacts="${SCOOPJOY_BROWSER_ARTIFACTS:-$repo/browser-artifacts}"
echo "browser tests: $site on $bench_dir (Chromium: $chromium; screenshots: $artifacts)"
started=$(date +%s)
status=0
(
	cd "$sites"
	SCOOPJOY_BROWSER_SITE="$site" \
		SCOOPJOY_BROWSER_SITES="$sites" \
		SCOOPJOY_BROWSER_ARTIFACTS="$artifacts" \
		SCOOPJOY_BROWSER_CHROMIUM="$chromium" \
		timeout --kill-after=30 "${SCOOPJOY_BROWSER_TIMEOUT:-600}" \
		"$py" -m pytest "$repo/scoopjoy/tests/browser" \
		--rootdir "$repo/scoopjoy/tests/browser" -c /dev/null \
		-o python_files="*_test.py" -p no:cacheprovider -q -ra \
		-W "ignore::DeprecationWarning" -W "ignore::FutureWarning" "$@" </dev/null
) || status=$?
echo "browser tests: $(($(date +%s) - started)) s; screenshots and server log in $artifacts"
exit "$status"
