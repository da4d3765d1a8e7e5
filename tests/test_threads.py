"""msdn_numpy.util.threads: the BLAS thread count is read back from the library itself.

Every check reads the count through ``openblas_get_num_threads`` of the OpenBLAS that
NumPy loaded (never from our own bookkeeping), so "the policy is applied" means the
library really runs with that count. Nothing here is timed.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.linalg  # noqa: F401  (loads SciPy's own OpenBLAS, which set_blas_threads also sets)

from msdn_numpy.tools import cli
from msdn_numpy.util import threads
from msdn_numpy.util.threads import (
    DEFAULT_THREADS,
    BLASNotFound,
    apply_policy,
    blas_threads,
    get_blas_threads,
    policy_threads,
    set_blas_threads,
)

if not threads.openblas_libraries():  # pragma: no cover - the pip wheels of NumPy bundle OpenBLAS
    pytest.skip("NumPy's BLAS is not an OpenBLAS here: nothing to read back", allow_module_level=True)


@pytest.fixture(autouse=True)
def _restore_count():
    before = get_blas_threads()
    yield
    set_blas_threads(before)


def test_numpy_openblas_comes_first():
    libs = threads.openblas_libraries()
    numpy_dir = os.path.dirname(np.__file__)
    assert libs[0].path.startswith(numpy_dir)  # .../numpy or .../numpy.libs


@pytest.mark.parametrize("n", [1, 2, 3])
def test_set_then_read_back(n):
    set_blas_threads(1 if n != 1 else 2)
    previous = get_blas_threads()
    assert set_blas_threads(n) == previous
    assert get_blas_threads() == n
    assert [lib.get() for lib in threads.openblas_libraries()] == [n] * len(threads.openblas_libraries())


def test_context_manager_restores():
    set_blas_threads(2)
    with blas_threads(1) as n:
        assert n == 1 and get_blas_threads() == 1
    assert get_blas_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_counts_are_refused(bad):
    with pytest.raises(ValueError, match="int >= 1"):
        set_blas_threads(bad)
    with pytest.raises(ValueError, match="int >= 1"):
        policy_threads(bad)


def test_policy_default_and_override():
    set_blas_threads(2)
    assert policy_threads() == DEFAULT_THREADS == 1
    assert apply_policy() == 1 and get_blas_threads() == 1
    assert apply_policy(2) == 2 and get_blas_threads() == 2


def test_without_openblas(monkeypatch):
    """A NumPy built on another BLAS: reading raises a clear error, the policy changes nothing."""
    monkeypatch.setattr(threads, "_loaded_paths", lambda: [])
    with pytest.raises(BLASNotFound, match="OPENBLAS_NUM_THREADS"):
        get_blas_threads()
    assert apply_policy() == 0
    assert "not set" in threads.describe_threads(0)


# -- the CLI -------------------------------------------------------------------------------
QUICK = ["--epochs", "1", "--hidden", "8"]


@pytest.mark.parametrize(("before", "option", "expected"), [(2, [], DEFAULT_THREADS), (1, ["--threads", "2"], 2),
                                                            (2, ["--threads", "1"], 1)])  # fmt: skip
def test_cli_trains_with_the_chosen_count(monkeypatch, capsys, before, option, expected):
    """The count read back *while the model trains* is the one the CLI chose and printed."""
    seen = []
    real = cli.train_model

    def spy(*args, **kwargs):
        seen.append(get_blas_threads())
        return real(*args, **kwargs)

    monkeypatch.setattr(cli, "train_model", spy)
    set_blas_threads(before)
    assert cli.main(["train", *QUICK, *option]) == 0
    assert seen == [expected]
    err = capsys.readouterr().err
    assert f"BLAS threads: {expected} of" in err
    assert ("--threads" in err.splitlines()[0]) == bool(option)


def test_cli_quiet_prints_nothing_but_still_applies(capsys):
    set_blas_threads(2)
    assert cli.main(["train", *QUICK, "--quiet"]) == 0
    assert "BLAS threads" not in capsys.readouterr().err
    assert get_blas_threads() == DEFAULT_THREADS


def test_every_subcommand_takes_threads():
    parser = cli.build_parser()
    for command, extra in [("train", []), ("evaluate", ["--model-file", "m.npz"]), ("predict", ["--model-file", "m",
                           "x.arff"]), ("compare", []), ("info", ["emotions"]), ("bench", [])]:  # fmt: skip
        assert parser.parse_args([command, *extra, "--threads", "3"]).threads == 3
    with pytest.raises(SystemExit):
        parser.parse_args(["info", "emotions", "--threads", "0"])


def test_console_script_overrides_the_environment():
    """A fresh process started with OPENBLAS_NUM_THREADS=2 trains with the policy's 1 thread."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2", MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, "-m", "msdn_numpy", "train", *QUICK], env=env, capture_output=True,
                         text=True, check=True)  # fmt: skip
    assert run.stderr.splitlines()[0].startswith(f"BLAS threads: {DEFAULT_THREADS} of")
