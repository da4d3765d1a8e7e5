"""``models/config.py``: each model's options are declared once and read everywhere.

The strongest check is the one a maintainer meets: add a field to ``MSDNConfig`` and nothing
else, and it must reach the model constructor (accepted, checked, recorded), the estimator
(a parameter with its default), the command line (an option with its range) and the
model-file checks (a saved file with it loads; a damaged value is refused).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import fields
from pathlib import Path

import pytest

import msdn_numpy
from msdn_numpy.dataio.label_orders import LABEL_ORDERS
from msdn_numpy.models import BRMLP, CONFIGS, MSDN, MSDNConfig, RethinkRNN
from msdn_numpy.nn.conv import PADDING_MODES

PACKAGE = Path(msdn_numpy.__file__).parent

PROBE = r'''
import json, sys, zipfile
import numpy as np
from msdn_numpy import MSDN, MSDNClassifier
from msdn_numpy.tools import persist
from msdn_numpy.tools.cli import build_parser
from msdn_numpy.train import TrainConfig, train_model
from msdn_numpy.dataio.datasets import Dataset

model = MSDN(4, 3, widget=5)
assert model.options.widget == 5 and model.config["widget"] == 5
try:
    MSDN(4, 3, widget=0)
except ValueError as e:
    assert "widget must be an integer from 1 to 9" in str(e), e
else:
    raise AssertionError("widget=0 accepted")
assert MSDN(4, 3).config["widget"] == 3
assert MSDNClassifier().get_params()["widget"] == 3 and MSDNClassifier(widget=7).widget == 7
args = build_parser().parse_args(["train", "--widget", "6"])
assert args.widget == 6
help_text = build_parser()._subparsers._group_actions[0].choices["train"].format_help()
assert "--widget" in help_text and "how many widgets" in help_text
rng = np.random.default_rng(0)
data = Dataset(rng.standard_normal((40, 4)), (rng.random((40, 3)) < 0.5).astype(np.uint8),
               ["a", "b", "c", "d"], ["x", "y", "z"], "toy")
trained = train_model(data, "msdn", {"widget": 8}, TrainConfig(epochs=1), log=None)
path = persist.save(trained, sys.argv[1])
assert persist.load(path).model.config["widget"] == 8
with zipfile.ZipFile(path) as zf:
    members = {n: zf.read(n) for n in zf.namelist()}
meta = json.loads(str(np.load(path)["meta"]))
meta["config"]["widget"] = 10
bad = sys.argv[1] + ".bad.npz"
arrays = {k: v for k, v in np.load(path).items()}
arrays["meta"] = np.array(json.dumps(meta))
np.savez(bad, **arrays)
try:
    persist.load(bad)
except persist.ModelFileError as e:
    assert "widget must be an integer from 1 to 9, got widget=10" in str(e), e
else:
    raise AssertionError("widget=10 loaded")
print("reached everywhere")
'''


def test_a_field_added_to_the_config_reaches_constructor_estimator_cli_and_model_files(tmp_path):
    copy = tmp_path / "msdn_numpy"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    config = copy / "models" / "config.py"
    text = config.read_text()
    anchor = '    label_order: str = option(\n'
    assert text.count(anchor) == 1
    field = '    widget: int = option(3, "how many widgets", "W", range=(1, 9))\n'
    config.write_text(text.replace(anchor, field + anchor))
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"}
    probe = subprocess.run([sys.executable, "-c", textwrap.dedent(PROBE), str(tmp_path / "m.npz")],
                           capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)  # fmt: skip
    assert probe.returncode == 0, probe.stderr[-3000:]
    assert probe.stdout.strip() == "reached everywhere"


def test_choices_are_defined_once():
    """The padding modes and label orders of MSDN's options are the tuples their modules define."""
    rules = {f.name: f.metadata for f in fields(MSDNConfig)}
    assert rules["padding_mode"]["choices"] is PADDING_MODES
    assert tuple(rules["label_order"]["choices"][: len(LABEL_ORDERS)]) == LABEL_ORDERS


@pytest.mark.parametrize(
    ("model", "options", "error", "match"),
    [
        (MSDN, dict(kernel_sizes=(10**6,)), ValueError, "every entry must be at most 64"),
        (MSDN, dict(kernel_sizes=(3,) * 17), ValueError, "17 sizes given, at most 16"),
        (MSDN, dict(kernel_sizes=(2.7,)), TypeError, r"kernel_sizes=\(2\.7,\) holds 2\.7"),
        (MSDN, dict(channels=0), ValueError, "channels must be an integer from 1 to 1024"),
        (MSDN, dict(dropout=1.0), ValueError, r"dropout must be in \[0, 1\)"),
        (MSDN, dict(dropout="0.3"), TypeError, "dropout='0.3' is not a number"),
        (MSDN, dict(padding_mode="reflect"), ValueError, "padding_mode must be one of zeros, circular"),
        (BRMLP, dict(hidden=5000), ValueError, "BRMLP: hidden must be an integer from 1 to 4096"),
        (RethinkRNN, dict(steps=0), ValueError, "RethinkRNN: steps must be an integer from 1 to 100"),
    ],
)
def test_every_option_is_checked_by_its_rule(model, options, error, match):
    with pytest.raises(error, match=match):
        model(3, 4, **options)


def test_each_model_has_its_dataclass():
    assert set(CONFIGS) == {"msdn", "br", "rnn"}
    for config in CONFIGS.values():
        for f in fields(config):
            assert f.metadata["help"], f.name  # every option documented
        config()  # the defaults pass their own checks
