"""What a student's file can do to ``msdn grade`` or the machine, and what it cannot.

Each student process runs in a temporary copy of the student's folder, with the folder last
on ``sys.path``, under resource limits (memory, CPU, file size), Landlock (writes only in its
own home) and seccomp (no new processes); its process group is killed after each
exercise. On this machine Landlock and seccomp are available: the run prints no warning.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from grade_helpers import SOLUTION, changed, checksums, run, student_folder

import msdn_numpy

PACKAGE = Path(msdn_numpy.__file__).resolve().parent
MARKER = "msdn-harm-marker-3f9c1a"
SHADOWS = {
    "numpy.py": "raise RuntimeError('the student numpy.py was imported')\n",
    "random.py": "raise RuntimeError('the student random.py was imported')\n",
    "msdn_numpy.py": "raise RuntimeError('the student msdn_numpy.py was imported')\n",
}


def _tries(*lines: str) -> str:
    """Student code that tries each statement at load, ignoring what is refused."""
    return "".join(f"\ntry:\n    {line}\nexcept BaseException as _e:\n    print('refused:', _e)\n" for line in lines)


def _marked_processes() -> list[str]:
    """The processes whose command line or working folder holds MARKER (a student process runs in $TMPDIR)."""
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                cmdline = (p / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                cwd = os.readlink(p / "cwd")
            except OSError:
                continue
            if MARKER in cmdline or MARKER in cwd:
                found.append(cmdline)
    return found


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("harms")
    folder = root / "class"
    relu = SOLUTION["01_relu"]
    student_folder(folder, "shadowed")
    for name, text in SHADOWS.items():
        (folder / "shadowed" / name).write_text(text)
    vandal = folder / "vandal"
    vandal.mkdir()
    (vandal / "notes.txt").write_text("must survive")
    (vandal / "01_relu.py").write_text(relu + _tries(
        f"os.remove({str(vandal / 'notes.txt')!r})",
        f"open({str(PACKAGE / '__init__.py')!r}, 'a').write('# vandal')",
        f"open({str(PACKAGE / 'vandal.py')!r}, 'w').write('x')",
        f"open({str(folder / 'planted.py')!r}, 'w').write('x')",
    ).replace("try:", "import os\ntry:", 1))  # fmt: skip
    (folder / "hog.py").write_text(relu + "\nimport numpy\n_x = numpy.ones(6 * 2**30 // 8)\n")
    forks = "import os, subprocess\n" + _tries(
        "os.fork() or os.execv('/bin/sleep', ['sleep', '300'])",
        f"subprocess.Popen(['/bin/sh', '-c', 'sleep 300; : {MARKER}'], start_new_session=True)",
        f"[subprocess.Popen(['/bin/sh', '-c', 'sleep 300; : {MARKER}']) for _ in range(50)]",
        "[os.fork() for _ in range(50)]",
    )
    (folder / "forker.py").write_text(relu + "\n" + forks)
    (folder / "filler.py").write_text(relu + "\nimport tempfile\n"  # its home: the one place it may write
                                      "with open(tempfile.gettempdir() + '/big.bin', 'wb') as _f:\n"
                                      "    for _ in range(200):\n        _f.write(b'x' * 2**20)\n")  # fmt: skip
    (folder / "looper.py").write_text(changed("01_relu", "return np.maximum(x, 0.0)", "while True:\n        pass"))
    (folder / "good.py").write_text(relu)
    before = checksums(folder), checksums(PACKAGE)
    book = root / "grades.json"
    code, out = run(str(folder), "--timeout", "3", "--jobs", "2", "--json", str(book))
    assert code == 0, out
    students = {s["student"]: s for s in json.loads(book.read_text())["students"]}
    return students, out, before, folder


def _relu(student: dict) -> dict:
    return student["exercises"]["01_relu"]


def test_confinement_is_in_force_here(graded) -> None:
    _, out, _, _ = graded
    assert "warning:" not in out, out


def test_numpy_random_msdn_numpy_beside_a_file_change_nothing(graded) -> None:
    students, _, _, _ = graded
    assert {e["status"] for e in students["shadowed"]["exercises"].values()} == {"PASS"}


def test_no_file_outside_the_temporary_folder_is_written(graded) -> None:
    students, _, (folder_sums, package_sums), folder = graded
    assert checksums(folder) == folder_sums
    assert checksums(PACKAGE) == package_sums
    assert _relu(students["vandal"])["status"] == "PASS"  # its functions are right; the harm was refused
    assert students["vandal"]["output"].count("refused:") == 4, students["vandal"]["output"]


def test_memory_is_bounded(graded) -> None:
    students, _, _, _ = graded
    relu = _relu(students["hog"])
    assert relu["status"] == "FAIL" and "MemoryError" in relu["problem"], relu


def test_no_process_outlives_the_grade(graded) -> None:
    students, _, _, _ = graded
    assert _marked_processes() == []
    lines = students["forker"]["output"].splitlines()  # the file is loaded once per exercise, each time refused
    assert len(lines) % 4 == 0 and set(lines) == {"refused: [Errno 1] Operation not permitted"}, lines


def test_file_size_is_bounded(graded) -> None:
    students, _, _, _ = graded
    relu = _relu(students["filler"])
    assert relu["status"] == "FAIL" and ("File too large" in relu["problem"] or "file size" in relu["problem"]), relu


def test_endless_loop_times_out_and_the_class_goes_on(graded) -> None:
    students, out, _, _ = graded
    assert "looper / 01_relu: relu_forward: timed out after 3 s" in out
    assert _relu(students["good"])["status"] == "PASS"


def test_an_output_that_is_an_input_is_refused(tmp_path, capsys) -> None:
    from msdn_numpy.tools.cli import main

    bob = tmp_path / "g" / "bob.py"
    bob.parent.mkdir()
    bob.write_text(SOLUTION["01_relu"])
    for option in ("--json", "--csv", "--gradescope"):
        assert main(["grade", str(bob), option, str(bob)]) == 2
        assert "is a student's file" in capsys.readouterr().err
        assert main(["grade", str(bob.parent), option, str(bob.parent)]) == 2
        capsys.readouterr()
    assert bob.read_text() == SOLUTION["01_relu"]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_ends_the_run_with_nothing_left(tmp_path, signum) -> None:
    tmp = tmp_path / f"tmp-{MARKER}"
    tmp.mkdir()
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "looper.py").write_text(changed("01_relu", "return np.maximum(x, 0.0)", "while True:\n        pass"))
    env = {**os.environ, "TMPDIR": str(tmp), "MPLBACKEND": "Agg"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "msdn_numpy", "grade", str(folder), "--timeout", "60", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout.readline().startswith("grading 1 student(s)")
        for _ in range(200):  # until a student process runs (its working folder holds the marker)
            if _marked_processes():
                break
            time.sleep(0.05)
        assert _marked_processes(), "no student process started"
        time.sleep(0.5)
        proc.send_signal(signum)
        proc.wait(timeout=10)  # a correctness bound, not a speed test: it ends, well before --timeout 60
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _marked_processes() == []
    assert list(tmp.glob("msdn-grade-*")) == []
