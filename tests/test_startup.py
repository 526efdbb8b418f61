"""What `aigov check` imports: it runs on every pull request, so it must not load what only other
commands use (evidence bundles, scaffolding, SBOM generation) or the heavy libraries behind them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE

# Packages a check of a valid repository never needs: `aigov evidence`, `aigov new/update`,
# `aigov sbom generate`, and the libraries they (or a built release's signature check) use.
NOT_FOR_A_CHECK = ("aigov.evidence", "aigov.scaffold", "aigov.sbom.generate", "copier", "sigstore", "cyclonedx", "requests")


# Runs a check in this interpreter, then names what it loaded (sys.modules also holds what
# importlib.import_module loaded, which ``-X importtime`` does not log).
PROBE = """import sys
from aigov.cli import main
sys.argv = ["aigov", "check", sys.argv[1]]
try:
    main()
except SystemExit as exit:
    print("loaded:", exit.code, *sorted(sys.modules), file=sys.stderr)
"""


def loaded_modules(stderr: str) -> set[str]:
    """The modules the check loaded: those left in sys.modules, and every one ``python -X importtime``
    logged (which covers the forked child that collects the SBOM and signature facts)."""
    modules = {line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if line.startswith("import time:") and "|" in line}
    for line in stderr.splitlines():
        if line.startswith("loaded: "):
            assert line.split()[1] == "0", stderr  # the example passes
            modules.update(line.split()[2:])
    return modules


def test_a_check_loads_nothing_only_other_commands_need(tmp_path: Path) -> None:
    """A check of the bundled example, in a fresh interpreter, passes without importing any of NOT_FOR_A_CHECK."""
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE, example)
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", PROBE, str(example)], capture_output=True, text=True, timeout=120)
    modules = loaded_modules(run.stderr)
    assert "aigov.check" in modules and "aigov.facts.evals" in modules, run.stderr  # both sources were read
    loaded = sorted(m for m in modules if any(m == name or m.startswith(name + ".") for name in NOT_FOR_A_CHECK))
    assert loaded == []
