"""The README's set-up commands are the ones CI runs."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


class TestReadme:
    def test_opens_with_two_setup_commands(self):
        text = (REPO / "README.md").read_text()
        block = re.search(r"```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()
        assert block == [
            "pip install . && heartbeat demo",
            "pip install -e '.[test,plot]' && python -m pytest -q",
        ]

    def test_ci_runs_both_readme_commands_in_order_in_one_venv_then_the_command(self):
        text = (REPO / "README.md").read_text()
        install, test = re.search(r"```bash\n(.*?)```", text, re.S).group(1).splitlines()
        ci = (REPO / ".ci" / "run").read_text().splitlines()
        assert ci.count(install) == ci.count(test) == 1
        assert ci.index(install) < ci.index(test) < ci.index("heartbeat demo")
        assert sum("venv" in line and "python3 -m venv" in line for line in ci) == 1


class TestDistribution:
    def test_named_heartbeat_ecg_with_the_package_version(self):
        tomllib = pytest.importorskip("tomllib")  # Python 3.11+

        import heartbeat

        project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
        assert project["name"] == "heartbeat-ecg"
        assert project["version"] == heartbeat.__version__
        assert project["scripts"]["heartbeat"] == "heartbeat.cli:main"

    def test_install_hints_name_the_distribution_quoted_for_shells(self):
        unquoted = re.compile(r"pip install [\"']?heartbeat(\[|\b(?!-ecg))")
        files = [*REPO.glob("heartbeat/**/*.py"), *REPO.glob("docs/*.md"),
                 REPO / "README.md", *REPO.glob("tests/*.py")]
        offenders = [str(f.relative_to(REPO)) for f in files
                     if f != Path(__file__) and unquoted.search(f.read_text())]
        assert offenders == []
        extras = re.compile(r"pip install (?!')\S*heartbeat-ecg\[")
        assert [f for f in files if extras.search(f.read_text())] == []


class TestTestExtraAlone:
    def test_plot_doctests_skip_without_matplotlib(self, tmp_path):
        # a matplotlib that cannot be imported, first on the path: as with '.[test]' alone
        fake = tmp_path / "matplotlib"
        fake.mkdir()
        (fake / "__init__.py").write_text("raise ImportError('matplotlib hidden by the test')\n")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
             "heartbeat/plot"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
        assert "failed" not in proc.stdout and "error" not in proc.stdout.lower()
        assert " skipped" in proc.stdout and "heartbeat-ecg[plot]" in proc.stdout
