"""Bad input, the output side: no lost file, no silent wrong result, clean signals.

One test (or one parametrised family) per kind of output target. Each asserts the exit code, one
``msdn ...`` line on stderr with no traceback, and the sha256 of every file that existed before,
unchanged. Fixtures are made in temporary folders from the bundled data; models are trained for 2
epochs. The concurrency and signal cases start real processes. """

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from msdn_numpy.dataio.benchmarks import DATA_DIR
from msdn_numpy.tools import cli, persist
from msdn_numpy.tools.cli import main
from msdn_numpy.util import files

QUICK = ["--epochs", "2", "--hidden", "8", "--quiet"]
SYNTH_TEST = DATA_DIR / "synthetic-test.arff"
ROOT = os.geteuid() == 0
MSDN = [sys.executable, "-m", "msdn_numpy"]


def run(capsys, argv: list) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def fails(capsys, argv: list, *fragments: str, code: int = 2) -> str:
    """Run ``msdn argv``: exit ``code`` and one error line holding every fragment; returns the line."""
    rc, out, err = run(capsys, argv)
    assert rc == code, (rc, out, err)
    return one_line(err, *fragments)


def one_line(err: str, *fragments: str) -> str:
    assert "Traceback" not in err, err
    ours = [line for line in err.splitlines() if line.startswith("msdn")]
    assert len(ours) == 1, err
    for fragment in fragments:
        assert fragment in ours[0], (fragment, ours[0])
    return ours[0]


def snapshot(folder: Path) -> dict[str, str]:
    """The sha256 of every regular file under ``folder`` (links and nodes by what they are)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            out[str(p)] = "link->" + os.readlink(p)
        elif stat.S_ISREG(st.st_mode):
            out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            out[str(p)] = f"node {stat.S_IFMT(st.st_mode):o} {st.st_rdev}"
    return out


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


# -- data loss ----------------------------------------------------------------------------------
def test_save_is_checked_again_at_save_time(capsys, tmp_path, monkeypatch):
    """A file that appears at the --save path during training is kept (no --force)."""
    target = tmp_path / "late.npz"
    real = cli.train_model

    def train_then_appear(*a, **kw):
        trained = real(*a, **kw)
        target.write_bytes(b"someone else's model")
        return trained

    monkeypatch.setattr(cli, "train_model", train_then_appear)
    fails(capsys, ["train", *QUICK, "--save", target], "the trained model was not saved", "late.npz", "--force")
    assert snapshot(tmp_path) == {str(target): hashlib.sha256(b"someone else's model").hexdigest()}
    assert no_temp_files(tmp_path)


def test_atomic_write_without_replace_refuses_the_loser(tmp_path):
    """The primitive: of two writers to one new name, the first to finish wins, the other is refused."""
    target = tmp_path / "same.npz"
    with pytest.raises(files.OutputError, match="--save .*same.npz.*kept.*--force"):
        with files.atomic_write(target, "w", replace=False, option="--save") as a:
            a.write("first")
            with files.atomic_write(target, "w", replace=False, option="--save") as b:
                b.write("second")
    assert target.read_text() == "second" and no_temp_files(tmp_path)


TOGETHER = """
import sys, time, pathlib
from msdn_numpy.tools import cli
me, other = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
me.touch()  # imports done: start when the other one is ready too, so both pass the check before training
deadline = time.monotonic() + 120
while not other.exists() and time.monotonic() < deadline:
    time.sleep(0.01)
sys.exit(cli.main(sys.argv[3:]))
"""


def test_two_saves_to_one_name_one_wins(tmp_path):
    """Two real `msdn train --save same.npz` at once: one exits 0, the other 2 (one line); the file is the winner's."""
    target = tmp_path / "same.npz"
    sync = tmp_path / "sync"
    sync.mkdir()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                TOGETHER,
                str(sync / str(seed)),
                str(sync / str(1 - seed)),
                "train",
                "--epochs",
                "20",
                "--patience",
                "1000",
                "--hidden",
                "8",
                "--quiet",
                "--seed",
                str(seed),
                "--save",
                str(target),
                "--json",
                str(tmp_path / f"{seed}.json"),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for seed in (0, 1)
    ]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    codes = sorted(r[0] for r in results)
    assert codes == [0, 2], results
    winner = next(i for i, r in enumerate(results) if r[0] == 0)
    loser = results[1 - winner]
    one_line(loser[2], "the trained model was not saved", "same.npz", "--force")  # refused at save time
    assert "model saved" not in loser[1]
    trained = persist.load(target)  # intact, and the winner's: its seed's metrics
    record = json.loads((tmp_path / f"{winner}.json").read_text())
    from msdn_numpy.dataio.benchmarks import load_dataset

    _, test = load_dataset("synthetic")
    assert trained.evaluate(test) == pytest.approx(record["metrics"])
    assert no_temp_files(tmp_path)


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_outputs_onto_device_nodes(capsys, model_file, tmp_path, command):
    """/dev/full and other devices are refused and left as they are; the null device is written through.

    As root, mknod copies of /dev/full and /dev/null in tmp are tried too; without root, the
    system's own /dev/full and /dev/null show the same rule (nothing is skipped either way)."""
    full_nodes: list = ["/dev/full"]
    null_nodes: list = [os.devnull]
    if ROOT:
        null_copy = tmp_path / "mynull"
        os.mknod(null_copy, 0o666 | stat.S_IFCHR, os.stat(os.devnull).st_rdev)
        full_copy = tmp_path / "myfull"
        os.mknod(full_copy, 0o666 | stat.S_IFCHR, os.stat("/dev/full").st_rdev)
        full_nodes.append(full_copy)
        null_nodes.append(null_copy)
    option = "--json" if command == "evaluate" else "--output"
    args = ["--model-file", model_file] + ([] if command == "evaluate" else [SYNTH_TEST])
    before = snapshot(tmp_path)
    full_before = os.stat("/dev/full")
    for node in full_nodes:
        fails(
            capsys, [command, *args, option, node], str(node), "a device, not a regular file", "- for standard output"
        )
    after = os.stat("/dev/full")
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (full_before.st_ino, full_before.st_rdev)
    for node in null_nodes:
        rc, _, err = run(capsys, [command, *args, option, node])
        assert rc == 0, err
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)
    assert snapshot(tmp_path) == before and no_temp_files(tmp_path)


@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_outputs_onto_a_fifo_or_a_link_are_refused(capsys, model_file, tmp_path, command):
    """The same rule without root: a FIFO (never opened, so nothing blocks) and links, e.g. to /proc/self/fd/1."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    to_stdout = tmp_path / "stdout"
    to_stdout.symlink_to("/proc/self/fd/1")
    real = tmp_path / "real.json"
    real.write_text("{}\n")
    to_file = tmp_path / "link.json"
    to_file.symlink_to(real)
    option = "--json" if command == "evaluate" else "--output"
    args = ["--model-file", model_file] + ([] if command == "evaluate" else [SYNTH_TEST])
    before = snapshot(tmp_path)
    fails(capsys, [command, *args, option, fifo], "fifo", "a FIFO, not a regular file")
    fails(capsys, [command, *args, option, to_stdout], "symbolic link", "/proc/self/fd/1", "- for standard output")
    fails(capsys, [command, *args, option, to_file], "symbolic link", "real.json", "give the path it points to")
    assert snapshot(tmp_path) == before and no_temp_files(tmp_path)


def test_dash_is_standard_output(capsys, model_file, tmp_path):
    """`--json -` and `predict --output -`: standard output, the JSON alone (the report goes to stderr)."""
    rc, out, err = run(capsys, ["evaluate", "--model-file", model_file, "--json", "-"])
    assert rc == 0, err
    assert set(json.loads(out)) == {"dataset", "model", "metrics"} and "hamming_loss" in err
    rc, out, err = run(capsys, ["predict", "--model-file", model_file, SYNTH_TEST, "--output", "-"])
    assert rc == 0 and out.startswith("row,y00") and len(out.splitlines()) == 501
    assert not (Path.cwd() / "-").exists()


def test_modes_are_kept_and_read_only_needs_force(capsys, model_file, tmp_path):
    private = tmp_path / "private.json"
    private.write_text("{}\n")
    private.chmod(0o600)
    rc, _, err = run(capsys, ["evaluate", "--model-file", model_file, "--json", private])
    assert rc == 0, err
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and "metrics" in private.read_text()
    locked = tmp_path / "locked.json"
    locked.write_text("{}\n")
    locked.chmod(0o444)
    before = snapshot(tmp_path)
    fails(capsys, ["evaluate", "--model-file", model_file, "--json", locked], "read-only (mode 444)", "--force")
    fails(capsys, ["predict", "--model-file", model_file, SYNTH_TEST, "--output", locked], "read-only", "--force")
    assert snapshot(tmp_path) == before
    rc, _, err = run(capsys, ["evaluate", "--model-file", model_file, "--json", locked, "--force"])
    assert rc == 0, err
    assert stat.S_IMODE(locked.stat().st_mode) == 0o444 and "metrics" in locked.read_text()
    assert no_temp_files(tmp_path)


# -- silent wrong results -----------------------------------------------------------------------
def test_closed_stdout_still_writes_the_files_and_exits_141(tmp_path):
    """`set -o pipefail; msdn train ... --save pipe.npz --json pipe.json | head -1`: both files, exit 141."""
    cmd = " ".join([*MSDN, "train", "--epochs", "3", "--hidden", "8", "--quiet", "--save", "pipe.npz",
                    "--json", "pipe.json"])  # fmt: skip
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {cmd} | head -1"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == cli.EXIT_BROKEN_PIPE, proc
    one_line(proc.stderr, "standard output was closed", "every file asked for was written")
    assert proc.stdout.startswith("dataset synthetic")
    persist.load(tmp_path / "pipe.npz")
    assert json.loads((tmp_path / "pipe.json").read_text())["model"] == "msdn"
    assert no_temp_files(tmp_path)


def test_stdout_to_dev_full_saves_the_model_and_says_so(tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*MSDN, "train", *QUICK, "--save", "m.npz"], cwd=tmp_path, stdout=full, stderr=subprocess.PIPE, text=True,
            timeout=300,
        )  # fmt: skip
    assert proc.returncode == 2, proc
    one_line(proc.stderr, "cannot write standard output", "No space left on device", "every file asked for was written")
    persist.load(tmp_path / "m.npz")


def test_a_model_too_large_to_load_is_refused_before_training(capsys, tmp_path, monkeypatch):
    """The save limit is the load limit (persist.MAX_BYTES); the size and the fix are named, nothing trains."""
    assert persist.too_large(persist.MAX_BYTES) is None and persist.too_large(persist.MAX_BYTES + 1)
    monkeypatch.setattr(persist, "MAX_BYTES", 20_000)  # a tiny limit stands for the 512 MiB one
    monkeypatch.setattr(cli, "train_model", lambda *a, **kw: pytest.fail("trained"))
    argv = ["train", *QUICK, "--hidden", "400", "--dtype", "float64", "--save", tmp_path / "big.npz"]
    fragments = ("big.npz", "bytes", "MiB", "could not be loaded", "--hidden", "--dtype float32", "nothing was trained")
    line = fails(capsys, argv, *fragments)
    assert "20,000" in line and list(tmp_path.iterdir()) == []


def test_save_refuses_what_load_would_refuse(model_file, tmp_path, monkeypatch):
    """persist.save itself: a model above MAX_BYTES is refused before a byte is written."""
    trained = persist.load(model_file)
    monkeypatch.setattr(persist, "MAX_BYTES", 10_000)
    with pytest.raises(ValueError, match="more than a model file may hold"):
        persist.save(trained, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    persist.load(persist.save(trained, tmp_path / "m.npz"))  # and what is saved loads


def test_results_never_land_on_data_or_model_names(capsys, model_file, tmp_path):
    """`--json a/cneg.xml` would become the label file of a/cneg.arff: refused, new or existing; inputs too."""
    a = tmp_path / "a"
    a.mkdir()
    (a / "cneg.arff").write_text(SYNTH_TEST.read_text())
    (a / "other.xml").write_text((DATA_DIR / "synthetic.xml").read_text())
    before = snapshot(tmp_path)
    base = ["evaluate", "--model-file", model_file]
    fails(capsys, [*base, "--json", a / "cneg.xml"], "cneg.xml", "a .xml name is for model and data files")
    fails(capsys, [*base, "--json", a / "other.xml"], "other.xml", "would replace an existing .xml file")
    fails(capsys, [*base, "--json", a / "cneg.arff"], "cneg.arff", "would replace an existing .arff file")
    fails(capsys, ["predict", "--model-file", model_file, a / "cneg.arff", "--output", a / "p.npz"], ".npz name")
    fails(capsys, ["predict", "--model-file", model_file, a / "cneg.arff", "--output", a / "cneg.arff"], "cneg.arff")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    "option, value, fragment",
    [
        ("--json", "", "the file name is empty"),
        ("--save", "", "the file name is empty"),
        ("--save", "newdir/", "names a folder, not a file"),
        ("--save", ".", "names a folder, not a file"),
        ("--save", "..", "names a folder, not a file"),
        ("--json", ".", "names a folder, not a file"),
        ("--json", "sub/", "names a folder, not a file"),
    ],
)
def test_empty_and_odd_output_names(capsys, tmp_path, monkeypatch, option, value, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "keep.json").write_text("{}\n")
    before = snapshot(tmp_path)
    fails(capsys, ["train", *QUICK, option, value], option, fragment)
    assert snapshot(tmp_path) == before
    assert not list(tmp_path.parent.glob("*.npz"))


# -- SIGTERM and SIGINT ------------------------------------------------------------------------
def _wait_for(stream, prefix: str) -> list[str]:
    seen = []
    for line in stream:
        seen.append(line)
        if line.startswith(prefix):
            return seen
    pytest.fail("".join(seen))


def test_sigterm_during_training_is_exit_143_and_keeps_the_old_model(model_file, tmp_path):
    target = tmp_path / "m.npz"
    target.write_bytes(model_file.read_bytes())
    before = snapshot(tmp_path)
    argv = ["train", "--epochs", "100000", "--patience", "100000", "--hidden", "8", "--save", target, "--force"]
    proc = subprocess.Popen([*MSDN, *map(str, argv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
    try:
        _wait_for(proc.stderr, "epoch")
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == cli.EXIT_SIGTERM == 143
    assert one_line(rest, "terminated (SIGTERM)") == rest.strip().splitlines()[-1]
    assert snapshot(tmp_path) == before and no_temp_files(tmp_path)


SAVE_THEN_SIGTERM = """
import os, signal, sys
import numpy as np
from msdn_numpy.tools import cli
real = np.savez
def savez(f, **arrays):
    f.write(b"x" * 100_000)  # part of the file is written, then the signal comes
    os.kill(os.getpid(), signal.SIGTERM)
    real(f, **arrays)
np.savez = savez
sys.exit(cli.main(sys.argv[1:]))
"""


def test_sigterm_during_a_save_leaves_no_temporary_file(model_file, tmp_path):
    target = tmp_path / "m.npz"
    target.write_bytes(model_file.read_bytes())
    before = snapshot(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-c", SAVE_THEN_SIGTERM, "train", *QUICK, "--save", str(target), "--force"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 143, proc
    one_line(proc.stderr, "terminated (SIGTERM)", "temporary files were removed")
    assert snapshot(tmp_path) == before and no_temp_files(tmp_path)


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


def test_sigterm_during_compare_jobs_stops_the_workers(tmp_path):
    """SIGTERM to the parent alone (as `kill PID` sends it): exit 143, one line, no worker left, no JSON."""
    out = tmp_path / "runs.json"
    cmd = [*MSDN, "compare", "--seeds", "4", "--jobs", "2", "--hidden", "8", "--json", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = _wait_for(proc.stderr, "[compare 1/")  # a training has finished: the pool is surely running
        workers = _children(proc.pid)
        assert len(workers) >= 2, workers  # two workers (and the resource tracker)
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
    err = "".join(seen) + rest
    assert proc.returncode == 143, err
    assert "Traceback" not in err and err.rstrip().endswith("msdn: terminated (SIGTERM); no file was half-written, "
                                                              "temporary files were removed")  # fmt: skip
    for _ in range(100):  # gone within moments (the parent waited for them)
        if not any(_alive(w) for w in workers):
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"workers {[w for w in workers if _alive(w)]} still running 10 s after SIGTERM")
    assert not out.exists() and no_temp_files(tmp_path)


def test_sigterm_handler_is_restored_after_main(capsys):
    before = signal.getsignal(signal.SIGTERM)
    run(capsys, ["info", "synthetic"])
    assert signal.getsignal(signal.SIGTERM) is before


# -- unclear messages --------------------------------------------------------------------------
def test_divergence_from_the_weight_decay_names_it(capsys):
    line = fails(capsys, ["train", *QUICK, "--weight-decay", "1e308"], "diverged", "--weight-decay", "lower it")
    assert "learning rate" not in line
    fails(capsys, ["train", *QUICK, "--lr", "1e300"], "diverged", "--lr")


@pytest.mark.parametrize("labels, fragment", [("labels.txt", "is not a MULAN XML file (.xml)"),
                                              ("", "--labels is empty"), ("none.xml", "no such file")])  # fmt: skip
def test_predict_labels_speaks_in_command_line_terms(capsys, model_file, tmp_path, monkeypatch, labels, fragment):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "labels.txt").write_text("y00\ny01\n")
    before = snapshot(tmp_path)
    line = fails(capsys, ["predict", "--model-file", model_file, SYNTH_TEST, "--labels", labels], fragment,
                 "--labels data.xml", "leave --labels out")  # fmt: skip
    assert "labels=[" not in line and snapshot(tmp_path) == before


def test_json_dev_null_discards_also_without_root(capsys, monkeypatch):
    """/dev/null is written through (the JSON is discarded), also where its folder is not writable (non-root)."""
    null_before = os.stat(os.devnull)
    rc, out, err = run(capsys, ["train", *QUICK, "--json", os.devnull])
    assert rc == 0 and "results written to /dev/null" in out, err
    monkeypatch.setattr(files.os, "access", lambda *a, **kw: False)  # as a user who cannot write into /dev
    rc, out, err = run(capsys, ["train", *QUICK, "--json", os.devnull])
    assert rc == 0 and "results written to /dev/null" in out, err
    after = os.stat(os.devnull)
    assert stat.S_ISCHR(after.st_mode) and (after.st_ino, after.st_rdev) == (null_before.st_ino, null_before.st_rdev)


def test_train_rows_below_the_minimum_is_refused_when_parsed(capsys):
    line = fails(capsys, ["compare", "--train-rows", "2", "--seeds", "1"], "--train-rows", f"from {cli.MIN_TRAIN_ROWS}")
    assert cli.MIN_TRAIN_ROWS == 3 and "add rows" not in line
    rc, _, err = run(capsys, ["compare", "--train-rows", "3", "--seeds", "1", "--models", "br", "--epochs", "2"])
    assert rc == 0, err


def test_output_rule_is_one_function(tmp_path):
    """The library rule: check_output takes the same arguments as before (course/gradebook.py calls it)."""
    out = tmp_path / "r.json"
    assert files.check_output(out, "--json", inputs=[("x", tmp_path / "in.arff")], keep_suffixes=(".npz",)) == out
    assert files.is_stdout("-") and not files.is_stdout("a") and files.is_null_device(os.devnull)
    files.write_text(out, "1\n")
    assert out.read_text() == "1\n"
    np.testing.assert_equal(files.check_output(str(out), "--json"), out)
