"""The README's set-up commands are the ones CI runs."""

import re

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
