"""The README's set-up commands are the ones CI runs."""

import os
import re
import subprocess
import sys

from conftest import REPO


class TestReadme:
    def test_opens_with_two_setup_commands(self):
        text = (REPO / "README.md").read_text()
        block = re.search(r"```bash\n(.*?)```", text, re.S).group(1).strip().splitlines()
        assert block == [
            "pip install . && heartbeat demo",
            "pip install -e '.[test,plot]' && python -m pytest -q",
        ]

    def test_ci_runs_the_readme_test_command(self):
        text = (REPO / "README.md").read_text()
        test_command = re.search(r"```bash\n(.*?)```", text, re.S).group(1).splitlines()[1]
        assert test_command in (REPO / ".ci" / "run").read_text().splitlines()


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
