#!/usr/bin/env bash
# Run scoopjoy's Frappe-layer tests with Frappe's own runner on a real bench, when this machine has one.
#
# Where the bench is: $SCOOPJOY_BENCH, else ~/frappe-bench, else /work/bench (the first that has
# sites/ and env/). Which site: $SCOOPJOY_SITE, else the first site whose site_config allows tests.
# The checkout under test is linked in as apps/scoopjoy, installed (or migrated) on the site, and
# the previous link is put back afterwards. No bench: say so and succeed (the kernel tests and the
# static check of the Frappe layer still ran).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"

bench_dir=""
for candidate in "${SCOOPJOY_BENCH:-}" "$HOME/frappe-bench" /work/bench; do
	if [ -n "$candidate" ] && [ -d "$candidate/sites" ] && [ -x "$candidate/env/bin/python" ]; then
		bench_dir="$candidate"
		break
	fi
done
if [ -z "$bench_dir" ]; then
	echo "bench tests: no Frappe bench on this machine (set SCOOPJOY_BENCH); skipped. Kernel and static checks ran."
	exit 0
fi

site="${SCOOPJOY_SITE:-}"
if [ -z "$site" ]; then
	for config in "$bench_dir"/sites/*/site_config.json; do
		if grep -q '"allow_tests": *true' "$config" 2>/dev/null; then
			site="$(basename "$(dirname "$config")")"
			break
		fi
	done
fi
if [ -z "$site" ]; then
	echo "bench tests: $bench_dir has no site with allow_tests (bench --site SITE set-config allow_tests true)" >&2
	exit 1
fi

bench_cmd=("$bench_dir/env/bin/python" -m frappe.utils.bench_helper frappe)
if command -v bench >/dev/null 2>&1; then
	bench_cmd=(bench)
fi

app_link="$bench_dir/apps/scoopjoy"
previous=""
if [ -L "$app_link" ]; then
	previous="$(readlink "$app_link")"
elif [ -e "$app_link" ]; then
	echo "bench tests: $app_link is a real directory; refusing to replace it" >&2
	exit 1
fi

install_from() {
	ln -sfn "$1" "$app_link"
	# with the test extras: the simulators the bench tests start need graphql-core
	"$bench_dir/env/bin/python" -m pip install --quiet -e "$app_link[test]"
}

restore() {
	if [ -n "$previous" ] && [ "$previous" != "$repo" ] && [ -d "$previous" ]; then
		install_from "$previous" || true
	fi
}
trap restore EXIT

echo "bench tests: $bench_dir, site $site, app from $repo"
install_from "$repo"
grep -qx scoopjoy "$bench_dir/sites/apps.txt" || echo scoopjoy >> "$bench_dir/sites/apps.txt"

cd "$bench_dir/sites"
setup_log="$(mktemp)"
# The module map is cached in Redis: one built before scoopjoy was in apps.txt would make
# install-app sync none of its DocTypes.
"${bench_cmd[@]}" --site "$site" clear-cache
if "${bench_cmd[@]}" --site "$site" list-apps 2>/dev/null | grep -q '^scoopjoy'; then
	step=(migrate --skip-search-index)
else
	step=(install-app scoopjoy)
fi
echo "bench tests: ${step[*]} (output in $setup_log)"
if ! "${bench_cmd[@]}" --site "$site" "${step[@]}" >"$setup_log" 2>&1; then
	tail -c 4000 "$setup_log" >&2
	exit 1
fi
CI=1 "${bench_cmd[@]}" --site "$site" run-tests --app scoopjoy
