"""No answers from elsewhere: a student's code cannot reach a classmate's work, the grader's, or the package's.

Real hostile students, graded once beside a good one (whose files they try to use), each of
which would score 19/19 (or its exercise's points) if what it tries worked:

* ``linked``: exercise files that are symbolic links to the good student's; ``linked_deep``: a
  link hidden in a sub-folder;
* ``proc_cmdline``: the grader's command line from ``/proc/<ppid>/cmdline``, then ``exec`` of the
  classmate's files found there; ``known_path``: the same with the path written in the file;
  ``environ``: the grader's environment;
* ``solutions``: ``exec`` of the worked solutions beside the package's installation;
* ``reload``, ``fresh_load``, ``bytecode``, ``gc_original``: exercise 3's ``im2col`` by
  ``importlib.reload``, by loading the module file afresh, from its ``.pyc``, and by searching
  the garbage collector for the original function object;
* ``graders_reach``: exercise 8's receptive field from the grader's own measurement.

Then each confinement layer alone, in a process of its own: Landlock (the kernel) and the audit
hook (what confines reading where Landlock is missing).
"""

from __future__ import annotations

import importlib.util
import json
import os
import py_compile
import subprocess
import sys

import numpy as np
import pytest
from grade_helpers import SOLUTION, assert_class_goes_on, run_measured, student_folder

import msdn_numpy
import msdn_numpy.nn.conv
from msdn_numpy.course.exercises import EXERCISES

KEYS = list(EXERCISES)

PROC_CMDLINE = f"""
import os
_args = open(f"/proc/{{os.getppid()}}/cmdline", "rb").read().split(b"\\0")
_class = next(a.decode() for a in _args if a and os.path.isdir(a))
for _key in {KEYS!r}:
    exec(open(os.path.join(_class, "good", _key + ".py")).read())
"""
ENVIRON = f"""
import os
_env = open(f"/proc/{{os.getppid()}}/environ", "rb").read()
for _key in {KEYS!r}:
    exec(open(os.path.join(os.environ.get("HOME", "/"), _key + ".py")).read())
"""
SOLUTIONS = f"""
import os, msdn_numpy
_solutions = os.path.join(os.path.dirname(os.path.dirname(msdn_numpy.__file__)), "tutorials", "exercises", "solutions")
for _key in {KEYS!r}:
    exec(open(os.path.join(_solutions, _key + ".py")).read())
"""
IM2COL = {
    "reload": "import importlib, msdn_numpy.nn.conv as _conv\n"
              "def im2col(*args, **kwargs):\n    return importlib.reload(_conv).im2col(*args, **kwargs)\n",
    "fresh_load": "import importlib.util, msdn_numpy.nn.conv as _conv\n"
                  "def im2col(*args, **kwargs):\n"
                  "    spec = importlib.util.spec_from_file_location('fresh', _conv.__file__)\n"
                  "    module = importlib.util.module_from_spec(spec)\n    spec.loader.exec_module(module)\n"
                  "    return module.im2col(*args, **kwargs)\n",
    "bytecode": "import importlib.util, marshal, msdn_numpy.nn.conv as _conv\n"
                "def im2col(*args, **kwargs):\n"
                "    data = open(importlib.util.cache_from_source(_conv.__file__), 'rb').read()\n"
                "    namespace = {'__name__': 'fresh'}\n    exec(marshal.loads(data[16:]), namespace)\n"
                "    return namespace['im2col'](*args, **kwargs)\n",
    "gc_original": "import gc\n"
                   "def im2col(*args, **kwargs):\n"
                   "    for f in gc.get_objects():\n"
                   "        if callable(f) and getattr(f, '__qualname__', '') == 'im2col' and f is not im2col:\n"
                   "            return f(*args, **kwargs)\n",
}  # fmt: skip


def _im2col_answer(how: str) -> str:
    """Exercise 3's solution with im2col replaced by one that reaches the package's by ``how``."""
    text = SOLUTION["03_im2col"]
    start = text.index("def im2col(")
    end = text.index("\ndef ", start + 1)
    return text[:start] + IM2COL[how] + text[end:]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("elsewhere")
    folder = root / "class"
    good = student_folder(folder, "good")
    linked = folder / "linked"
    linked.mkdir()
    for key in KEYS:
        (linked / f"{key}.py").symlink_to(good / f"{key}.py")
    deep = student_folder(folder, "linked_deep")
    (deep / "hw").mkdir()
    (deep / "hw" / "answers").symlink_to(good)
    (folder / "proc_cmdline.py").write_text(PROC_CMDLINE)
    (folder / "environ.py").write_text(ENVIRON)
    known = f"for _key in {KEYS!r}:\n    exec(open({str(good)!r} + '/' + _key + '.py').read())\n"
    (folder / "known_path.py").write_text(known)
    (folder / "solutions.py").write_text(SOLUTIONS)
    cache = importlib.util.cache_from_source(msdn_numpy.nn.conv.__file__)
    if not os.path.exists(cache):  # the bytecode student reads it: make sure there is one to read
        py_compile.compile(msdn_numpy.nn.conv.__file__, cfile=cache)
    for how in IM2COL:
        student_folder(folder, how, **{"03_im2col": _im2col_answer(how)})
    reach = SOLUTION["08_label_axis"] + "\nfrom msdn_numpy.course.exercises import _reach\n" \
        "def receptive_field(L, kernel_sizes, p):\n    return _reach(L, kernel_sizes, p)\n"
    student_folder(folder, "graders_reach", **{"08_label_axis": reach})
    whoami = "\nimport os, sys\nprint('uid', os.getuid(), os.geteuid())\n"
    whoami += "print('channels', sys.argv, sys.orig_argv, dict(os.environ), os.getcwd())\n"
    (folder / "whoami.py").write_text(SOLUTION["01_relu"] + whoami)
    book = root / "grades.json"
    code, out, peak = run_measured(root, str(folder), "--timeout", "5", "--jobs", "2", "--json", str(book))
    assert code == 0, out
    return {s["student"]: s for s in json.loads(book.read_text())["students"]}, out, peak, folder


def _class_goes_on(graded) -> None:
    students, out, peak, _ = graded
    assert_class_goes_on(students, out, peak)


@pytest.mark.parametrize("student, where", [("linked", "'01_relu.py'"), ("linked_deep", "'hw/answers'")])
def test_a_symbolic_link_anywhere_refuses_the_submission(graded, student, where) -> None:
    students, out, _, _ = graded
    s = students[student]
    assert s["points"] == 0 and {e["status"] for e in s["exercises"].values()} == {"FAIL"}
    assert {e["problem"] for e in s["exercises"].values()} == {
        f"{where} is a symbolic link: hand in only the exercise files, as regular files (no links)"
    }
    _class_goes_on(graded)


@pytest.mark.parametrize("student, path", [("proc_cmdline", "/proc/"), ("environ", "/proc/"),
                                           ("known_path", "/class/good/01_relu.py"),
                                           ("solutions", "/tutorials/exercises/solutions/01_relu.py")])  # fmt: skip
def test_nothing_outside_the_students_copy_is_readable(graded, student, path) -> None:
    students, _, _, _ = graded
    s = students[student]
    assert s["points"] == 0, s
    problems = {e["problem"] for e in s["exercises"].values()}
    assert len(problems) == 1, problems
    problem = problems.pop()
    assert problem.startswith("the file raised when loaded: PermissionError: [Errno 13] not readable or writable "
                              "by a student's code while grading"), problem  # fmt: skip
    assert path in problem
    _class_goes_on(graded)


@pytest.mark.parametrize("how", list(IM2COL))
def test_the_reference_im2col_cannot_be_brought_back(graded, how) -> None:
    students, _, _, _ = graded
    s = students[how]
    im2col = {f["function"]: f for f in s["exercises"]["03_im2col"]["functions"]}["im2col"]
    assert im2col["status"] == "FAIL", im2col
    if how == "gc_original":  # the one object found is the original itself, whose code is now the stand-in's
        assert "uses the reference implementation msdn_numpy.nn.conv.im2col" in im2col["message"], im2col
    else:  # conv.py and its bytecode are not readable while exercise 3 is graded
        assert "PermissionError: [Errno 13] not readable or writable by a student's code" in im2col["message"]
        assert "msdn_numpy/nn/" in im2col["message"] and "conv." in im2col["message"], im2col
    assert s["points"] == 17  # conv1d_forward calls this im2col, so it fails too; exercise 4 imports conv afresh
    _class_goes_on(graded)


def test_no_channel_carries_the_graders_paths(graded) -> None:
    """The student process's command line, environment and working folder name no path of the class's.

    (They do name the package's location, as ``msdn_numpy.__file__`` does.)
    """
    students, _, _, folder = graded
    channels = [line for line in students["whoami"]["output"].splitlines() if line.startswith("channels ")]
    assert channels and str(folder) not in channels[0] and str(folder.parent) not in channels[0], channels


def test_a_root_grader_runs_students_as_nobody(graded) -> None:
    students, _, _, _ = graded
    uid = 65534 if os.geteuid() == 0 else os.getuid()  # as root (CI): nobody; otherwise the grader's own user
    assert f"uid {uid} {uid}" in students["whoami"]["output"]
    assert students["whoami"]["points"] == 2


#: Run in a process of its own: a student process's allowlist, one layer of it, then reads (r:) and writes (w:).
LAYER = """
import json, os, sys
from msdn_numpy.course import allowlist, sandbox, stand_ins
work, home, layer, paths = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
stand_ins.replace("03_im2col")
allow = allowlist.for_student(work, home, stand_ins.reference_files("03_im2col"), allowlist.dependencies())
if layer == "landlock":
    assert sandbox.landlock(allow) > 0
else:
    allowlist.install_hook(allow)
result = {}
for p in paths:
    try:
        fd = os.open(p[2:], os.O_RDONLY if p[0] == "r" else os.O_WRONLY | os.O_CREAT)
        os.close(fd)
        result[p] = "done"
    except OSError as exc:
        result[p] = exc.strerror
print(json.dumps(result))
"""


@pytest.mark.parametrize("layer", ["landlock", "audit hook"])
def test_each_layer_alone_confines_reading_and_writing(tmp_path, layer) -> None:
    """Landlock here (this kernel has it), and the audit hook as on a kernel without it: the same list.

    Besides what lies outside the student's folder, a process may not change the copy, nor
    read or write the home of another process of the same student (graded at the same time).
    """
    student = tmp_path / "student"
    for d in ("work", "home", "other"):
        (student / d).mkdir(parents=True)
    (student / "work" / "01_relu.py").write_text(SOLUTION["01_relu"])
    (student / "other" / "answer.npy").write_text("from exercise 4's process")
    classmate = tmp_path / "classmate.py"
    classmate.write_text("secret")
    package = os.path.dirname(msdn_numpy.__file__)
    solutions = os.path.join(os.path.dirname(package), "tutorials", "exercises", "solutions", "03_im2col.py")
    allowed = [f"r:{student / 'work' / '01_relu.py'}", f"r:{os.path.join(package, 'nn', 'layers.py')}",
               f"r:{msdn_numpy.__file__}", f"r:{os.__file__}", f"r:{json.__file__}", f"r:{np.__file__}",
               f"w:{student / 'home' / 'x'}", "w:/dev/null"]  # fmt: skip
    refused = [f"r:{classmate}", f"r:/proc/{os.getpid()}/cmdline", "r:/proc/self/environ",
               f"r:{msdn_numpy.nn.conv.__file__}", f"r:{solutions}", f"r:{tmp_path}", f"w:{student / 'work' / 'x'}",
               f"w:{student / 'work' / '01_relu.py'}", f"r:{student / 'other' / 'answer.npy'}",
               f"w:{student / 'other' / 'answer.npy'}", f"w:{tmp_path / 'x'}",
               f"r:{pytest.__file__}"]  # fmt: skip (installed, but not a dependency of the package)
    done = subprocess.run([sys.executable, "-c", LAYER, str(student / "work"), str(student / "home"), layer,
                           *allowed, *refused], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert {p: result[p] for p in allowed} == dict.fromkeys(allowed, "done")
    hook = "not readable or writable by a student's code while grading"
    why = hook if layer == "audit hook" else "Permission denied"  # the kernel's word
    assert {p: result[p] for p in refused} == dict.fromkeys(refused, why)


def test_the_graders_own_reference_computation_is_a_reference_too(graded) -> None:
    """Exercise 8's receptive field is measured by ``exercises._reach``: an answer calling it FAILs."""
    students, _, _, _ = graded
    reach = {f["function"]: f for f in students["graders_reach"]["exercises"]["08_label_axis"]["functions"]}
    assert reach["receptive_field"]["status"] == "FAIL"
    assert "uses the reference implementation msdn_numpy.course.exercises._reach" in reach["receptive_field"]["message"]
    assert students["graders_reach"]["points"] == 18
    _class_goes_on(graded)
