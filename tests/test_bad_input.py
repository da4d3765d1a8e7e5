"""Bad input never gives a silent wrong result, never destroys a file, never ends in a traceback.

One test (or one parametrised family) per kind of bad input, grouped by what it tests.
Each asserts the exit code, that stderr holds no traceback and exactly one ``msdn ...``
line naming the problem, and for the data-loss cases that the previous file is byte for
byte as it was. Fixtures are written into temporary folders from the bundled data; models
are trained for 2 epochs.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from msdn_numpy.dataio.arff_io import load_arff, read_mulan_xml
from msdn_numpy.dataio.benchmarks import DATA_DIR
from msdn_numpy.dataio.datasets import DataError
from msdn_numpy.models import CONFIGS, build_model
from msdn_numpy.tools import persist
from msdn_numpy.tools.cli import main
from msdn_numpy.util import files

QUICK = ["--epochs", "2", "--hidden", "8", "--quiet"]
SYNTH_TRAIN, SYNTH_TEST = DATA_DIR / "synthetic-train.arff", DATA_DIR / "synthetic-test.arff"
D_SYNTH, L_SYNTH = 20, 12


def run(capsys, argv: list[str]) -> tuple[int, str, str]:
    """``main(argv)``: exit code, stdout, stderr; stderr never holds a traceback."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def fails(capsys, argv: list[str], *fragments: str, code: int = 2) -> tuple[str, str]:
    """Run ``msdn argv``; assert exit ``code`` and one error line containing every fragment.

    Returns (stdout, the error line).
    """
    rc, out, err = run(capsys, argv)
    assert rc == code, (rc, out, err)
    ours = [line for line in err.splitlines() if line.startswith("msdn")]
    assert len(ours) == 1, err
    line = ours[0]
    assert line.startswith(f"msdn {argv[0]}: error: ") or line.startswith("msdn: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return out, line


def data_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """An ARFF file split into its header lines (through @data) and its dense rows as lists of cells."""
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.lower().startswith("@data"))
    rows = [line.split(",") for line in lines[at + 1 :] if line and not line.startswith("%")]
    return lines[: at + 1], rows


def write_arff(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(header + [",".join(r) for r in rows]) + "\n")
    return path


@pytest.fixture
def model_copy(model_file, tmp_path) -> Path:
    path = tmp_path / "m.npz"
    shutil.copy(model_file, path)
    return path


def members(path: Path) -> dict[str, np.ndarray]:
    """Every array of a model file, by member name without ``.npy``."""
    with zipfile.ZipFile(path) as z:
        return {
            n[: -len(".npy")]: np.lib.format.read_array(io.BytesIO(z.read(n)), allow_pickle=True) for n in z.namelist()
        }


def rewrite(src: Path, dst: Path, meta=None, **arrays: np.ndarray) -> Path:
    """Copy the model file ``src`` to ``dst`` with ``meta(dict)`` applied and members replaced.

    Member names use ``__`` for ``/`` (``scaler__scale``).
    """
    content = members(src)
    if meta is not None:
        description = json.loads(str(content["meta"]))
        meta(description)
        content["meta"] = np.array(json.dumps(description))
    content.update({k.replace("__", "/"): v for k, v in arrays.items()})
    np.savez(dst, **content)
    return dst


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


# -- evaluate checks feature names and order --------------------------------------------------------
def _swap_features(src: Path, dst: Path, i: int, j: int) -> None:
    """Features i and j swapped, names and columns together: the same data, another column order."""
    header, rows = data_rows(src)
    names = [k for k, line in enumerate(header) if line.startswith("@attribute")]
    header[names[i]], header[names[j]] = header[names[j]], header[names[i]]
    for r in rows:
        r[i], r[j] = r[j], r[i]
    write_arff(dst, header, rows)


def _rename_features(src: Path, dst: Path) -> None:
    text = src.read_text()
    for k in range(D_SYNTH):
        text = text.replace(f"@attribute x{k:02d} ", f"@attribute feature{k:02d} ")
    dst.write_text(text)


def test_evaluate_refuses_features_in_another_order_or_with_other_names(capsys, model_file, tmp_path):
    for part, src in (("train", SYNTH_TRAIN), ("test", SYNTH_TEST)):
        _swap_features(src, tmp_path / f"swapped-{part}.arff", 0, 3)
        _rename_features(src, tmp_path / f"renamed-{part}.arff")
    fails(capsys, ["evaluate", "--model-file", model_file, "--dataset", tmp_path / "swapped-train.arff"],
          "features", "feature 0 is 'x03' there, 'x00' in the model", "same order")  # fmt: skip
    fails(capsys, ["evaluate", "--model-file", model_file, "--dataset", tmp_path / "renamed-train.arff"],
          "feature 0 is 'feature00' there, 'x00' in the model")  # fmt: skip
    rc, out, _ = run(capsys, ["evaluate", "--model-file", model_file, "--dataset", "synthetic"])
    assert rc == 0 and "example_f1" in out  # the right data still evaluates


# -- --save never overwrites silently, and writes atomically ------------------------------------------
def test_save_refuses_an_existing_file_unless_force(capsys, model_copy):
    before = model_copy.read_bytes()
    out, _ = fails(capsys, ["train", *QUICK, "--save", model_copy], "already exists", "--force")
    assert out == "" and model_copy.read_bytes() == before  # refused before training, file untouched
    fails(capsys, ["train", *QUICK, "--save", model_copy.with_suffix("")], "already exists")  # .npz appended
    rc, out, _ = run(capsys, ["train", *QUICK, "--seed", "1", "--save", model_copy, "--force"])
    assert rc == 0 and "model saved" in out and model_copy.read_bytes() != before
    persist.load(model_copy)


@pytest.mark.parametrize("failure", ["disk full while writing", "disk full at fsync", "Ctrl-C while writing"])
def test_a_save_that_fails_partway_leaves_the_old_model_intact(capsys, model_copy, monkeypatch, failure):
    before = model_copy.read_bytes()
    real_savez = np.savez

    def savez_then_fail(file, **arrays):
        real_savez(file, **arrays)  # the whole archive goes to the temporary file...
        file.seek(len(before) // 2)
        file.truncate()  # ...then, half-way through, the writer fails
        if failure == "Ctrl-C while writing":
            raise KeyboardInterrupt
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fsync_fails(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if failure == "disk full at fsync":
        monkeypatch.setattr(files.os, "fsync", fsync_fails)
    else:
        monkeypatch.setattr(persist.np, "savez", savez_then_fail)
    argv = ["train", *QUICK, "--save", model_copy, "--force"]
    if failure == "Ctrl-C while writing":
        fails(capsys, argv, "msdn: interrupted", code=130)
    else:
        fails(capsys, argv, "No space", "free some space")
    assert model_copy.read_bytes() == before
    assert no_temp_files(model_copy.parent)


KILLED_WRITER = """
import sys, time
import numpy as np
from msdn_numpy.tools import persist

trained = persist.load(sys.argv[1])

def savez_and_hang(file, **arrays):
    file.write(b"PK\\x03\\x04" + bytes(4096))  # the start of an archive...
    file.flush()
    print("half written", flush=True)
    time.sleep(600)  # ...and then the process is killed

np.savez = savez_and_hang
persist.save(trained, sys.argv[1])
"""


def test_sigkill_during_a_save_leaves_the_old_model_intact(model_copy):
    before = model_copy.read_bytes()
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(model_copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "half written"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    assert model_copy.read_bytes() == before
    persist.load(model_copy)
    leftovers = [p.name for p in model_copy.parent.iterdir() if p != model_copy]
    assert len(leftovers) == 1 and leftovers[0].startswith(".m.npz.") and leftovers[0].endswith(".tmp")


def test_atomic_write_replaces_only_on_success(tmp_path):
    target = tmp_path / "out.txt"
    files.write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with files.atomic_write(target) as f:
            f.write("new, half")
            raise RuntimeError("the writer fails")
    assert target.read_text() == "old\n" and no_temp_files(tmp_path)
    files.write_text(target, "new\n")
    assert target.read_text() == "new\n" and no_temp_files(tmp_path)


# -- features near the float64 limit are standardised correctly ---------------------------------------
def _scale_features(src: Path, dst: Path, factor: float) -> None:
    header, rows = data_rows(src)
    for r in rows:
        r[:D_SYNTH] = [repr(float(v) * factor) for v in r[:D_SYNTH]]
    write_arff(dst, header, rows)


def test_features_times_1e300_train_like_the_originals(capsys, tmp_path):
    for part, src in (("train", SYNTH_TRAIN), ("test", SYNTH_TEST)):
        _scale_features(src, tmp_path / f"huge-{part}.arff", 1e300)
        _scale_features(src, tmp_path / f"plain-{part}.arff", 1.0)
    rc, plain, _ = run(capsys, ["train", *QUICK, "--dataset", tmp_path / "plain-train.arff"])
    assert rc == 0
    rc, huge, _ = run(capsys, ["train", *QUICK, "--dataset", tmp_path / "huge-train.arff"])
    assert rc == 0
    metrics = lambda out: out[out.index("test metrics") :]  # noqa: E731
    assert metrics(huge) == metrics(plain)  # standardised values agree to float32: the same run


# -- predict never prints NaN probabilities -------------------------------------------------------------
def test_predict_refuses_input_that_overflows_the_model(capsys, model_file, tmp_path):
    header, rows = data_rows(SYNTH_TEST)
    rows = rows[:5]
    rows[2][4] = "1e300"  # finite in the file, beyond float32 once standardised
    new = write_arff(tmp_path / "new.arff", header, rows)
    out, _ = fails(capsys, ["predict", "--model-file", model_file, new], "row 3", "outside the range")
    assert out == ""


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"param__encoder.0.W": "nan"}, "non-finite"),
        ({"param__head.b": "inf"}, "non-finite"),
        ({"thresholds": float("nan")}, "NaN is not a number"),
        ({"scaler__scale": 0.0}, "must be > 0"),
        ({"scaler__mean": "nan"}, "non-finite"),
    ],
)
def test_model_files_with_nan_or_zero_scale_are_refused(capsys, model_file, tmp_path, change, fragment):
    arrays, meta = {}, None
    for key, value in change.items():
        if key == "thresholds":
            meta = lambda m, v=value: m.__setitem__("thresholds", [v] * L_SYNTH)  # noqa: E731
            continue
        a = members(model_file)[key.replace("__", "/")].copy()
        a.flat[0] = float(value)
        arrays[key] = a
    bad = rewrite(model_file, tmp_path / "bad.npz", meta, **arrays)
    out, _ = fails(capsys, ["predict", "--model-file", bad, SYNTH_TEST], str(bad), fragment)
    assert out == ""
    fails(capsys, ["evaluate", "--model-file", bad], fragment)


def test_a_model_whose_parameters_broke_in_memory_refuses_to_predict(model_file):
    trained = persist.load(model_file)
    X = load_arff(SYNTH_TEST).X
    trained.model.combine.params["W"][0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="parameters are not finite"):
        trained.predict_proba(X)


# -- the predict CSV is quoted ---------------------------------------------------------------------
def test_a_label_with_a_comma_stays_one_csv_column(capsys, tmp_path):
    for part, src in (("train", SYNTH_TRAIN), ("test", SYNTH_TEST)):
        text = src.read_text().replace("@attribute y00 {0,1}", "@attribute 'amazed,suprised' {0,1}")
        (tmp_path / f"emo-{part}.arff").write_text(text)
    model = tmp_path / "emo.npz"
    assert run(capsys, ["train", *QUICK, "--dataset", tmp_path / "emo-train.arff", "--save", model])[0] == 0
    out_csv = tmp_path / "pred.csv"
    rc, _, _ = run(capsys, ["predict", "--model-file", model, tmp_path / "emo-test.arff", "--output", out_csv])
    assert rc == 0
    table = list(csv.reader(out_csv.open(newline="")))
    assert table[0][:3] == ["row", "amazed,suprised", "y01"] and len(table[0]) == 1 + L_SYNTH
    assert all(len(r) == 1 + L_SYNTH for r in table) and len(table) == 1 + 500
    rc, out, _ = run(capsys, ["predict", "--model-file", model, tmp_path / "emo-test.arff", "--proba"])
    assert list(csv.reader(io.StringIO(out)))[0][1] == "amazed,suprised"


# -- thresholds are range-checked -------------------------------------------------------------------
@pytest.mark.parametrize("threshold", [2.0, -0.1, "0.5", True])
def test_thresholds_outside_0_1_are_refused(capsys, model_file, tmp_path, threshold):
    bad = rewrite(model_file, tmp_path / "bad.npz", lambda m: m["thresholds"].__setitem__(0, threshold))
    fails(capsys, ["predict", "--model-file", bad, SYNTH_TEST], "'thresholds' must be 12 numbers in [0, 1]")


# -- training options are checked where they enter ---------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["train", "--patience", "0"], ["argument --patience", "integer from 1"]),
        (["train", "--patience", "-1"], ["argument --patience", "got '-1'"]),
        (["train", "--dropout", "-0.5"], ["argument --dropout", ">= 0 and < 1"]),
        (["train", "--dropout", "nan"], ["argument --dropout", "finite"]),
        (["train", "--dropout", "1"], ["argument --dropout", "< 1"]),
        (["train", "--lr", "nan"], ["argument --lr", "finite number > 0"]),
        (["train", "--lr", "inf"], ["argument --lr", "got 'inf'"]),
        (["train", "--lr", "0"], ["argument --lr", "> 0"]),
        (["train", "--weight-decay", "nan"], ["argument --weight-decay", "finite number >= 0"]),
        (["train", "--weight-decay=-1e-4"], ["argument --weight-decay", ">= 0"]),
        (["train", "--epochs", "0"], ["argument --epochs", "integer from 1"]),
        (["train", "--batch-size", "0"], ["argument --batch-size", "integer from 1"]),
        (["compare", "--seeds", "0"], ["argument --seeds", "integer from 1"]),
        (["compare", "--seeds", "-3"], ["argument --seeds"]),
        (["bench", "--threads", "0"], ["argument --threads"]),
    ],
)
def test_bad_training_options_are_refused_before_training(capsys, argv, fragments):
    out, _ = fails(capsys, argv, *fragments)
    assert out == ""


def test_a_learning_rate_that_diverges_stops_with_a_message(capsys):
    _, line = fails(
        capsys, ["train", "--epochs", "3", "--hidden", "8", "--quiet", "--lr", "1e30"], "diverged at epoch 1"
    )
    assert "lower the learning rate" in line


def test_the_python_api_refuses_them_too():
    from msdn_numpy.train import TrainConfig

    for bad in ({"patience": 0}, {"lr": float("nan")}, {"lr": float("inf")}, {"weight_decay": float("nan")}):
        with pytest.raises(ValueError, match="must be"):
            TrainConfig(**bad)
    for dropout in (-0.5, float("nan"), 1.0):
        with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
            build_model("msdn", 4, 3, dropout=dropout)


# -- predict --output never overwrites the model or the input ------------------------------------------------
def test_predict_output_cannot_be_the_model_or_the_input(capsys, model_copy, tmp_path):
    new = tmp_path / "new.arff"
    shutil.copy(SYNTH_TEST, new)
    model_before, input_before = model_copy.read_bytes(), new.read_bytes()
    fails(capsys, ["predict", "--model-file", model_copy, new, "--output", model_copy], "is the --model-file")
    fails(capsys, ["predict", "--model-file", model_copy, new, "--output", new], "is the input ARFF file")
    link = tmp_path / "link.arff"
    link.symlink_to(new)
    fails(capsys, ["predict", "--model-file", model_copy, link, "--output", new], "is the input ARFF file")
    other_dir = tmp_path / "sub"
    other_dir.mkdir()
    fails(capsys, ["predict", "--model-file", model_copy, new, "--output", other_dir / ".." / "m.npz"], "--model-file")
    assert model_copy.read_bytes() == model_before and new.read_bytes() == input_before


def test_no_output_replaces_a_model_or_data_file(capsys, model_copy, tmp_path):
    before = model_copy.read_bytes()
    out, _ = fails(capsys, ["train", *QUICK, "--json", model_copy], "existing .npz file")
    assert out == ""
    fails(capsys, ["train", *QUICK, "--json", SYNTH_TRAIN], "input file of the dataset")
    fails(capsys, ["evaluate", "--model-file", model_copy, "--json", model_copy], "is the --model-file")
    fails(capsys, ["train", *QUICK, "--save", tmp_path / "x.npz", "--json", tmp_path / "x.npz"], "--save model file")
    assert model_copy.read_bytes() == before


# -- a model file is bounded before it is decompressed --------------------------------------------------------
def _declare_size(path: Path, member: str, size: int) -> None:
    """Make the zip directory say ``member`` unpacks to ``size`` bytes (the data stays as it is)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = 0
    while True:  # the central directory's entries
        at = data.index(b"PK\x01\x02", at)
        n = struct.unpack("<H", data[at + 28 : at + 30])[0]
        if data[at + 46 : at + 46 + n] == name:
            data[at + 24 : at + 28] = struct.pack("<I", size)
            break
        at += 4
    path.write_bytes(bytes(data))


def test_an_extra_member_is_refused_by_name(capsys, model_copy):
    with zipfile.ZipFile(model_copy, "a") as z:
        z.writestr("extra.npy", b"x" * 1000)
    _declare_size(model_copy, "extra.npy", 2**31)  # "1 GB": never decompressed
    fails(capsys, ["predict", "--model-file", model_copy, SYNTH_TEST], "unexpected member 'extra.npy'")


def test_an_oversize_member_is_refused_before_decompression(capsys, model_copy, monkeypatch):
    _declare_size(model_copy, "param/encoder.0.W.npy", 2**31)
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a) or 1 / 0)
    fails(capsys, ["predict", "--model-file", model_copy, SYNTH_TEST], "would unpack to 2,147,483,648 bytes")
    assert opened == []  # refused from the zip directory alone


def test_too_many_members_are_refused(capsys, model_copy):
    with zipfile.ZipFile(model_copy, "a") as z:
        for i in range(persist.MAX_MEMBERS):
            z.writestr(f"param/p{i}.npy", b"")
    fails(capsys, ["predict", "--model-file", model_copy, SYNTH_TEST], "members, more than a model file has")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("hidden", 10**9, "hidden must be an integer from 1 to 4096, got hidden=1000000000"),
        ("hidden", 1e9, "hidden=1000000000.0 is not an integer"),
        ("hidden", 4000, "needs at least"),  # within the limit, but not what the file holds
        ("embed_dim", -2, "embed_dim=-2"),
        ("kernel_sizes", [3, 10**6], "kernel_sizes="),
        ("D", 21, "but 20 feature and 12 label names"),
        ("surprise", 1, "unknown config entry 'surprise'"),
    ],
)
def test_config_values_are_checked_before_building(capsys, model_file, tmp_path, monkeypatch, key, value,
                                                          fragment):  # fmt: skip
    bad = rewrite(model_file, tmp_path / "bad.npz", lambda m: m["config"].__setitem__(key, value))
    monkeypatch.setattr(persist, "build_model", lambda *a, **k: pytest.fail("built from a damaged config"))
    fails(capsys, ["predict", "--model-file", bad, SYNTH_TEST], "damaged", fragment)


# -- which nominal features are kept depends on the header only ------------------------------------------------
NOMINAL_HEADER = """@relation 'nominal: -C -1'
@attribute 'song id' {s1,s2,s3,s4,s5,s6}
@attribute shade {light,mid,dark}
@attribute "my feature" numeric
@attribute trackId {a,b}
@attribute lab {0,1}
@data
"""


def test_nominal_columns_do_not_depend_on_the_row_count(tmp_path, capsys):
    cells = ["s1,light,0.5,a,1", "s2,mid,1.5,b,0", "s3,dark,2.5,a,1", "s4,mid,3.5,b,0"]
    small = tmp_path / "small.arff"
    small.write_text(NOMINAL_HEADER + "\n".join(cells[:3]) + "\n")
    large = tmp_path / "large.arff"
    large.write_text(NOMINAL_HEADER + "\n".join(cells * 500) + "\n")
    a, b = load_arff(small), load_arff(large)
    assert a.feature_names == b.feature_names == ["shade=light", "shade=mid", "shade=dark", "my feature"]
    err = capsys.readouterr().err
    assert "'song id'" in err and "'trackId'" in err and "identifier" in err
    many = tmp_path / "many.arff"
    values = ",".join(f"v{i}" for i in range(101))
    header = f"@relation 'm: -C -1'\n@attribute code {{{values}}}\n@attribute x numeric\n@attribute lab {{0,1}}\n"
    many.write_text(header + "@data\nv0,1,0\nv1,2,1\n")
    assert load_arff(many).feature_names == ["x"]
    assert "more than 100 values" in capsys.readouterr().err


def test_predict_on_a_3_row_file_with_a_nominal_feature(capsys, tmp_path):
    for part, src in (("train", SYNTH_TRAIN), ("test", SYNTH_TEST)):
        header, rows = data_rows(src)
        at = header.index("@attribute x00 numeric")
        header.insert(at, "@attribute shade {light,mid,dark}")
        rows = [[("light", "mid", "dark")[i % 3], *r] for i, r in enumerate(rows)]
        write_arff(tmp_path / f"nom-{part}.arff", header, rows)
    model = tmp_path / "nom.npz"
    assert run(capsys, ["train", *QUICK, "--dataset", tmp_path / "nom-train.arff", "--save", model])[0] == 0
    header, rows = data_rows(tmp_path / "nom-test.arff")
    small = write_arff(tmp_path / "small.arff", header, rows[:3])
    rc, out, _ = run(capsys, ["predict", "--model-file", model, small])
    assert rc == 0 and len(out.splitlines()) == 4


# -- '?' labels in a predict input; messages suggest only what exists -----------------------------------------
def test_unlabelled_rows_predict(capsys, model_file, tmp_path):
    header, rows = data_rows(SYNTH_TEST)
    rows = [r[:D_SYNTH] + ["?"] * L_SYNTH for r in rows[:7]]  # Weka's unlabelled rows
    new = write_arff(tmp_path / "new.arff", header, rows)
    rc, out, _ = run(capsys, ["predict", "--model-file", model_file, new])
    assert rc == 0 and len(out.splitlines()) == 8
    labelled = write_arff(tmp_path / "labelled.arff", *data_rows(SYNTH_TEST))
    rc, same, _ = run(capsys, ["predict", "--model-file", model_file, labelled])
    assert rc == 0 and same.splitlines()[:8] == out.splitlines()  # label values never matter


def test_messages_do_not_suggest_missing_cli_options(capsys, model_file, tmp_path):
    header, rows = data_rows(SYNTH_TEST)
    rows = rows[:5]
    rows[1][2] = "?"
    new = write_arff(tmp_path / "new.arff", header, rows)
    _, line = fails(capsys, ["predict", "--model-file", model_file, new], "'x02' is missing", "in the file")
    assert "from Python" in line  # impute="mean" is named as the Python argument it is
    header, rows = data_rows(SYNTH_TRAIN)
    write_arff(tmp_path / "one-train.arff", header, rows[:1])
    write_arff(tmp_path / "one-test.arff", header, rows[1:5])
    _, line = fails(capsys, ["train", *QUICK, "--dataset", tmp_path / "one-train.arff"], "too few", "add rows")
    assert "from Python" in line


# -- errors that used to end in a traceback -------------------------------------------------------------
def test_output_paths_are_checked_before_training(capsys, tmp_path):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    (tmp_path / "dir.npz").mkdir()
    cases = [
        (["--save", tmp_path / "missing" / "m.npz"], "does not exist"),
        (["--save", a_file / "m.npz"], "is a file, not a folder"),  # was FileExistsError / NotADirectoryError
        (["--save", tmp_path / "dir.npz"], "is a folder"),  # was IsADirectoryError
        (["--json", tmp_path], "is a folder"),
        (["--json", tmp_path / "missing" / "r.json"], "does not exist"),
    ]
    for extra, fragment in cases:
        out, _ = fails(capsys, ["train", *QUICK, *extra], fragment)
        assert out == ""  # nothing was trained
    fails(capsys, ["compare", "--seeds", "1", "--json", tmp_path / "missing" / "r.json"], "does not exist")
    fails(capsys, ["evaluate", "--model-file", tmp_path / "m.npz", "--json", tmp_path], "is a folder")
    fails(capsys, ["bench", "--quick", "--json", tmp_path / "missing" / "b.json"], "does not exist")
    fails(capsys, ["bench", "--quick", "--figures", a_file], "is a file")


def test_os_errors_are_one_line(capsys, model_file, tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "r.json"))

    monkeypatch.setattr(files, "open", refuse, raising=False)
    fails(capsys, ["evaluate", "--model-file", model_file, "--json", tmp_path / "r.json"], "Permission denied",
          "r.json")  # fmt: skip


def test_info_on_a_folder(capsys, tmp_path):
    folder = tmp_path / "data.arff"
    folder.mkdir()
    fails(capsys, ["info", folder], "is a folder")
    fails(capsys, ["info", tmp_path], "is a folder", "--data-dir")
    with pytest.raises(DataError, match="is a folder"):
        load_arff(folder)


@pytest.mark.parametrize(
    ("arrays", "meta", "fragment"),
    [
        ({"version": np.array([1, 1])}, None, "version [1, 1] is not a single integer"),
        ({"version": np.array("one")}, None, "version one is not a single integer"),
        ({"version": np.array(1.9)}, None, "version 1.9 is not a single integer"),
        ({"version": np.array(True)}, None, "is not a single integer"),
        ({"scaler__mean": np.array(["a"] * D_SYNTH)}, None, "member 'scaler/mean' is not a plain array"),
        ({}, ("dtype", "object"), "dtype 'object' is not 'float32' or 'float64'"),
        ({}, ("kind", "transformer"), "unknown model kind 'transformer'"),
        ({}, ("feature_names", list(range(D_SYNTH))), "'feature_names' is not a list of strings"),
        ({}, ("label_names", ["a"] * L_SYNTH), "'label_names' lists a name twice"),
        ({}, ("label_names", [f"y{j}" for j in range(L_SYNTH - 1)]), "but 20 feature and 11 label names"),
        ({"param__combine.b": np.zeros(1, dtype=np.float64)}, None, "parameter 'combine.b' is float64"),
        ({"param__combine.b": np.zeros(2, dtype=np.float32)}, None, "expected float32 (1,)"),
        ({"param__head.W": np.full((8, 12), 3e38, dtype=np.float32)}, None,
         "the model file is damaged: parameter 'head.W' holds 3e+38, far beyond any trained weight"),
        ({"param__combine.b": np.full(1, -2e6, dtype=np.float32)}, None, "parameter 'combine.b' holds 2e+06"),
    ],
)
def test_damaged_model_descriptions_are_one_line(capsys, model_file, tmp_path, arrays, meta, fragment):
    change = None if meta is None else (lambda m: m.__setitem__(*meta))
    bad = rewrite(model_file, tmp_path / "bad.npz", change, **arrays)
    fails(capsys, ["predict", "--model-file", bad, SYNTH_TEST], str(bad), fragment)


def test_hidden_0_and_the_python_api():
    with pytest.raises(ValueError, match="MSDN: hidden must be an integer from 1 to 4096"):  # named where it is given
        build_model("msdn", 20, 12, hidden=0)


def test_sigint_during_training_is_one_line_and_exit_130(model_copy):
    before = model_copy.read_bytes()
    argv = ["train", "--epochs", "100000", "--patience", "100000", "--hidden", "8", "--save", model_copy, "--force"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "msdn_numpy", *map(str, argv)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        for line in proc.stderr:  # wait until training runs: the first epoch line
            if line.startswith("epoch"):
                break
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130
    assert "Traceback" not in rest
    assert rest.strip().splitlines()[-1] == "msdn: interrupted"
    assert sum(line.startswith("msdn") for line in rest.splitlines()) == 1
    assert model_copy.read_bytes() == before and no_temp_files(model_copy.parent)


# -- ARFF encodings, BOM, long lines, duplicate sparse indices; model files that are not archives -----------------
def test_non_utf8_arff_names_the_file_and_the_encoding(capsys, tmp_path):
    text = SYNTH_TEST.read_text()
    latin1 = tmp_path / "latin1.arff"
    latin1.write_bytes(("% café au lait\n" + text).encode("latin-1"))
    utf16 = tmp_path / "utf16.arff"
    utf16.write_bytes(text.encode("utf-16"))
    noise = tmp_path / "noise.arff"
    noise.write_bytes(np.random.default_rng(0).bytes(3000))
    fails(capsys, ["info", latin1], "latin1.arff", "not UTF-8", "line 1", "iconv")
    fails(capsys, ["info", utf16], "utf16.arff", "UTF-16")
    fails(capsys, ["info", noise], "noise.arff", "UTF-8")


def test_a_utf8_byte_order_mark_is_accepted(capsys, tmp_path):
    text = "".join(line for line in SYNTH_TEST.read_text().splitlines(True) if not line.startswith("%"))
    assert text.startswith("@relation")  # the mark right before @relation used to hide it
    (tmp_path / "plain.arff").write_text(text)
    (tmp_path / "bom.arff").write_bytes(b"\xef\xbb\xbf" + text.encode())
    rc, with_bom, _ = run(capsys, ["info", tmp_path / "bom.arff"])
    assert rc == 0
    rc, without, _ = run(capsys, ["info", tmp_path / "plain.arff"])
    assert rc == 0 and with_bom.splitlines()[1:] == without.splitlines()[1:]


def test_a_syntax_error_quotes_a_short_piece_of_the_line(capsys, tmp_path):
    header, rows = data_rows(SYNTH_TEST)
    rows[2] = ["1.0"] * 2000  # a 8 KB row with the wrong number of values
    bad = write_arff(tmp_path / "bad.arff", header, rows)
    line_number = len(header) + 3
    _, line = fails(capsys, ["info", bad], f"bad.arff, line {line_number}: ARFF syntax error", "wrong number of values")
    assert len(line) < 300 and "1.0,1.0" in line and "…" in line


def test_a_duplicate_sparse_index_is_refused(capsys, fixtures_dir, tmp_path):
    shutil.copy(fixtures_dir / "sparse.xml", tmp_path / "dup.xml")
    text = (fixtures_dir / "sparse.arff").read_text().replace("{1 1,2 2.5,5 1}", "{1 1,2 2.5,2 7,5 1}")
    (tmp_path / "dup.arff").write_text(text)
    with pytest.raises(DataError, match=r"dup.arff, line 12: sparse row gives attribute index 2 twice"):
        load_arff(tmp_path / "dup.arff")
    quoted = text.replace("{1 1,2 2.5,2 7,5 1}", "{1 1,2 2.5,5 1}").replace(
        "@attribute w3 numeric", "@attribute w3 string"
    )
    (tmp_path / "dup.arff").write_text(quoted.replace("{0 1,3 -1,4 1,5 1}", "{0 1,3 '2 x, 3 y',4 1,5 1}"))
    assert load_arff(tmp_path / "dup.arff").n_samples == 3  # a comma inside a quoted value is not an index


@pytest.mark.parametrize("content", ["random bytes", "raw pickle", "pickled member"])
def test_model_files_that_are_not_archives_never_mention_allow_pickle(capsys, tmp_path, content):
    bad = tmp_path / "bad.npz"
    if content == "random bytes":
        bad.write_bytes(np.random.default_rng(0).bytes(5000))
    elif content == "raw pickle":
        bad.write_bytes(pickle.dumps({"format": "msdn_numpy-model", "weights": [1.0, 2.0]}))
    else:
        version = np.array(persist.FORMAT_VERSION)
        np.savez(bad, format=np.array("msdn_numpy-model"), version=version, meta=np.array([{"a": 1}], dtype=object))
    expected = "pickled Python objects" if content == "pickled member" else "not an msdn_numpy model file"
    _, line = fails(capsys, ["predict", "--model-file", bad, SYNTH_TEST], expected)
    assert "allow_pickle" not in line


# -- option messages name the option; MSDN's options with another model --------------------------------------------
@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--embed-dim", "-2"], "argument --embed-dim: expected an integer from 1 to 1024, got '-2'"),
        (["--embed-dim", "0"], "argument --embed-dim"),
        (["--hidden", "-1"], "argument --hidden: expected an integer from 1 to 4096"),
        (["--hidden", "0"], "argument --hidden"),
        (["--hidden", "100000"], "argument --hidden"),
        (["--hidden", "1e9"], "argument --hidden"),
        (["--seed", "-1"], "argument --seed: expected an integer from 0"),
        (["--channels", "0"], "argument --channels"),
        (["--kernel-sizes", "3", "0"], "argument --kernel-sizes"),
        (["--kernel-sizes", *["3"] * 17], "--kernel-sizes: kernel_sizes: 17 sizes given, at most 16"),
    ],
)
def test_option_errors_name_the_option(capsys, argv, fragment):
    out, _ = fails(capsys, ["train", *argv], fragment)
    assert out == ""


@pytest.mark.parametrize("model", ["rnn", "br"])
def test_msdn_options_with_another_model_are_refused(capsys, model):
    argv = ["train", "--model", model, "--embed-dim", "4", "--label-order", "given"]
    out, _ = fails(capsys, argv, "--embed-dim, --label-order apply to --model msdn only", "remove them")
    assert out == ""
    fails(capsys, ["train", "--model", model, "--padding-mode", "circular"], "--padding-mode applies")


def test_compare_help_says_which_rows_each_model_option_applies_to(capsys):
    assert main(["compare", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    msdn_only = set(CONFIGS["msdn"].__dataclass_fields__) - set(CONFIGS["br"].__dataclass_fields__) - set(
        CONFIGS["rnn"].__dataclass_fields__
    )
    assert len(msdn_only) == 9  # --embed-dim, --label-dim, --free-channels, --rank, --channels, --kernel-sizes, ...
    assert help_text.count("msdn rows only") == len(msdn_only)
    assert help_text.count("rnn rows only") == 1  # --steps


# -- regression tests ---------------------------------------------------------
def test_xml_bombs_and_external_entities_are_refused(tmp_path):
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(f'<?xml version="1.0"?><!DOCTYPE labels [<!ENTITY l0 "lol">{laughs}]>'
                    '<labels><label name="&l9;"/></labels>')  # fmt: skip
    with pytest.raises(DataError, match="bomb.xml: not valid XML"):
        read_mulan_xml(bomb)
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    xxe = tmp_path / "xxe.xml"
    xxe.write_text(f'<?xml version="1.0"?><!DOCTYPE labels [<!ENTITY x SYSTEM "file://{secret}">]>'
                   '<labels><label name="&x;"/></labels>')  # fmt: skip
    with pytest.raises(DataError, match="xxe.xml: not valid XML"):
        read_mulan_xml(xxe)


def test_a_saved_model_loads_back_exactly(model_file, tmp_path):
    again = persist.load(model_file)
    copy = persist.save(again, tmp_path / "again.npz")
    assert members(copy).keys() == members(model_file).keys()
    for key, value in members(model_file).items():
        assert np.array_equal(members(copy)[key], value), key


@pytest.mark.parametrize("name", ["msdn_v2", "br_v2", "rnn_v2"])
def test_model_files_saved_before_the_renames_still_load_and_predict_the_same(name, tmp_path):
    """Format 2 (``relation``, ``relations.0.W3``, ``readout.W``) is read with today's names; the
    probabilities are those the files' own code gave (saved beside them), to float32 rounding."""
    folder = Path(__file__).parent / "fixtures" / "models_v2"
    trained = persist.load(folder / f"{name}.npz")
    expected = json.loads((folder / "expected.json").read_text())[name]
    test = load_arff(SYNTH_TEST)
    np.testing.assert_allclose(trained.predict_proba(test.X[:5]), expected, rtol=0, atol=1e-6)
    if name == "msdn_v2":
        assert trained.model.config["embedding"] == "label" and "relation" not in trained.model.config
        assert [n for n, _, _ in trained.model.named_parameters()][-2:] == ["combine.W", "combine.b"]
    resaved = persist.save(trained, tmp_path / "m.npz")  # today's format, today's names
    assert int(members(resaved)["version"]) == persist.FORMAT_VERSION == 3
    np.testing.assert_array_equal(persist.load(resaved).predict_proba(test.X[:5]), trained.predict_proba(test.X[:5]))
