#!/usr/bin/env python3
"""Save a bench's state before the test command changes it, and put it back exactly afterwards.

Used by tools/bench_tests.sh. The test command installs scoopjoy into a person's bench twice: the
README's install command (``bench get-app`` + ``install-app``) and this checkout for Frappe's test
runner. Both change the same few things, and only those (read from bench 5.x's get-app and
Frappe's build):

- ``apps/scoopjoy`` (a clone made by get-app, or a link to this checkout), and the clone's
  transient name ``apps/<checkout folder>`` before get-app renames it;
- ``sites/apps.txt`` (get-app rewrites it from a listing of ``apps/``) and ``sites/apps.json``
  (bench's app states, created by get-app when missing);
- the bench's Python environment: scoopjoy (editable), and the test extras;
- ``sites/assets``: ``bench build --app scoopjoy`` links the app's public folder and rewrites
  ``assets.json`` / ``assets-rtl.json``;
- the sites: each run makes its own site and drops it (into an archive folder outside the bench).

``save`` records these (a copy of the small files, the bench's ``sites/assets`` without following
its links to the apps, the list of installed distributions with where editable ones come from)
and moves ``apps/scoopjoy`` aside (a rename inside the bench: the same directory comes back,
whatever it is: get-app's clone with its git state, a link, or nothing). ``restore`` puts all of
it back; ``fingerprint`` prints a description of the whole state that ``restore`` compares with
the one taken at ``save`` time, so a run that could not put something back says what.

    python tools/bench_state.py save     BENCH SAVE_DIR   (run with any Python 3.10+)
    python tools/bench_state.py strip    BENCH SAVE_DIR   (the bench as a person has it before installing)
    python tools/bench_state.py restore  BENCH SAVE_DIR [CHECKOUT]   (exit 1, saying what differs, when not equal)
    python tools/bench_state.py fingerprint BENCH
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

APP = "scoopjoy"
#: the files directly in sites/ that bench or Frappe rewrite (the rest of sites/ is the sites)
SITES_FILES = ("apps.txt", "apps.json", "common_site_config.json", ".build")

# Distributions of the bench's Python environment, read by the environment's own Python (this
# script may run under another one): name -> version, and for an editable install the folder it
# was installed from and the folders its .pth files put on sys.path, with links resolved. Both:
# the folder is recorded as given (e.g. apps/scoopjoy) while the .pth is what Python imports
# from, and pip writes a link's target there where uv writes the link itself.
_LIST_DISTRIBUTIONS = r"""
import json, os, importlib.metadata as md
out = {}
for dist in md.distributions():
    name = (dist.metadata["Name"] or "").lower().replace("_", "-")
    if not name:
        continue
    where = ""
    text = dist.read_text("direct_url.json")
    if text:
        info = json.loads(text)
        if info.get("dir_info", {}).get("editable"):
            pth = sorted(
                " ".join(os.path.realpath(line) if os.path.isabs(line) else line for line in f.read_text().split())
                for f in dist.files or [] if f.name.endswith(".pth") and f.locate().exists()
            )
            where = " ".join([info["url"], *pth])
    out[name] = {"version": dist.version, "editable": where}
print(json.dumps(out, sort_keys=True))
"""


def distributions(bench: Path) -> dict[str, dict]:
	out = subprocess.run(
		[str(bench / "env" / "bin" / "python"), "-c", _LIST_DISTRIBUTIONS],
		check=True,
		capture_output=True,
		text=True,
	).stdout
	return json.loads(out)


def _sha(path: Path) -> str:
	return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _entry(path: Path) -> str:
	"""What a path is, without following a link: link -> target, dir, file with its hash."""
	if path.is_symlink():
		return f"link -> {os.readlink(path)}"
	if path.is_dir():
		return f"dir (inode {path.stat().st_ino})"
	if path.is_file():
		return f"file {_sha(path)}"
	return "missing"


def fingerprint(bench: Path) -> list[str]:
	lines = []
	apps = bench / "apps"
	for child in sorted(apps.iterdir()):
		lines.append(f"apps/{child.name}: {_entry(child)}")
	sites = bench / "sites"
	for child in sorted(sites.iterdir()):
		if child.name == "assets":
			continue
		if child.is_dir() and not child.is_symlink():
			lines.append(f"sites/{child.name}/")  # a site (its contents are the site's own business)
		else:
			lines.append(f"sites/{child.name}: {_entry(child)}")
	assets = sites / "assets"
	if assets.is_dir():
		for root, dirs, files in os.walk(assets):  # does not descend into links to the apps
			rel = Path(root).relative_to(sites)
			for name in sorted(dirs + files):
				lines.append(f"sites/{rel / name}: {_entry(Path(root) / name)}")
	for name, info in sorted(distributions(bench).items()):
		lines.append(f"env: {name}=={info['version']} {info['editable']}".rstrip())
	# bench archives removed apps and dropped sites here (the test command drops its sites elsewhere)
	for kind in ("apps", "sites"):
		folder = bench / "archived" / kind
		if folder.is_dir():
			lines.extend(f"archived/{kind}/{child.name}" for child in sorted(folder.iterdir()))
	return lines


def save(bench: Path, saved: Path) -> None:
	saved.mkdir(parents=True, exist_ok=True)
	(saved / "fingerprint").write_text("\n".join(fingerprint(bench)) + "\n")
	(saved / "distributions.json").write_text(json.dumps(distributions(bench), sort_keys=True))
	files = {}
	for name in SITES_FILES:
		path = bench / "sites" / name
		files[name] = path.exists() or path.is_symlink()
		if files[name]:
			shutil.copy2(path, saved / f"sites.{name}", follow_symlinks=False)
	(saved / "sites_files.json").write_text(json.dumps(files))
	assets = bench / "sites" / "assets"
	if assets.is_dir():
		# small: the apps' public folders inside it are links, copied as links
		shutil.copytree(assets, saved / "assets", symlinks=True)
	app = bench / "apps" / APP
	if app.exists() or app.is_symlink():
		shutil.move(app, saved / "app")  # a rename: SAVE_DIR is inside the bench


def strip(bench: Path, saved: Path) -> None:
	"""The bench as a person has it before installing the app: no apps/scoopjoy (save moved it),
	not in apps.txt, not in the environment, no assets link."""
	apps_txt = bench / "sites" / "apps.txt"
	lines = apps_txt.read_text().splitlines()
	if APP in lines:
		apps_txt.write_text("\n".join(line for line in lines if line.strip() != APP))
	link = bench / "sites" / "assets" / APP
	if link.is_symlink() or link.exists():
		_remove(link)
	if APP in distributions(bench):
		_pip(bench, "uninstall", "-y", APP)


def _remove(path: Path) -> None:
	if path.is_symlink() or path.is_file():
		path.unlink()
	elif path.is_dir():
		shutil.rmtree(path)


def _pip(bench: Path, *args: str) -> None:
	python = str(bench / "env" / "bin" / "python")
	has_pip = subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0
	if has_pip:
		command = [python, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"]
	else:  # an environment made by uv alone
		uv = shutil.which("uv") or "uv"
		command = [uv, "pip", *[a for a in args if a != "-y"], "--python", python]
	subprocess.run(command, check=True)


def restore_distributions(bench: Path, wanted: dict[str, dict]) -> None:
	now = distributions(bench)
	extra = sorted(set(now) - set(wanted))
	if extra:
		_pip(bench, "uninstall", "-y", *extra)
	for name, info in sorted(wanted.items()):
		if now.get(name) == info:
			continue
		if info["editable"]:
			path = info["editable"].split(" ")[0].removeprefix("file://")
			_pip(bench, "install", "--no-deps", "-e", path)
		else:
			_pip(bench, "install", "--no-deps", f"{name}=={info['version']}")


def restore(bench: Path, saved: Path, checkout: str | None = None) -> list[str]:
	"""Put the bench back as ``save`` found it; return the differences that remain (none: []).

	``checkout``: the folder ``bench get-app`` was given; its clone is first made under that
	folder's name, then renamed to apps/scoopjoy (removed here if a failed get-app left it)."""
	before = {line.split(":", 1)[0] for line in (saved / "fingerprint").read_text().splitlines()}
	app = bench / "apps" / APP
	if app.exists() or app.is_symlink():
		_remove(app)
	if (saved / "app").exists() or (saved / "app").is_symlink():
		shutil.move(saved / "app", app)
	if checkout:
		transient = bench / "apps" / Path(checkout).name
		if f"apps/{transient.name}" not in before and (transient.exists() or transient.is_symlink()):
			_remove(transient)
	# sites/: the files bench rewrites, byte for byte (or gone when they were not there)
	files = json.loads((saved / "sites_files.json").read_text())
	for name, existed in files.items():
		path = bench / "sites" / name
		if existed:
			if path.exists() or path.is_symlink():
				_remove(path)
			shutil.copy2(saved / f"sites.{name}", path, follow_symlinks=False)
		elif path.exists() or path.is_symlink():
			_remove(path)
	# sites/assets: what bench build wrote, back to the copy (the links to the apps included)
	if (saved / "assets").is_dir():
		subprocess.run(
			["rsync", "-a", "--delete", f"{saved / 'assets'}/", f"{bench / 'sites' / 'assets'}/"],
			check=True,
		)
	# the environment: extras out, scoopjoy (editable from where it was) back
	restore_distributions(bench, json.loads((saved / "distributions.json").read_text()))
	was = (saved / "fingerprint").read_text().splitlines()
	now = fingerprint(bench)
	return [f"- {line}" for line in was if line not in now] + [f"+ {line}" for line in now if line not in was]


def main(argv: list[str]) -> int:
	if len(argv) < 2 or argv[0] not in ("save", "strip", "restore", "fingerprint"):
		print(__doc__, file=sys.stderr)
		return 2
	bench = Path(argv[1]).resolve()
	if argv[0] == "fingerprint":
		print("\n".join(fingerprint(bench)))
		return 0
	saved = Path(argv[2])
	if argv[0] == "save":
		save(bench, saved)
	elif argv[0] == "strip":
		strip(bench, saved)
	else:
		differences = restore(bench, saved, argv[3] if len(argv) > 3 else None)
		if differences:
			print(f"bench state: {bench} is not as it was before the run:", file=sys.stderr)
			print("\n".join(differences), file=sys.stderr)
			return 1
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv[1:]))
