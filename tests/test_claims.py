"""``tutorials/check_claims.py``: every number a tutorial's text states is one its run prints.

* the real tutorials pass the checker in smoke mode (their smoke runs are the session's
  ``smoke_runs``, shared with ``tests/test_tutorials.py``): every text parses, every marker is
  well formed, and every number marked ``smoke`` is printed by the smoke run;
* the checker fails on a small fake tutorial whose text states a number its output does not
  print, names the line and the nearest printed number, and passes once it is printed;
* the matching rules (rounding, signs, thousands separators, percentages, fractions) and
  what the text rules leave out (code, references, tuples, years, small counts, bounds),
  one by one, and the markers.

The full-mode check (``--full``, minutes) is run by hand: docs/DEVELOPMENT.md.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tutorial_runs import ROOT, TUTORIALS, import_from_tutorials

CHECKER = TUTORIALS / "check_claims.py"


@pytest.fixture(scope="module")
def cc():
    """The checker module, imported as a script beside the tutorials."""
    return import_from_tutorials("check_claims")


def _checker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECKER), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


# ---------------------------------------------------------------- the real tutorials


def test_the_tutorials_pass_the_checker_in_smoke_mode(cc, smoke_runs, tmp_path) -> None:
    scripts = cc.tutorials_in(TUTORIALS, None)
    assert sorted(p.name for p in scripts.values()) == sorted(smoke_runs)
    claims, errors, times = cc.all_claims(TUTORIALS, scripts)
    assert not errors, "\n".join(errors)
    assert set(times) == set(scripts), "every tutorial has a row in the run-time table"
    checked = 0
    for n, path in scripts.items():
        proc, _ = smoke_runs[path.name]
        assert proc.returncode == 0, proc.stderr[-2000:]
        result = cc.check(n, claims[n], proc.stdout, full=False)
        assert not result.misses, "\n".join(result.misses)
        checked += result.checked
        (tmp_path / f"{path.stem}.txt").write_text(proc.stdout)
    assert checked >= 40, f"smoke mode checks the numbers marked 'smoke': only {checked}"
    # ... and they bite: tutorial 1's text states the adjacent-label similarity of 'given'
    proc, _ = smoke_runs["01_data.py"]
    assert "adjacent-label similarity 0.559" in proc.stdout
    changed = cc.check(1, claims[1], proc.stdout.replace("similarity 0.559", "similarity 0.601"), full=False)
    assert len(changed.misses) == 2 and all('"0.559" not in the output' in m for m in changed.misses), changed.misses
    # the command line on the same outputs: its summary, exit code 0
    proc = _checker("--outputs", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    summary = proc.stdout.splitlines()[-1]
    assert summary.startswith(f"claims: {checked} checked, 0 missed, ") and "smoke mode" in summary, summary


def test_every_tutorial_states_numbers_and_the_readme_states_each_tutorials_results(cc) -> None:
    """The checker sees the text: every tutorial with a README bullet states numbers there and in its script."""
    scripts = cc.tutorials_in(TUTORIALS, None)
    claims, _, _ = cc.all_claims(TUTORIALS, scripts)
    for n in scripts:
        in_readme = [c for c in claims[n] if c.where.startswith("README.md")]
        assert len(claims[n]) > len(in_readme) >= 1, f"tutorial {n}: {len(claims[n])} claims, {len(in_readme)} in it"
    assert sum(len(c) for c in claims.values()) >= 300


def test_the_checker_functions_stay_short() -> None:
    tree = ast.parse(CHECKER.read_text())
    long = [f"{f.name}: {f.end_lineno - f.lineno + 1}" for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
            if f.end_lineno - f.lineno + 1 > 60]  # fmt: skip
    assert not long, long
    imports = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imports |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
    assert imports <= set(sys.stdlib_module_names) | {"numpy"}, imports


# ---------------------------------------------------------------- a fake tutorial


FAKE = '''\
"""Tutorial 1 — a fake, for the checker's tests."""

# %% [markdown]
# # 1. A fake
#
# The answer is 0.4321, and 12 of 20 seeds agree.
#
# Its parameter count, which training does not change, is 1,234. <!-- smoke -->

# %%
print("answer {answer}, agreeing seeds 12/20")
print("parameters {params}")
'''
README = """\
| # | script | what it shows | full run | smoke |
|---|--------|---------------|---:|---:|
| 1 | `01_fake.py` | A fake with 20 seeds. | 1 s | 1 s |

What the full runs print:

- **1**: the answer 0.4321 (12/20 seeds), from a table of 4,321 rows. <!-- elsewhere: 4,321 (the data's README) -->
"""


def _fake(tmp_path: Path, answer: str = "0.43214", params: str = "1234", text: str = FAKE) -> Path:
    folder = tmp_path / "tutorials"
    folder.mkdir(exist_ok=True)
    (folder / "01_fake.py").write_text(text.replace("{answer}", answer).replace("{params}", params))
    (folder / "README.md").write_text(README)
    return folder


def test_the_checker_passes_a_tutorial_that_prints_what_it_states(tmp_path) -> None:
    proc = _checker("--full", "--tutorials", str(_fake(tmp_path)))
    assert proc.returncode == 0, proc.stdout
    assert "claims: 6 checked, 0 missed, 1 marked as from elsewhere, 1 tutorials, full mode" in proc.stdout
    assert "tutorial 1: " in proc.stdout and "(README table: 1 s)" in proc.stdout and "machine: " in proc.stdout


def test_the_checker_fails_on_a_number_the_output_does_not_print(tmp_path) -> None:
    proc = _checker("--full", "--tutorials", str(_fake(tmp_path, answer="0.4329")))
    assert proc.returncode == 1, proc.stdout
    assert 'tutorial 1, line 6: "0.4321" not in the output (nearest printed: 0.4329)' in proc.stdout
    assert 'tutorial 1, README.md line 7: "0.4321" not in the output (nearest printed: 0.4329)' in proc.stdout
    assert "claims: 6 checked, 2 missed, 1 marked as from elsewhere" in proc.stdout


def test_smoke_mode_checks_the_numbers_marked_smoke_and_only_those(tmp_path) -> None:
    wrong_answer = _checker("--tutorials", str(_fake(tmp_path, answer="0.9")))  # unmarked: left to full mode
    assert wrong_answer.returncode == 0, wrong_answer.stdout
    assert "claims: 1 checked, 0 missed, 1 marked as from elsewhere, 5 left to full mode" in wrong_answer.stdout
    wrong_count = _checker("--tutorials", str(_fake(tmp_path, params="1235")))
    assert wrong_count.returncode == 1
    assert 'tutorial 1, line 8: "1,234" not in the output (nearest printed: 1235)' in wrong_count.stdout


def test_a_tutorial_that_fails_fails_the_check(tmp_path) -> None:
    broken = FAKE + "raise SystemExit(3)\n"
    proc = _checker("--tutorials", str(_fake(tmp_path, text=broken)))
    assert proc.returncode == 1 and "01_fake.py exited with code 3" in proc.stdout, proc.stdout


@pytest.mark.parametrize(
    ("marker", "error"),
    [
        ("<!-- elsewhere: 0.4321 -->", "needs numbers and a reason"),
        ("<!-- elsewhere (the paper) -->", "needs numbers and a reason"),
        ("<!-- elsewhere: 0.5 (the paper) -->", 'the marker names "0.5", which this paragraph does not state'),
        ("<!-- not printed: the paper -->", "unknown marker"),
        ("<!-- smoke", "a marker must open and close on one line"),
    ],
)
def test_a_malformed_marker_fails_the_check(tmp_path, marker: str, error: str) -> None:
    text = FAKE.replace("12 of 20 seeds agree.", f"12 of 20 seeds agree. {marker}")
    proc = _checker("--full", "--tutorials", str(_fake(tmp_path, text=text)))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("tutorial 1, line 6: ")]
    assert proc.returncode == 1 and len(lines) == 1 and error in lines[0], proc.stdout


# ---------------------------------------------------------------- the rules, one by one


def _number(cc, text: str):
    ((_, number),) = cc.stated_numbers(text)
    return number


def _printed(cc, text: str):
    return cc.printed_numbers(text)


@pytest.mark.parametrize(
    ("stated", "printed", "match"),
    [
        ("0.67", "0.6739", True),  # rounding the printed value to the stated decimals
        ("0.674", "0.6739", True),
        ("0.68", "0.6739", False),
        ("0.6739", "0.67", False),  # the output must be at least as precise
        ("0.40", "0.4", True),  # equal values always match
        ("0.675", "0.6745", True),  # a printed value half-way matches either rounding
        ("21", "21", True),
        ("21", "21.3", False),  # a whole number matches whole numbers only
        ("21", "21.0", True),
        ("−0.0126", "-0.0126", True),  # the typographic minus is a minus
        ("−0.0126", "0.0126", False),  # a stated sign must be printed
        ("0.0126", "-0.0126", True),  # no sign stated: either sign
        ("+0.0108", "0.0108", True),
        ("+0.0108", "-0.0108", False),
        ("9,415", "9415", True),  # thousands separators do not matter
        ("9,415", "9,415", True),
        ("9,415", "9,416", False),
        ("37%", "37%", True),  # percentages: a percentage or a fraction of one
        ("37%", "0.3712", True),
        ("37%", "0.38", False),
        ("20%", "0.2", True),
        ("0.37", "37%", True),
        ("3/10", "3/10", True),  # fractions: the same numerator and denominator
        ("3 of 10", "3/10", True),
        ("3/10", "3 of 10 seeds", True),
        ("3/10", "2/10", False),
        ("3/10", "0.3", False),
        ("1.7e-16", "1.66e-16", True),  # exponents: the stated mantissa's precision
        ("1.7e-16", "1.8e-16", False),
        ("1e-8", "1e-08", True),
    ],
)
def test_matching(cc, stated: str, printed: str, match: bool) -> None:
    number = _number(cc, f"we state {stated} here")
    assert any(number.matches(p) for p in _printed(cc, printed)) is match


def test_the_nearest_printed_number_is_reported(cc) -> None:
    result = cc.check(6, [cc.Claim("line 3", _number(cc, "by 0.0124"))], "a -0.0126 b 0.1 c 7/10", full=True)
    assert result.misses == ['tutorial 6, line 3: "0.0124" not in the output (nearest printed: -0.0126)']
    result = cc.check(6, [cc.Claim("line 3", _number(cc, "on 3/10 seeds"))], "a 0.3 b 2/10", full=True)
    assert result.misses == ['tutorial 6, line 3: "3/10" not in the output (nearest printed: 2/10)']
    result = cc.check(6, [cc.Claim("line 3", _number(cc, "on 3/10 seeds"))], "a 0/0 b 2/10", full=True)
    assert result.misses == ['tutorial 6, line 3: "3/10" not in the output (nearest printed: 2/10)']


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        ("MSDN has 9,415 parameters and 0.066 of the RNN's", ["9,415", "0.066"]),
        ("example-F1 0.6739 ± 0.0113 (3/10 seeds, p = 0.064)", ["0.6739", "0.0113", "3/10", "0.064"]),
        ("better on 7 of 10 seeds, −0.0205 lower, 37% of rows", ["7 of 10", "−0.0205", "37%"]),
        ("`K = (1, 3, 5)` and `0.6739`, code is not stated", []),
        ("a span of code `msdn\ncompare 0.5` across lines", []),
        ("    x (N, 64) -> 0.25 an indented code line", []),
        ("## 7. A heading with 0.25", []),
        ("see tutorial 6, tutorials 6 and 7, section 12, exercise 8, §2a", []),
        ("kernel sizes (1,), (3,) and (2, 3, 4) beat it", []),
        ("Kim, Park & Hong, 2021; Dembczyński et al. 2012; but 2,000 rows", ["2,000"]),
        ("10 seeds, 3 steps, k = 5 and two labels; but 11 epochs", ["11"]),
        ("p < 0.05, p<0.01 and p ≤ 0.1 are bounds; p = 0.049 is not", ["0.049"]),
        ("F1, Conv1D, 1x1, 1-D, k-1, 100k+, 05_train.py and x^2 are words", []),
        ("[a link](../docs/x.md#section-2022) <!-- 0.123 -->", []),
        ("1. an ordered list item with 0.5", ["0.5"]),
        ("s from -1.83 to −2.98, a gain of +0.16, a bias of +2", ["-1.83", "−2.98", "+0.16", "+2"]),
        ("the difference 0.6739 − 0.6631 is not negative", ["0.6739", "0.6631"]),
    ],
)
def test_what_counts_as_a_stated_number(cc, text: str, stated: list[str]) -> None:
    assert [n.text for _, n in cc.stated_numbers(cc.blank_out(text))] == stated


def test_markers_name_their_numbers_and_their_reason(cc) -> None:
    lines = [(10, "Tutorial 7 took 53 s on yeast and 86 s on enron, 9,415 parameters."),
             (11, "<!-- elsewhere: 53, 86 (tutorial 7 run by hand with --dataset) -->"),
             (12, "<!-- smoke: 9,415 -->")]  # fmt: skip
    claims, errors = cc.claims_of(cc.Paragraph("line", lines))
    assert not errors
    by_text = {c.number.text: c for c in claims}
    assert by_text["53"].elsewhere == by_text["86"].elsewhere == "tutorial 7 run by hand with --dataset"
    assert by_text["9,415"].elsewhere is None and by_text["9,415"].smoke and not by_text["53"].smoke
    result = cc.check(7, claims, "9415 parameters", full=True)
    assert (result.checked, result.elsewhere, result.misses) == (1, 2, [])
    whole = cc.claims_of(cc.Paragraph("line", [(3, "0.5 and 0.25 <!-- smoke -->")]))[0]
    assert all(c.smoke for c in whole) and len(whole) == 2


def test_the_readme_entries_are_each_tutorials_bullet_and_table_row(cc, tmp_path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(README + "\nAfter the list: 0.999 belongs to no tutorial.\n")
    entries, times = cc.readme_text(readme)
    assert times == {1: "1 s"}
    texts = [[line for _, line in p.lines] for p in entries[1]]
    assert texts[0] == [" A fake with 20 seeds. "]
    assert texts[1][0].startswith(": the answer 0.4321") and len(texts) == 2
    assert cc.seconds_of("4.2 min") == pytest.approx(252) and cc.seconds_of("100 s") == 100


def test_the_script_text_is_its_docstring_and_markdown_cells(cc, tmp_path) -> None:
    script = _fake(tmp_path) / "01_fake.py"
    script.write_text(script.read_text() + textwrap.dedent("""
        # %%
        # a code comment with 0.777 is not text
        x = 1
        # %% [markdown]
        # A last cell with 0.888.
        """))  # fmt: skip
    numbers = [(p.lines[0][0], n.text) for p in cc.script_text(script) for _, n in cc.stated_numbers(
        cc.blank_out("\n".join(line for _, line in p.lines)))]  # fmt: skip
    assert [n for _, n in numbers] == ["0.4321", "12 of 20", "1,234", "0.888"]
