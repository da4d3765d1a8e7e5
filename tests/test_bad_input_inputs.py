"""Bad input, the input side: one rule for every input file, bounded reads, checked arguments.

One test per kind of bad input file or argument. Every input file is
opened by :mod:`msdn_numpy.util.inputs` (regular files only, size checked before reading),
ARFF headers are checked line by line, and the library's entry points name the argument
that is wrong. Each command-line case asserts exit 2, one ``msdn ...`` line on stderr
with no traceback, and that every file that existed before is byte for byte unchanged.
FIFOs and symlinks stand in for the device cases where a non-root variant shows the
same rule; memory-heavy inputs are refused before anything is allocated, so the tests
are fast.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import signal
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from msdn_numpy.dataio import arff_io
from msdn_numpy.dataio.arff_io import load_arff
from msdn_numpy.dataio.benchmarks import DATA_DIR, load_dataset
from msdn_numpy.dataio.datasets import Dataset
from msdn_numpy.models import BRMLP, MSDN, RethinkRNN
from msdn_numpy.tools.cli import main
from msdn_numpy.train import TrainConfig, train_model
from msdn_numpy.util.inputs import InputError, read_input

QUICK = ["--epochs", "2", "--hidden", "8", "--quiet"]
SYNTH_TRAIN, SYNTH_TEST, SYNTH_XML = (DATA_DIR / f"synthetic{end}" for end in ("-train.arff", "-test.arff", ".xml"))


# -- helpers ------------------------------------------------------------------------------------------------
def digests(*folders: Path) -> dict[str, str]:
    """sha256 of every regular file under the folders (links and special files are not read)."""
    out = {}
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.is_file() and not p.is_symlink():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


class _Hang(Exception):
    pass


def _alarm(signum, frame):  # pragma: no cover - only when a read blocks, which is the bug
    raise _Hang("the command blocked on its input")


def refused(capsys, argv: list, *fragments: str, folders: tuple[Path, ...] = ()) -> str:
    """Run ``msdn argv``: exit 2, one error line holding every fragment, no traceback, no file changed.

    A guard alarm turns a blocking read (the bug) into a failure instead of a hung suite.
    """
    watched = (*folders, DATA_DIR)
    before = digests(*watched)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(120)
    try:
        code = main([str(a) for a in argv])
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    assert code == 2, (code, out, err)
    ours = [line for line in err.splitlines() if line.startswith("msdn")]
    assert len(ours) == 1 and ours[0].startswith(f"msdn {argv[0]}: error: "), err
    for fragment in fragments:
        assert fragment in ours[0], (fragment, ours[0])
    assert digests(*watched) == before
    return ours[0]


def arff_text(header: list[str], rows: list[str], relation: str = "'t: -C -1'") -> str:
    return "\n".join([f"@relation {relation}", *header, "@data", *rows]) + "\n"


def small_arff(path: Path, extra_header: list[str] = (), extra_rows: int = 0) -> Path:
    """A 2-feature, 1-label file (last attribute, -C -1) with a few rows."""
    header = ["@attribute a numeric", "@attribute b numeric", *extra_header, "@attribute y {0,1}"]
    rows = [f"{i},{i % 3}," + ("1," * len(extra_header)) + f"{i % 2}" for i in range(6 + extra_rows)]
    path.write_text(arff_text(header, rows))
    return path


def rewrite_npz(src: Path, dst: Path, compression: int = zipfile.ZIP_STORED, **changes: np.ndarray) -> Path:
    """Copy a model file member by member (changing some), with the given zip compression."""
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays.update({k.replace("__", "/"): v for k, v in changes.items()})
    with zipfile.ZipFile(dst, "w", compression) as zf:
        for name, a in arrays.items():
            with zf.open(name + ".npy", "w") as f:
                np.lib.format.write_array(f, np.asanyarray(a), allow_pickle=False)
    return dst


def corrupt_members(path: Path, skip: int) -> None:
    """Overwrite each member's compressed data (after ``skip`` bytes of stream header) with 0xff."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    for info in infos:
        at = info.header_offset
        name_len = int.from_bytes(data[at + 26 : at + 28], "little")
        extra_len = int.from_bytes(data[at + 28 : at + 30], "little")
        start = at + 30 + name_len + extra_len + skip
        end = at + 30 + name_len + extra_len + info.compress_size
        data[start:end] = b"\xff" * max(0, end - start)
    path.write_bytes(bytes(data))


# -- unbounded reads and hangs: regular files only, size checked first ---------------------------------------
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_model_file_that_is_a_device_is_refused(capsys, tmp_path, device):
    refused(
        capsys, ["evaluate", "--model-file", device, "--dataset", "synthetic"], device, "character device",
        folders=(tmp_path,),
    )  # fmt: skip


def test_predict_refuses_a_device_as_its_input(capsys, model_file):
    refused(capsys, ["predict", "--model-file", model_file, "/dev/zero"], "/dev/zero", "not a regular file",
            folders=(model_file.parent,))  # fmt: skip


def test_a_dataset_symlinked_to_a_device_is_refused(capsys, tmp_path, model_file):
    link = tmp_path / "z.arff"
    link.symlink_to("/dev/zero")
    line = refused(capsys, ["train", *QUICK, "--dataset", link], "a link to /dev/zero", folders=(tmp_path,))
    assert "character device" in line
    model_link = tmp_path / "m.npz"
    model_link.symlink_to("/dev/urandom")
    refused(capsys, ["predict", "--model-file", model_link, SYNTH_TEST], "a link to /dev/urandom", folders=(tmp_path,))


def test_a_fifo_without_a_writer_is_refused_at_once(capsys, tmp_path, model_file):
    fifo = tmp_path / "f-train.arff"
    os.mkfifo(fifo)
    (tmp_path / "f-test.arff").write_text(SYNTH_TEST.read_text())
    shutil.copy(SYNTH_XML, tmp_path / "f.xml")
    refused(capsys, ["train", *QUICK, "--dataset", fifo], "FIFO", "not a regular file", folders=(tmp_path,))
    refused(capsys, ["info", fifo], "FIFO", folders=(tmp_path,))
    model_fifo = tmp_path / "m.npz"
    os.mkfifo(model_fifo)
    refused(capsys, ["evaluate", "--model-file", model_fifo, "--dataset", "synthetic"], "FIFO", folders=(tmp_path,))
    label_fifo = tmp_path / "g.xml"
    os.mkfifo(label_fifo)
    small_arff(tmp_path / "g.arff")
    refused(capsys, ["info", tmp_path / "g.arff"], "label file", "FIFO", folders=(tmp_path,))


def test_an_input_larger_than_its_limit_is_refused_before_reading(tmp_path):
    big = tmp_path / "big.arff"
    with open(big, "wb") as f:  # a sparse file: its size is declared, nothing is written
        f.truncate(arff_io.MAX_ARFF_BYTES + 1)
    with pytest.raises(InputError, match=r"more than the limit of 256\.0 MiB"):
        load_arff(big)
    assert read_input(SYNTH_XML, 10_000, "label file").startswith(b"<?xml")


def test_info_with_30000_labels_is_linear_in_the_label_count(capsys, tmp_path):
    L, N = 30_000, 20
    rng = np.random.default_rng(0)
    header = ["@attribute x numeric"] + [f"@attribute y{j} {{0,1}}" for j in range(L)]
    rows = []
    for n in range(N):
        on = sorted(rng.choice(L, size=3, replace=False).tolist()) + ([0, 1] if n < 4 else [])
        rows.append("{0 " + str(n) + "," + ",".join(f"{j + 1} 1" for j in sorted(set(on))) + "}")
    path = tmp_path / "many.arff"
    path.write_text(arff_text(header, rows, relation=f"'many: -C -{L}'"))
    tracemalloc.start()
    try:
        code = main(["info", str(path)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out = capsys.readouterr().out
    assert code == 0 and "L labels" in out and "30000" in out
    assert "y0 + y1" in out  # the pair that 4 rows share comes first
    assert peak < 400 * 2**20, peak  # a dense L x L count would be 7 GB


def test_a_wide_sparse_file_is_refused_before_the_dense_table_is_built(capsys, tmp_path):
    D, N = 200_000, 200  # 40 million cells in a 3 MB file
    header = [f"@attribute f{j} numeric" for j in range(D)] + ["@attribute y {0,1}"]
    rows = ["{" + f"{(n * 37) % D} 1.5,{D} {n % 2}" + "}" for n in range(N)]
    path = tmp_path / "wide.arff"
    path.write_text(arff_text(header, rows))
    line = refused(capsys, ["info", path], "200 rows x 200,001 attributes", "cells", "MAX_CELLS",
                   folders=(tmp_path,))  # fmt: skip
    assert "smaller model" not in line and "remove attributes" in line


# -- silent wrong results ------------------------------------------------------------------------------------
def test_evaluate_on_a_test_file_alone_uses_every_row(capsys, model_file, tmp_path):
    n_rows = load_arff(SYNTH_TEST).n_samples
    assert main(["evaluate", "--model-file", str(model_file), "--dataset", str(SYNTH_TEST)]) == 0
    out, err = capsys.readouterr()
    assert f"({n_rows} examples)" in out and "a test split" in err
    refused(capsys, ["train", *QUICK, "--dataset", SYNTH_TEST], "test split", "synthetic-train.arff",
            folders=(tmp_path,))  # fmt: skip


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_train_and_test_as_one_file_are_refused(capsys, tmp_path, how):
    train = tmp_path / "s-train.arff"
    shutil.copy(SYNTH_TRAIN, train)
    shutil.copy(SYNTH_XML, tmp_path / "s.xml")
    test = tmp_path / "s-test.arff"
    test.symlink_to(train) if how == "symlink" else os.link(train, test)
    refused(capsys, ["train", *QUICK, "--dataset", train], "is the same file as", folders=(tmp_path,))
    bench = tmp_path / "bench"  # the benchmark path: a name in --data-dir
    bench.mkdir()
    shutil.copy(SYNTH_TRAIN, bench / "b-train.arff")
    link = bench / "b-test.arff"
    link.symlink_to(bench / "b-train.arff") if how == "symlink" else os.link(bench / "b-train.arff", link)
    refused(capsys, ["info", "b", "--data-dir", bench], "is the same file as", folders=(tmp_path,))


def test_attribute_names_follow_the_arff_escapes(tmp_path):
    path = small_arff(tmp_path / "esc.arff", extra_header=["@attribute 'a\\'b\"c' numeric"])
    assert load_arff(path).feature_names == ["a", "b", "a'b\"c"]


def test_a_data_line_inside_the_header_is_an_error_with_file_and_line(capsys, tmp_path):
    path = tmp_path / "stray.arff"
    path.write_text("@relation 't: -C -1'\n@attribute a numeric\n1,0\n@attribute y {0,1}\n@data\n1,0\n")
    refused(capsys, ["info", path], "stray.arff, line 3", "'1,0'", "below @data", folders=(tmp_path,))


# -- library input ---------------------------------------------------------------------------------------------
def _xy(n: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 2)), (rng.random((n, 2)) < 0.5).astype(np.uint8)


def test_complex_x_is_refused():
    X, Y = _xy()
    with pytest.raises(TypeError, match=r"X is complex"):
        Dataset(X + 1j, Y, ["a", "b"], ["p", "q"])


def test_a_masked_array_is_refused_naming_the_fix():
    X, Y = _xy()
    with pytest.raises(TypeError, match=r"X is a masked array.*np\.ma\.filled"):
        Dataset(np.ma.masked_array(X, mask=X > 1), Y, ["a", "b"], ["p", "q"])


def test_kernel_sizes_that_are_not_integers_are_refused():
    with pytest.raises(TypeError, match=r"kernel_sizes=\(2\.7,\)"):
        MSDN(4, 3, kernel_sizes=(2.7,))


@pytest.mark.parametrize(
    "kwargs, error, fragment",
    [
        ({"epochs": 2.5}, TypeError, "epochs=2.5 is not an integer"),
        ({"seed": -1}, ValueError, "seed must be an integer from 0"),
        ({"batch_size": "32"}, TypeError, "batch_size='32'"),
        ({"lr": 1j}, TypeError, "lr=1j"),
    ],
)
def test_train_config_names_the_bad_argument(kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        TrainConfig(**kwargs)


@pytest.mark.parametrize(
    "model, kwargs, error, fragment",
    [
        (MSDN, {"seed": -1}, ValueError, "MSDN: seed must be"),
        (BRMLP, {"hidden": 2.5}, TypeError, "BRMLP: hidden=2.5"),
        (RethinkRNN, {"steps": 0}, ValueError, "RethinkRNN: steps must be"),
    ],
)
def test_model_constructors_name_the_bad_argument(model, kwargs, error, fragment):
    with pytest.raises(error, match=fragment):
        model(4, 3, **kwargs)


def test_y_containing_none_is_refused_naming_y():
    X, _ = _xy(3)
    with pytest.raises(ValueError, match="Y contains None"):
        Dataset(X, np.array([[1, None], [0, 1], [1, 0]], dtype=object), ["a", "b"], ["p", "q"])


def test_no_labels_is_refused_naming_the_labels():
    X, _ = _xy()
    ds = Dataset(X, np.zeros((6, 0), dtype=np.uint8), ["a", "b"], [])
    with pytest.raises(ValueError, match=r"no labels \(L=0\)"):
        train_model(ds, "br", config=TrainConfig(epochs=1), log=None)
    with pytest.raises(ValueError, match="BRMLP: L=0"):
        BRMLP(2, 0)
    with pytest.raises(TypeError, match="train is a tuple"):
        train_model((X, X), "br")
    with pytest.raises(TypeError, match="spec=3"):
        load_dataset(3)


# -- tracebacks that are now one line ----------------------------------------------------------------------------
def test_a_field_longer_than_the_csv_limit_is_one_line(capsys, tmp_path):
    path = tmp_path / "long.arff"
    path.write_text(arff_text(["@attribute a numeric", "@attribute y {0,1}"], ["1,0", "x" * 140_000 + ",1"]))
    refused(capsys, ["info", path], "long.arff, line 6", "field larger than field limit", folders=(tmp_path,))


def test_a_nominal_attribute_without_values_is_one_line(capsys, tmp_path):
    path = small_arff(tmp_path / "empty.arff", extra_header=["@attribute c {}"])
    refused(capsys, ["info", path], "empty.arff, line 4", "'c' declares no values", folders=(tmp_path,))


@pytest.mark.parametrize("compression, skip", [(zipfile.ZIP_DEFLATED, 0), (zipfile.ZIP_LZMA, 9)])
def test_a_corrupted_compressed_member_is_one_line(capsys, model_file, tmp_path, compression, skip):
    bad = rewrite_npz(model_file, tmp_path / "bad.npz", compression)
    corrupt_members(bad, skip)
    refused(capsys, ["predict", "--model-file", bad, SYNTH_TEST], str(bad), "does not decompress", "re-save",
            folders=(tmp_path,))  # fmt: skip


# -- unclear messages ----------------------------------------------------------------------------------------------
def test_a_tab_after_a_keyword_just_parses(capsys, tmp_path):
    path = tmp_path / "tabs.arff"
    path.write_text("@relation\t't: -C -1'\n@attribute\ta\tnumeric\n@attribute\ty\t{0,1}\n@data\n1,0\n2,1\n")
    ds = load_arff(path)
    assert ds.feature_names == ["a"] and ds.label_names == ["y"] and ds.n_samples == 2


@pytest.mark.parametrize(
    "declaration, fragment",
    [
        ("@attribute when date 'yyyy-MM-dd'", "type date, which is not supported"),
        ("@attribute bag relational", "type relational, which is not supported"),
    ],
)
def test_date_and_relational_attributes_are_not_supported(capsys, tmp_path, declaration, fragment):
    path = small_arff(tmp_path / "kinds.arff", extra_header=[declaration])
    refused(capsys, ["info", path], "kinds.arff, line 4", fragment, folders=(tmp_path,))


def test_a_missing_data_or_relation_line_names_the_file(capsys, tmp_path):
    no_data = tmp_path / "nodata.arff"
    no_data.write_text("@relation 't: -C -1'\n@attribute a numeric\n@attribute y {0,1}\n")
    line = refused(capsys, ["info", no_data], "nodata.arff: no @data line", folders=(tmp_path,))
    assert "''" not in line
    no_relation = tmp_path / "norel.arff"
    no_relation.write_text("@attribute a numeric\n@attribute y {0,1}\n@data\n1,0\n")
    refused(capsys, ["info", no_relation], "norel.arff, line 1", "no @relation", folders=(tmp_path,))


def test_a_one_hot_name_clash_names_the_attribute_and_value(capsys, tmp_path):
    path = tmp_path / "clash.arff"
    header = ["@attribute c {a,b}", "@attribute c=a numeric", "@attribute y {0,1}"]
    path.write_text(arff_text(header, ["a,1,0", "b,2,1"]))
    refused(capsys, ["info", path], "value 'a' of nominal attribute 'c'", "attribute 'c=a'", "rename",
            folders=(tmp_path,))  # fmt: skip


def test_a_gzip_file_is_named_as_such(capsys, tmp_path):
    path = tmp_path / "packed.arff"
    path.write_bytes(gzip.compress(SYNTH_TEST.read_bytes()))
    line = refused(capsys, ["info", path], "gzip-compressed", "gunzip", folders=(tmp_path,))
    assert "iconv" not in line


def test_a_damaged_model_scale_is_blamed_on_the_model_file(capsys, model_file, tmp_path):
    with np.load(model_file, allow_pickle=False) as z:
        scale = z["scaler/scale.npy" if "scaler/scale.npy" in z.files else "scaler/scale"].copy()
    scale[3] = 1e-300
    bad = rewrite_npz(model_file, tmp_path / "scale.npz", scaler__scale=scale)
    line = refused(capsys, ["predict", "--model-file", bad, SYNTH_TEST], "'x03'", "model file is probably damaged",
                   folders=(tmp_path,))  # fmt: skip
    assert "re-save" in line
    scale[3] = 1e-310  # subnormal: no fitted scale is, refused on load
    bad = rewrite_npz(model_file, tmp_path / "tiny.npz", scaler__scale=scale)
    refused(capsys, ["predict", "--model-file", bad, SYNTH_TEST], "damaged", "'x03'", folders=(tmp_path,))


def test_labels_in_another_order_name_the_first_difference(capsys, model_file, tmp_path):
    text = SYNTH_TEST.read_text()
    text = text.replace("@attribute y00 ", "@attribute TMP ").replace("@attribute y01 ", "@attribute y00 ")
    text = text.replace("@attribute TMP ", "@attribute y01 ")
    (tmp_path / "synthetic-test.arff").write_text(text)
    shutil.copy(SYNTH_XML, tmp_path / "synthetic.xml")
    line = refused(
        capsys, ["evaluate", "--model-file", model_file, "--dataset", tmp_path / "synthetic-test.arff"],
        "another order", "label 0 is 'y01' there, 'y00' in the model", folders=(tmp_path,),
    )  # fmt: skip
    assert "use data whose label attributes are in the model's order" in line
