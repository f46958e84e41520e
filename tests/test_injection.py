"""No value from a grid file or a record can inject a command: Slurm settings reach the sbatch script with
no control character, a record's strings are escaped for LaTeX (labels included) and Markdown (headers
included) (issue 22, security)."""

from __future__ import annotations

import json
import re
import warnings

import pytest
from test_report_support import write_run

from irbench.errors import ConfigError
from irbench.report import build_report
from irbench.sweep.slurm import SlurmSettings

HOSTILE_LINES = ["x'\ntouch PWNED #", "gpu\n#SBATCH --wrap=id", "a\rb", "tab\there", "nul\x00"]


@pytest.mark.parametrize("key", ["comment", "partition", "account", "constraint", "time"])
@pytest.mark.parametrize("value", HOSTILE_LINES)
def test_a_control_character_in_a_slurm_setting_is_refused_by_name(key, value):
    with pytest.raises(ConfigError) as raised:
        SlurmSettings.from_values({key: value})
    assert key in str(raised.value)


@pytest.mark.parametrize("values", [{"setup": ["module load x\nrm -rf ~"]}, {"extra": {"bad key": "1"}},
                                    {"extra": {"mail-type": "END\ntouch PWNED"}}])
def test_setup_lines_and_extra_options_stay_one_line_each(values):
    with pytest.raises(ConfigError):
        SlurmSettings.from_values(values)


def test_plain_settings_still_pass():
    settings = SlurmSettings.from_values({"partition": "gpu", "comment": "it's fine", "mail-type": "END",
                                          "setup": ["module load cuda/12"]})
    assert settings.partition == "gpu" and settings.extra["mail-type"] == "END"


def test_a_record_cannot_inject_into_a_latex_label_or_caption(tmp_path):
    evil = "1}\\immediate\\write18{touch PWNED}\\label{x"
    write_run(tmp_path / "r", folder="a", task_version=evil)
    write_run(tmp_path / "r", folder="b", task_version="1.0")  # two versions: the label names the version
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = build_report(tmp_path / "r", tmp_path / "out", "latex").read_text()
    assert "\\write18" not in text and "\\immediate" not in text
    assert not re.search(r"(?<!\\)\{touch", text)  # every brace of the value is escaped
    labels = [line for line in text.splitlines() if line.startswith("\\label{")]
    boards = [line for line in labels if not line.endswith("-published}")]  # the published block has its own
    assert len(boards) == 2 and all(line.count("{") == line.count("}") == 1 for line in labels)


def test_a_metric_name_cannot_make_a_markdown_link(tmp_path):
    hostile = "[click](javascript:alert(1))"
    path = write_run(tmp_path / "r")
    from test_report_support import edit_json

    content = json.loads(path.read_text())
    edit_json(path, metrics={**content["metrics"], hostile: 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        text = build_report(tmp_path / "r", tmp_path / "out", "markdown", metrics=[hostile]).read_text()
    assert "javascript" in text and not re.search(r"(?<!\\)\]\(", text)  # no unescaped "](": no link
