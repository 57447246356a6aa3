#!/usr/bin/env bash
# Run scoopjoy's Frappe-layer tests with Frappe's own runner, on every bench this machine has, each
# on a site made for this run and dropped after it (as Frappe apps' own CI does):
#
#   $SCOOPJOY_BENCH    default ~/frappe-bench    (Frappe v15)
#   $SCOOPJOY_BENCH16  default ~/frappe-bench16  (Frappe v16)
#
# The site gets ERPNext, then payments and erpnext_shipping where the bench has them, then this
# checkout of scoopjoy (linked in as apps/scoopjoy; the previous link is put back afterwards).
# After Frappe's runner, the browser tier (tools/browser_tests.sh) drives the desk in headless
# Chromium on the same site, where the bench's desk assets are built.
# SCOOPJOY_SITE=<site> reuses that existing site instead (faster while developing: migrate, no drop).
# The database administrator is $SCOOPJOY_DB_ROOT_USER (root) with $SCOOPJOY_DB_ROOT_PASSWORD
# (empty by default). No bench: say so and succeed (the kernel tests and the static check still ran).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
db_user="${SCOOPJOY_DB_ROOT_USER:-root}"

if [ "${1:-}" != "--bench" ]; then
	benches=()
	for candidate in "${SCOOPJOY_BENCH:-$HOME/frappe-bench}" "${SCOOPJOY_BENCH16:-$HOME/frappe-bench16}"; do
		if [ -d "$candidate/sites" ] && [ -x "$candidate/env/bin/python" ] && [ -d "$candidate/apps/frappe" ]; then
			benches+=("$candidate")
		fi
	done
	if [ "${#benches[@]}" -eq 0 ]; then
		echo "bench tests: no Frappe bench on this machine (set SCOOPJOY_BENCH / SCOOPJOY_BENCH16); skipped. Kernel and static checks ran."
		exit 0
	fi
	# one process per bench: each has its own site, clean-up trap and exit status
	status=0
	for bench_dir in "${benches[@]}"; do
		bash "$0" --bench "$bench_dir" || {
			echo "bench tests: FAILED on $bench_dir" >&2
			status=1
		}
	done
	exit "$status"
fi
bench_dir="$2"

# Frappe asks for the database root password on the terminal when it is empty: give it an empty
# line on stdin, with no controlling terminal (setsid), so that nothing ever waits for a person.
as_db_root() {
	if [ -n "${SCOOPJOY_DB_ROOT_PASSWORD:-}" ]; then
		"$@" --db-root-username "$db_user" --db-root-password "$SCOOPJOY_DB_ROOT_PASSWORD" </dev/null
	else
		printf '\n' | setsid --wait "$@" --db-root-username "$db_user"
	fi
}

frappe_cmd=("$bench_dir/env/bin/python" -m frappe.utils.bench_helper frappe)
version="$(cd "$bench_dir/sites" && "$bench_dir/env/bin/python" -c 'import frappe; print(frappe.__version__)')"
site="${SCOOPJOY_SITE:-}"
fresh=""
if [ -z "$site" ]; then
	site="scoopjoy-test-$(date +%s)-$$.localhost"
	fresh=1
fi

app_link="$bench_dir/apps/scoopjoy" previous=""
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
cleanup() {
	# nothing of the run may fire afterwards: its queued jobs and its Redis state go (any site)
	if [ -d "$bench_dir/sites/$site" ]; then
		(cd "$bench_dir/sites" && "${frappe_cmd[@]}" --site "$site" execute scoopjoy.tests.setup.after_test_run) \
			>/dev/null 2>&1 || true
	fi
	if [ -n "$fresh" ] && [ -d "$bench_dir/sites/$site" ]; then
		echo "bench tests: dropping $site"
		(cd "$bench_dir/sites" && as_db_root "${frappe_cmd[@]}" drop-site "$site" --force --no-backup) \
			>/dev/null 2>&1 || echo "bench tests: could not drop $site (drop it by hand)" >&2
	fi
	if [ -n "$previous" ] && [ "$previous" != "$repo" ] && [ -d "$previous" ]; then
		install_from "$previous" || true
	fi
}
trap cleanup EXIT

echo "bench tests: Frappe $version at $bench_dir, site $site, app from $repo"
install_from "$repo"
grep -qx scoopjoy "$bench_dir/sites/apps.txt" || printf '\nscoopjoy\n' >>"$bench_dir/sites/apps.txt"
sed -i '/^$/d' "$bench_dir/sites/apps.txt"

cd "$bench_dir/sites"
# Frappe renders emails with the CSS named in the asset manifest; a bench whose desk assets were
# never built (bench setup --skip-assets) has none, and every email then fails to render.
if [ ! -f assets/assets.json ]; then
	mkdir -p assets && echo '{}' >assets/assets.json
	echo "bench tests: $bench_dir has no built assets; wrote an empty assets/assets.json so emails render"
fi
setup_log="$(mktemp)"
# The module map is cached in Redis: one built before scoopjoy was in apps.txt would make
# install-app sync none of its DocTypes.
"${frappe_cmd[@]}" clear-cache >/dev/null 2>&1 || true
if [ -n "$fresh" ]; then
	apps=(--install-app erpnext)
	for optional in payments erpnext_shipping; do
		if [ -d "$bench_dir/apps/$optional" ] && grep -qx "$optional" "$bench_dir/sites/apps.txt"; then
			apps+=(--install-app "$optional")
		fi
	done
	apps+=(--install-app scoopjoy)
	echo "bench tests: new-site $site ${apps[*]} (output in $setup_log)"
	if ! as_db_root "${frappe_cmd[@]}" new-site "$site" --admin-password admin \
		--mariadb-user-host-login-scope='%' "${apps[@]}" >"$setup_log" 2>&1; then
		tail -c 4000 "$setup_log" >&2
		exit 1
	fi
	"${frappe_cmd[@]}" --site "$site" set-config allow_tests True --parse >/dev/null
else
	"${frappe_cmd[@]}" --site "$site" clear-cache
	if "${frappe_cmd[@]}" --site "$site" list-apps 2>/dev/null | grep -q '^scoopjoy'; then
		step=(migrate --skip-search-index)
	else
		step=(install-app scoopjoy)
	fi
	echo "bench tests: ${step[*]} on $site (output in $setup_log)"
	if ! "${frappe_cmd[@]}" --site "$site" "${step[@]}" >"$setup_log" 2>&1; then
		tail -c 4000 "$setup_log" >&2
		exit 1
	fi
fi
CI=1 "${frappe_cmd[@]}" --site "$site" run-tests --app scoopjoy
# the desk in a real browser, on the same site (skipped, saying so, where the assets are not built)
bash "$repo/tools/browser_tests.sh" "$bench_dir" "$site"
