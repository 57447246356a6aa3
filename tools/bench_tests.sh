#!/usr/bin/env bash
# The bench tier of the test command, on every bench this machine has:
#
#   $SCOOPJOY_BENCH    default ~/frappe-bench    (Frappe v15)
#   $SCOOPJOY_BENCH16  default ~/frappe-bench16  (Frappe v16)
#
# On each bench, two parts, each on a site made for it and dropped after it:
#
# 1. The README's install command, run as printed. The line is read from README.md (the `bash`
#    block holding `bench get-app`), with /path/to/scoopjoy replaced by this checkout and your.site
#    by a new site that passed the setup wizard (new-site with ERPNext, then ERPNext's setup wizard
#    through setup_complete, as a person does in the browser). It runs with the `bench` CLI found on
#    PATH; without one, PyPI's frappe-bench is installed into .venv/bench-cli first. Then the site
#    must hold the whole app: every DocType the app ships, its custom fields and the integration
#    user. `bench get-app` clones the checkout's committed HEAD (uncommitted changes are not in it).
#    SCOOPJOY_INSTALL_CHECK=0 skips this part, =only runs only it.
# 2. Frappe's test runner: this checkout (linked in as apps/scoopjoy, with its test extras) on a
#    site with ERPNext, then payments and erpnext_shipping where the bench has them, then scoopjoy;
#    `bench run-tests --app scoopjoy`, then the browser tier (tools/browser_tests.sh) on the same
#    site where the bench's desk assets are built.
#
# The person's bench is left as it was. Why a save and restore rather than a throwaway copy of the
# bench: a bench is not relocatable. Its env has absolute paths (script shebangs, the editable
# installs of frappe and erpnext point at <bench>/apps/...), sites/assets links to <bench>/apps, and
# frappe's esbuild resolves those links, so a copy's `bench build` writes into the original bench;
# a copy is also ~1.5 GB per bench. What the two parts change is small and known (bench 5.x's
# get-app and Frappe's build, read): apps/scoopjoy, sites/apps.txt and sites/apps.json, the env's
# packages, sites/assets, and the sites. tools/bench_state.py saves exactly those before each part
# (apps/scoopjoy is moved aside, whatever it is: absent, a link, or the directory `bench get-app`
# made, which is the normal way the app is installed), puts them back afterwards, also when the
# part fails or is interrupted, and then compares the whole state with the one it saved: a part
# that leaves the bench different fails and says what differs. Sites are dropped with their
# archive outside the bench. Two runs on one bench wait for each other (a lock per bench).
# What is not put back: Redis. `bench get-app` builds assets and Frappe's build flushes the Redis
# server of redis_cache (FLUSHALL), as it does for anyone who runs the README's command.
#
# SCOOPJOY_SITE=<site> reuses that existing site for part 2 instead (faster while developing:
# migrate, no drop; part 1 is skipped unless SCOOPJOY_INSTALL_CHECK=1). That site keeps scoopjoy
# installed, so a bench that had no scoopjoy before keeps this checkout linked in afterwards.
# The database administrator is $SCOOPJOY_DB_ROOT_USER (root) with $SCOOPJOY_DB_ROOT_PASSWORD
# (empty by default). No bench: say so and succeed (the kernel tests and the static check still ran).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
db_user="${SCOOPJOY_DB_ROOT_USER:-root}"

if [ "${1:-}" != "--bench" ]; then
	benches=()
	for candidate in "${SCOOPJOY_BENCH:-$HOME/frappe-bench}" "${SCOOPJOY_BENCH16:-$HOME/frappe-bench16}"; do
		if [ -d "$candidate/sites" ] && [ -x "$candidate/env/bin/python" ] && [ -d "$candidate/apps/frappe" ]; then
			benches+=("$(cd "$candidate" && pwd)")
		fi
	done
	if [ "${#benches[@]}" -eq 0 ]; then
		echo "bench tests: no Frappe bench on this machine (set SCOOPJOY_BENCH / SCOOPJOY_BENCH16); skipped. Kernel and static checks ran."
		exit 0
	fi
	# one process per bench: each has its own sites, clean-up trap and exit status
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
# Hypothesis keeps a cache (and, where allowed, an example database) in ./.hypothesis of the
# working directory, which for Frappe's runner is the bench's sites/: keep it in the run's own
# temporary folder instead, so the bench is left as it was found.
hypothesis_dir="$(mktemp -d "${TMPDIR:-/tmp}/scoopjoy-hypothesis.XXXXXX")"
export HYPOTHESIS_STORAGE_DIRECTORY="$hypothesis_dir"

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
state=("$bench_dir/env/bin/python" "$repo/tools/bench_state.py")
version="$(cd "$bench_dir/sites" && "$bench_dir/env/bin/python" -c 'import frappe; print(frappe.__version__)')"
install_check="${SCOOPJOY_INSTALL_CHECK:-}"
if [ -z "$install_check" ]; then
	if [ -n "${SCOOPJOY_SITE:-}" ]; then install_check=0; else install_check=1; fi
fi

# One run per bench at a time: both parts move apps/scoopjoy and rewrite apps.txt.
lock="${TMPDIR:-/tmp}/scoopjoy-bench-tests.$(printf '%s' "$bench_dir" | sha1sum | cut -c1-12).lock"
exec 9>"$lock"
if ! flock -n 9; then
	echo "bench tests: another run is using $bench_dir; waiting for it"
	flock 9
fi
for leftover in "$bench_dir"/.scoopjoy-saved.*; do
	[ -e "$leftover" ] || continue
	echo "bench tests: $leftover is left from a run that was killed: it holds what that run saved" \
		"(its apps/scoopjoy as 'app'); restore it with: ${state[*]} restore $bench_dir $leftover" >&2
	exit 1
done

# --- saving and restoring the bench (tools/bench_state.py) --------------------------------------
saved="" made_sites=() keep_app=""
save_bench() {
	saved="$(mktemp -d "$bench_dir/.scoopjoy-saved.XXXXXX")"
	"${state[@]}" save "$bench_dir" "$saved"
}
drop_site() {
	local site="$1" archive
	[ -d "$bench_dir/sites/$site" ] || return 0
	# nothing of the run may fire afterwards: its queued jobs and its Redis state go
	(cd "$bench_dir/sites" && "${frappe_cmd[@]}" --site "$site" execute scoopjoy.tests.setup.after_test_run) \
		>/dev/null 2>&1 || true
	echo "bench tests: dropping $site"
	archive="$(mktemp -d)"
	(cd "$bench_dir/sites" && as_db_root "${frappe_cmd[@]}" drop-site "$site" --force --no-backup \
		--archived-sites-path "$archive") >/dev/null 2>&1 || echo "bench tests: could not drop $site (drop it by hand)" >&2
	rm -rf "$archive"
}
restore_bench() {
	local site status=0
	for site in "${made_sites[@]}"; do drop_site "$site"; done
	made_sites=()
	if [ -n "$saved" ]; then
		if [ -n "$keep_app" ]; then
			echo "bench tests: $bench_dir keeps this checkout as apps/scoopjoy: $keep_app"
		elif ! "${state[@]}" restore "$bench_dir" "$saved" "$repo"; then
			status=1
		fi
		if [ -e "$saved/app" ] || [ -L "$saved/app" ]; then
			echo "bench tests: the bench's own apps/scoopjoy could not be put back; it is $saved/app" >&2
			status=1
		else
			rm -rf "$saved"
		fi
		saved=""
	fi
	return "$status"
}
cleanup() {
	local rc=$?
	restore_bench || rc=1
	rm -rf "$hypothesis_dir"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

setup_log() { mktemp "${TMPDIR:-/tmp}/scoopjoy-bench-$1.XXXXXX.log"; }
new_site() { # site log apps... (stdin/tty handled by as_db_root)
	local site="$1" log="$2"
	shift 2
	made_sites+=("$site")
	if ! (cd "$bench_dir/sites" && as_db_root "${frappe_cmd[@]}" new-site "$site" --admin-password admin \
		--mariadb-user-host-login-scope='%' "$@") >"$log" 2>&1; then
		tail -c 4000 "$log" >&2
		return 1
	fi
}

# --- part 1: the README's install command --------------------------------------------------------
readme_install_command() {
	# the README's install line: the first line of a ```bash block that runs `bench get-app`
	awk '/^```bash/{block=1; next} /^```/{block=0} block && /bench get-app/ {print; exit}' "$repo/README.md"
}

bench_cli_path() {
	# The PATH the README's command runs with: the bench CLI a person has on PATH, or without one,
	# PyPI's frappe-bench installed into .venv/bench-cli. bench runs `uv` (a dependency of
	# frappe-bench) and `bench build` by name; a bench whose entry point alone is on PATH (a link to
	# it, or pipx without --include-deps) stops with "No such file or directory: 'uv'", so the
	# folder bench is installed in goes after PATH when uv is not found on it.
	local cli dir
	if cli="$(command -v bench)"; then
		dir="$(dirname "$(readlink -f "$cli")")"
		if ! command -v uv >/dev/null 2>&1 && [ -x "$dir/uv" ]; then
			echo "bench tests: uv (which bench runs) is not on PATH; using the one installed with bench, $dir/uv" >&2
			echo "$PATH:$dir"
		else
			echo "$PATH"
		fi
		return
	fi
	local venv="$repo/.venv/bench-cli"
	if [ ! -x "$venv/bin/bench" ]; then
		echo "bench tests: no bench CLI on PATH; installing frappe-bench from PyPI into $venv" >&2
		python3 -m venv "$venv" >&2
		"$venv/bin/python" -m pip install --quiet --disable-pip-version-check frappe-bench >&2
	fi
	echo "$venv/bin:$PATH"
}

install_check() {
	local command site log path started
	started=$SECONDS
	command="$(readme_install_command)"
	if [ -z "$command" ] || [[ "$command" != *"/path/to/scoopjoy"* ]] || [[ "$command" != *"your.site"* ]]; then
		echo "bench tests: README.md has no install line with /path/to/scoopjoy and your.site" >&2
		return 1
	fi
	site="scoopjoy-install-$(date +%s)-$$.localhost"
	command="${command//\/path\/to\/scoopjoy/$repo}"
	command="${command//your.site/$site}"
	path="$(bench_cli_path)"

	save_bench
	# the bench as a person has it before installing: no scoopjoy anywhere
	"${state[@]}" strip "$bench_dir" "$saved"
	log="$(setup_log install)"
	echo "bench tests: [install] new-site $site with ERPNext, then its setup wizard (output in $log)"
	new_site "$site" "$log" --install-app erpnext
	# the setup wizard, as the browser submits it (a company, its chart of accounts and fiscal year)
	local args
	args="$("$bench_dir/env/bin/python" - <<'PYEOF'
import datetime, json
t = datetime.date.today()
y = t.year if t >= datetime.date(t.year, 4, 1) else t.year - 1  # Hong Kong: April to March
print(json.dumps({"args": {
    "language": "English", "country": "Hong Kong", "timezone": "Asia/Hong_Kong", "currency": "HKD",
    "company_name": "ScoopJoy Install Check", "company_abbr": "SJIC", "chart_of_accounts": "Standard",
    "fy_start_date": f"{y}-04-01", "fy_end_date": f"{y + 1}-03-31", "setup_demo": 0, "enable_telemetry": 0,
    "full_name": "Install Check", "email": "install-check@example.com",
}}))
PYEOF
)"
	if ! (cd "$bench_dir/sites" && "${frappe_cmd[@]}" --site "$site" execute \
		frappe.desk.page.setup_wizard.setup_wizard.setup_complete --kwargs "$args") >>"$log" 2>&1 ||
		! (cd "$bench_dir/sites" && "$bench_dir/env/bin/python" -c \
			'import sys, frappe; frappe.init(site=sys.argv[1]); frappe.connect(); sys.exit(0 if frappe.is_setup_complete() else 1)' \
			"$site"); then
		tail -c 4000 "$log" >&2
		echo "bench tests: [install] the setup wizard did not complete on $site" >&2
		return 1
	fi
	echo "bench tests: [install] wizard done ($((SECONDS - started)) s); the README's install command, with" \
		"$(PATH="$path" command -v bench) ($(PATH="$path" bench --version 2>/dev/null | tail -1)):"
	echo "  $command"
	local cli_started=$SECONDS
	# as a person runs it: from the bench folder, with the bench CLI; no terminal to answer prompts
	if ! (cd "$bench_dir" && PATH="$path" bash -c "$command") </dev/null >>"$log" 2>&1; then
		tail -c 6000 "$log" >&2
		echo "bench tests: [install] the README's install command FAILED on $bench_dir (output in $log)" >&2
		return 1
	fi
	echo "bench tests: [install] command done ($((SECONDS - cli_started)) s); checking the site holds the whole app"
	if ! (cd "$bench_dir/sites" && "$bench_dir/env/bin/python" "$repo/tools/check_installed_app.py" "$site"); then
		echo "bench tests: [install] $site is missing parts of the app after install-app" >&2
		return 1
	fi
	restore_bench
	echo "bench tests: [install] passed on Frappe $version in $((SECONDS - started)) s; $bench_dir is as it was"
}

echo "bench tests: Frappe $version at $bench_dir"
if [ "$install_check" != 0 ]; then
	install_check
fi
if [ "$install_check" = only ]; then
	exit 0
fi

# --- part 2: Frappe's test runner on this checkout -----------------------------------------------
site="${SCOOPJOY_SITE:-}"
fresh=""
if [ -z "$site" ]; then
	site="scoopjoy-test-$(date +%s)-$$.localhost"
	fresh=1
fi
echo "bench tests: [tests] site $site, app from $repo"
save_bench
if [ -z "$fresh" ] && [ ! -e "$saved/app" ] && [ ! -L "$saved/app" ]; then
	keep_app="$site has scoopjoy installed and the bench had no scoopjoy of its own"
fi
ln -s "$repo" "$bench_dir/apps/scoopjoy"
# with the test extras: the simulators the bench tests start need graphql-core
"$bench_dir/env/bin/python" -m pip install --quiet --disable-pip-version-check -e "$bench_dir/apps/scoopjoy[test]"
grep -qx scoopjoy "$bench_dir/sites/apps.txt" || printf '\nscoopjoy\n' >>"$bench_dir/sites/apps.txt"
sed -i '/^$/d' "$bench_dir/sites/apps.txt"

cd "$bench_dir/sites"
# Frappe renders emails with the CSS named in the asset manifest; a bench whose desk assets were
# never built (bench setup --skip-assets) has none, and every email then fails to render.
if [ ! -f assets/assets.json ]; then
	mkdir -p assets && echo '{}' >assets/assets.json
	echo "bench tests: $bench_dir has no built assets; wrote an empty assets/assets.json so emails render"
fi
log="$(setup_log tests)"
if [ -n "$fresh" ]; then
	# nothing stale from before scoopjoy was in apps.txt (the app's before_install refreshes the
	# module map itself; this is for everything else Frappe caches per bench)
	"${frappe_cmd[@]}" clear-cache >/dev/null 2>&1 || true
	apps=(--install-app erpnext)
	for optional in payments erpnext_shipping; do
		if [ -d "$bench_dir/apps/$optional" ] && grep -qx "$optional" "$bench_dir/sites/apps.txt"; then
			apps+=(--install-app "$optional")
		fi
	done
	apps+=(--install-app scoopjoy)
	echo "bench tests: [tests] new-site $site ${apps[*]} (output in $log)"
	new_site "$site" "$log" "${apps[@]}"
	"${frappe_cmd[@]}" --site "$site" set-config allow_tests True --parse >/dev/null
else
	"${frappe_cmd[@]}" --site "$site" clear-cache
	if "${frappe_cmd[@]}" --site "$site" list-apps 2>/dev/null | grep -q '^scoopjoy'; then
		step=(migrate --skip-search-index)
	else
		step=(install-app scoopjoy)
	fi
	echo "bench tests: [tests] ${step[*]} on $site (output in $log)"
	if ! "${frappe_cmd[@]}" --site "$site" "${step[@]}" >"$log" 2>&1; then
		tail -c 4000 "$log" >&2
		exit 1
	fi
fi
CI=1 "${frappe_cmd[@]}" --site "$site" run-tests --app scoopjoy
# the desk in a real browser, on the same site (skipped, saying so, where the assets are not built)
bash "$repo/tools/browser_tests.sh" "$bench_dir" "$site"
