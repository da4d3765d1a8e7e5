"""Check that every number a tutorial's text states is a number its run prints.

Run:  python tutorials/check_claims.py [--full] [--only NN ...] [--figures DIR]

For each tutorial ``NN_name.py`` the checker runs the script (smoke mode, unless ``--full``),
captures what it prints on standard output, and reads the tutorial's text: its docstring and
markdown cells, and its entries in ``tutorials/README.md`` (the bullet ``- **N**`` under "What
the full runs print", and the description cell of its row in the run-time table). Every
number that text states must appear in the output. It exits with 1 and lists the misses, as
``tutorial 6, line 180: "0.0124" not in the output (nearest printed: -0.0126)``.

**Matching.** A stated number matches a printed one when rounding the printed value to the
stated decimals gives the stated value: 0.67 matches 0.6739, 0.40 matches 0.4 (equal values
always match), but 0.6739 does not match 0.67 (the output must be at least as precise as the
text). Whole numbers match whole numbers only (21 does not match 21.3). Signs: − and - are
the same; a number written with a sign (−0.0205, +0.0108) must have that sign in the
output, one written without (prose says "lower by 0.0205") matches either sign. Thousands
separators do not matter (9,415 = 9415); a percentage matches a percentage or a fraction of
one (37% = 0.37 = 0.3712 rounded); "3/10" and "3 of 10" match a printed "3/10" or "3 of 10".
Standard error is not read: it holds progress lines, whose counters ("7/10") would match
anything. A number is looked for anywhere in the output, not next to the words that state
it: a four-decimal result is rarely found by chance, a count such as 30 easily is.

**What is not a stated number.** Code (backtick spans, lines indented by four spaces or
more), headings, HTML comments, link targets; a number glued to a word (F1, Conv1D, 1x1,
1-D, k-1, 100k+, 05_train.py); references (tutorial 6, tutorials 6 and 7, section 5,
exercise 8, §2a); tuples of integers, which name kernel sizes or shapes ((1,), (1, 3, 5));
ordered-list markers; years (whole numbers 1900 to 2099 without separator: 2021, "et al.
2012"; write a count of that size with a separator, 2,000); bounds after <, >, ≤, ≥
(p < 0.05); and the whole numbers 0 to 10 written alone, without a sign, which are prose
("10 seeds", "3 steps", "k = 5"), while 0.5, +2, 10%, 3/10 and 11 are checked.

**Markers**, HTML comments on a line of the paragraph (or bullet, or table row) they apply
to, invisible once the markdown is rendered:

* ``<!-- elsewhere: 53, 86 (tutorial 7 with --dataset yeast and enron, run by hand) -->``:
  these numbers of the paragraph are not printed by this run; the reason in parentheses,
  which is required, says where they come from (the paper, another run, a machine's timing).
  Each number named must be one the paragraph states, so a marker covers nothing else.
* ``<!-- smoke -->`` (the whole paragraph) or ``<!-- smoke: 9,415, 390 -->`` (these numbers):
  the numbers do not depend on the length of training (parameter counts, data statistics,
  hand-computed examples), so smoke mode checks them too.

**Modes.** A smoke run's trained numbers mean nothing, so by default the checker runs every
tutorial in smoke mode and checks: that each runs, that the text parses and its markers are
well formed, and the numbers marked ``smoke``. ``--full`` runs the tutorials as the README
states them (minutes) and checks every number not marked ``elsewhere``; it also prints each
tutorial's wall time beside the run-time table's, the machine and its load average. The
time cells of the table are not claims about the output: update them from a full run.
``--save-outputs DIR`` keeps what each tutorial printed, and ``--outputs DIR`` checks the
text against kept outputs without running anything, to fix a text quickly; ``--list`` shows
every stated number and its verdict.
"""

from __future__ import annotations

import argparse
import ast
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

# ---------------------------------------------------------------- numbers: parsing and matching

NUMBER = re.compile(
    r"(?<![\w.^§/\\])(?<!\w-)(?<!\w−)"  # not glued to a word, a path, an exponent or a hyphen
    r"(?P<sign>[-+−](?=\d))?(?P<body>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<dec>\.\d+)?(?P<exp>[eE][-+−]?\d+)?"
    r"(?P<pct>\s?%)?(?![\w%]|\.\d|-[^\W\d_])"  # nor followed by a word, a decimal or a hyphenated word
)
FRACTION_TAIL = re.compile(r"(?:/|\s+of\s+)(\d+)(?!\w|[.,]\d)")
PRINTED = re.compile(
    r"(?<![\d.])(?P<sign>[-+−](?=\d))?(?P<body>\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?P<dec>\.\d+)?"
    r"(?P<exp>[eE][-+−]?\d+)?(?P<pct>\s?%)?"
)
PRINTED_FRACTION = re.compile(r"(?<![\d.])(\d+)(?:/|\s+of\s+)(\d+)(?![\d.])")


@dataclass(frozen=True)
class Number:
    """A number as written: its text, its value (a percentage as a fraction of one), its precision."""

    text: str
    value: Decimal = Decimal(0)
    exponent: int = 0  # the place of the last digit written: -4 for 0.6739, -2 for 37% (0.37)
    whole: bool = True  # written without decimals or exponent
    signed: bool = False  # written with an explicit + or -
    fraction: tuple[int, int] | None = None  # "3/10", "3 of 10"

    def matches(self, printed: Number) -> bool:
        """True when ``printed`` says this number, to the precision this one is written with."""
        if self.fraction or printed.fraction:
            return self.fraction == printed.fraction
        if self.whole and not printed.whole and printed.value != self.value:
            return False
        value = printed.value if self.signed else abs(printed.value)
        if value == self.value:
            return True
        close = abs(value - self.value) <= Decimal(5).scaleb(self.exponent - 1)
        return close and printed.exponent <= self.exponent

    def distance(self, printed: Number) -> Decimal:
        """How far ``printed`` is from this number (for "nearest printed" in a miss)."""
        if self.fraction or printed.fraction:
            if not (self.fraction and printed.fraction):
                return Decimal("Infinity")
            (a, b), (c, d) = self.fraction, printed.fraction
            if not (b and d):  # "0/0" printed (or stated) is no fraction to compare by size
                return Decimal(0) if (a, b) == (c, d) else Decimal("Infinity")
            return abs(Decimal(a) / b - Decimal(c) / d)
        return abs((printed.value if self.signed else abs(printed.value)) - self.value)


def to_number(match: re.Match) -> Number:
    """The :class:`Number` of a match of :data:`NUMBER` or :data:`PRINTED`."""
    sign, body, dec, exp, pct = match.group("sign", "body", "dec", "exp", "pct")
    written = f"{'-' if sign in ('-', '−') else ''}{body.replace(',', '')}{dec or ''}{(exp or '').replace('−', '-')}"
    value = Decimal(written)
    exponent = value.as_tuple().exponent
    if pct:
        value, exponent = value.scaleb(-2), exponent - 2
    return Number(match.group(0).strip(), value, exponent, not (dec or exp or pct), sign is not None)


def printed_numbers(output: str) -> list[Number]:
    """Every number in a run's output, read generously (also inside words: "rank-16", "L=6")."""
    found = [to_number(m) for m in PRINTED.finditer(output.replace("−", "-"))]
    fractions = PRINTED_FRACTION.finditer(output)
    return found + [Number(m.group(0), fraction=(int(m.group(1)), int(m.group(2)))) for m in fractions]


def is_prose(number: Number, before: str) -> bool:
    """A number the text writes without stating a result: a bound, a year, a small count (see the docstring)."""
    if re.search(r"(<|>|≤|≥|<=|>=)\s*$", before):
        return True
    if number.fraction or not number.whole or number.signed or "," in number.text:
        return False
    return 0 <= number.value <= 10 or 1900 <= number.value <= 2099


def stated_numbers(text: str) -> list[tuple[int, Number]]:
    """``(offset, number)`` for every stated number of ``text`` (already cleaned by :func:`blank_out`)."""
    found, pos = [], 0
    while m := NUMBER.search(text, pos):
        number, pos = to_number(m), m.end()
        tail = FRACTION_TAIL.match(text, pos)
        if tail and number.whole and not number.signed and "," not in number.text:
            number = Number(text[m.start() : tail.end()], fraction=(int(number.value), int(tail.group(1))))
            pos = tail.end()
        if not is_prose(number, text[max(0, m.start() - 3) : m.start()]):
            found.append((m.start(), number))
    return found


# ---------------------------------------------------------------- the text: paragraphs, markers, what is not stated

SKIPPED = [  # spans of markdown whose numbers are not stated numbers (replaced by spaces), in this order
    re.compile(r"^ {4,}.*$|^#+ .*$|^\s*\d+\.\s", re.M),  # indented code, headings, ordered-list markers
    re.compile(r"<!--.*?-->", re.S),  # HTML comments (markers are read before)
    re.compile(r"`[^`]*`", re.S),  # code spans, also across a line break
    re.compile(r"\]\([^)]*\)"),  # link targets
    re.compile(r"(?i)\b(?:tutorials?|sections?|exercises?)\s+\d+(?:(?:\s*,\s*|\s+and\s+|\s+or\s+)\d+)*|§\s*\d+\w*"),
    re.compile(r"\(\s*\d+\s*,\s*\)|\(\s*\d+(?:\s*,\s*\d+)+\s*\)"),  # integer tuples: kernel sizes, shapes
]
MARKER = re.compile(r"<!--(.*?)-->")
MARKER_BODY = re.compile(r"\s*(smoke|elsewhere)\s*(?::\s*(.*?))?\s*(?:\((.+)\))?\s*$", re.S)


def blank_out(text: str) -> str:
    """``text`` with every span that states no number replaced by spaces (offsets and line breaks kept)."""
    for pattern in SKIPPED:
        text = pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
    return text


@dataclass
class Paragraph:
    """A unit of text a marker applies to: a paragraph, a bullet or a table cell, with its line numbers."""

    source: str  # "line" for the script, "README.md line" for the README
    lines: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Claim:
    """One stated number: where it is, and what its markers say about it."""

    where: str  # "line 180", "README.md line 95"
    number: Number
    elsewhere: str | None = None  # the reason, when marked as from elsewhere
    smoke: bool = False


def read_markers(paragraph: Paragraph, numbers: list[tuple[str, Number]]) -> tuple[dict, set, list[str]]:
    """The paragraph's markers: ``({text: reason} from elsewhere, {text} in smoke mode or {"*"}, errors)``."""
    elsewhere, smoke, errors = {}, set(), []
    stated = {n.text.replace("−", "-") for _, n in numbers}
    for lineno, line in paragraph.lines:
        where = f"{paragraph.source} {lineno}"
        if "<!--" in line and "-->" not in line.split("<!--", 1)[1]:
            errors.append(f"{where}: a marker must open and close on one line")
        for comment in MARKER.findall(line):
            m = MARKER_BODY.fullmatch(comment)
            if not m:
                errors.append(f"{where}: unknown marker <!--{comment}--> (see check_claims.py's docstring)")
                continue
            kind, listed, reason = m.groups()
            names = [n.text.replace("−", "-") for _, n in stated_numbers(listed or "")]
            if kind == "elsewhere" and not (names and reason and reason.strip()):
                errors.append(f"{where}: <!-- elsewhere: NUMBERS (REASON) --> needs numbers and a reason")
            for name in names:
                if name not in stated:
                    errors.append(f'{where}: the marker names "{name}", which this paragraph does not state')
            if kind == "elsewhere":
                elsewhere.update(dict.fromkeys(names, reason))
            else:
                smoke.update(names or ["*"])
    return elsewhere, smoke, errors


def claims_of(paragraph: Paragraph) -> tuple[list[Claim], list[str]]:
    """The stated numbers of one paragraph, with their markers; and the errors of its markers."""
    text = "\n".join(line for _, line in paragraph.lines)
    starts = [0]
    for _, line in paragraph.lines:
        starts.append(starts[-1] + len(line) + 1)
    numbers = []
    for offset, number in stated_numbers(blank_out(text)):
        index = max(i for i, s in enumerate(starts) if s <= offset)
        numbers.append((f"{paragraph.source} {paragraph.lines[index][0]}", number))
    elsewhere, smoke, errors = read_markers(paragraph, numbers)
    claims = []
    for where, number in numbers:
        key = number.text.replace("−", "-")
        claims.append(Claim(where, number, elsewhere.get(key), "*" in smoke or key in smoke))
    return claims, errors


def split_paragraphs(lines: list[tuple[int, str]], source: str) -> list[Paragraph]:
    """Markdown lines ``(lineno, text)`` cut into paragraphs: at blank lines, headings and list items."""
    paragraphs, current = [], None
    for lineno, line in lines:
        starts_item = re.match(r"\s*(?:[-*]|\d+\.)\s|#", line)
        if not line.strip() or starts_item or current is None:
            current = Paragraph(source)
            paragraphs.append(current)
        if line.strip():
            current.lines.append((lineno, line))
    return [p for p in paragraphs if p.lines]


def script_text(path: Path) -> list[Paragraph]:
    """The paragraphs of a tutorial's docstring and markdown cells (``# %% [markdown]``, then ``# `` lines)."""
    source = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(source))
    blocks, cell = [], None
    if ast.get_docstring(tree) is not None:
        first = tree.body[0]
        blocks.append([(i + 1, source[i].replace('"""', "")) for i in range(first.lineno - 1, first.end_lineno)])
    for i, line in enumerate(source, 1):
        if line.startswith("# %%"):
            cell = [] if line.strip() == "# %% [markdown]" else None
            if cell is not None:
                blocks.append(cell)
        elif cell is not None and (line == "#" or line.startswith("# ")):
            cell.append((i, line[2:]))
        else:
            cell = None
    return [paragraph for block in blocks for paragraph in split_paragraphs(block, "line")]


def readme_text(readme: Path) -> tuple[dict[int, list[Paragraph]], dict[int, str]]:
    """Each tutorial's README text (its "What the full runs print" bullet, its table row's description)
    and its table's full-run time cell, by tutorial number."""
    entries, times, bullet, in_list = {}, {}, None, False
    for lineno, line in enumerate(readme.read_text(encoding="utf-8").splitlines(), 1):
        row = re.match(r"\|\s*(\d+)\s*\|[^|]*\|(.*)\|([^|]*)\|([^|]*)\|\s*$", line)
        item = re.match(r"- \*\*(\d+)\*\*(.*)", line)
        if row:
            entries.setdefault(int(row.group(1)), []).append(Paragraph("README.md line", [(lineno, row.group(2))]))
            times[int(row.group(1))] = row.group(3).strip()
        elif line.startswith("What the full runs print"):
            in_list = True
        elif in_list and item:
            bullet = Paragraph("README.md line", [(lineno, item.group(2))])
            entries.setdefault(int(item.group(1)), []).append(bullet)
        elif in_list and bullet and line.startswith("  "):
            bullet.lines.append((lineno, line))
        elif bullet:
            in_list, bullet = False, None
    return entries, times


# ---------------------------------------------------------------- running the tutorials and checking


@dataclass
class Result:
    """What the check of one tutorial found."""

    number: int
    seconds: float = 0.0
    checked: int = 0
    elsewhere: int = 0
    deferred: int = 0  # not checked in smoke mode
    misses: list[str] = field(default_factory=list)
    listing: list[str] = field(default_factory=list)  # every claim and its verdict, for --list


def run(script: Path, full: bool, figures: Path) -> tuple[int, str, str, float]:
    """Run one tutorial as a student would (one BLAS thread unless set): exit code, stdout, stderr, seconds."""
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("MSDN_SMOKE", None)  # it would turn a full run into a smoke run
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    command = [sys.executable, str(script), "--figures", str(figures), *([] if full else ["--smoke"])]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=script.parent.parent, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start


def check(number: int, claims: list[Claim], output: str, full: bool) -> Result:
    """Check one tutorial's claims against its output (smoke mode: only the claims marked ``smoke``)."""
    result, printed = Result(number), printed_numbers(output)
    for claim in claims:
        where = f'tutorial {number}, {claim.where}: "{claim.number.text}"'
        if claim.elsewhere is not None:
            result.elsewhere += 1
            result.listing.append(f"{where} from elsewhere ({claim.elsewhere})")
        elif not (full or claim.smoke):
            result.deferred += 1
            result.listing.append(f"{where} checked in full mode only")
        elif any(claim.number.matches(p) for p in printed):
            result.checked += 1
            result.listing.append(f"{where} printed")
        else:
            result.checked += 1
            nearest = min(printed, key=claim.number.distance, default=None)
            near = "nothing comparable"
            if nearest is not None and claim.number.distance(nearest).is_finite():
                near = nearest.text
            result.misses.append(f"{where} not in the output (nearest printed: {near})")
            result.listing.append(result.misses[-1])
    return result


def seconds_of(cell: str) -> float | None:
    """The time a run-time table cell states ("100 s", "4.2 min"), in seconds."""
    m = re.fullmatch(r"~?\s*(\d+(?:\.\d+)?)\s*(s|min)", cell.strip())
    return None if m is None else float(m.group(1)) * (60 if m.group(2) == "min" else 1)


def machine() -> str:
    """The CPU model, its cores, the BLAS threads asked for and the load average, for the timings."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), flags=re.M)
        cpu = models[0] if models else cpu
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    blas = ", ".join(f"{k}={os.environ.get(k, '1 (set by this checker)')}" for k in names)
    return f"machine: {cpu}, {os.cpu_count()} cores; BLAS threads {blas}; {load()}"


def load() -> str:
    """The 1-, 5- and 15-minute load averages, where the system gives them."""
    if not hasattr(os, "getloadavg"):
        return "load average unknown"
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------- the command line


def tutorials_in(folder: Path, only: list[str] | None) -> dict[int, Path]:
    """The tutorial scripts of ``folder`` by number, or those of ``--only``."""
    scripts = {int(p.name[:2]): p for p in sorted(folder.glob("[0-9][0-9]_*.py"))}
    wanted = {int(n) for n in only or scripts}
    if wanted - set(scripts):
        raise SystemExit(f"no tutorial numbered {sorted(wanted - set(scripts))} in {folder}")
    return {n: p for n, p in scripts.items() if n in wanted}


def all_claims(folder: Path, scripts: dict[int, Path]) -> tuple[dict[int, list[Claim]], list[str], dict[int, str]]:
    """Every tutorial's claims (script, then README), the errors of the text, and the table's full-run times."""
    readme = folder / "README.md"
    entries, times = readme_text(readme) if readme.is_file() else ({}, {})
    known = {int(p.name[:2]) for p in folder.glob("[0-9][0-9]_*.py")}
    errors = [f"README.md: an entry for tutorial {n}, which does not exist" for n in sorted(set(entries) - known)]
    claims = {}
    for n, path in scripts.items():
        claims[n] = []
        for paragraph in script_text(path) + entries.get(n, []):
            found, wrong = claims_of(paragraph)
            claims[n] += found
            errors += [f"tutorial {n}, {e}" for e in wrong]
    return claims, errors, times


def output_of(path: Path, args: argparse.Namespace, figures: Path) -> tuple[str | None, float, str]:
    """A tutorial's standard output (run now, or kept by ``--save-outputs``), its run time, and why it failed."""
    if args.outputs:
        kept = args.outputs / f"{path.stem}.txt"
        return (kept.read_text(encoding="utf-8"), 0.0, "") if kept.is_file() else (None, 0.0, f"no {kept}")
    code, out, err, seconds = run(path, args.full, figures)
    if args.save_outputs:
        args.save_outputs.mkdir(parents=True, exist_ok=True)
        (args.save_outputs / f"{path.stem}.txt").write_text(out, encoding="utf-8")
    if code != 0:
        return None, seconds, f"{path.name} exited with code {code}:\n{err[-2000:]}"
    return out, seconds, ""


def report(result: Result, table: str | None, args: argparse.Namespace) -> str:
    """One line per tutorial: its run time (and the README table's), and what was checked."""
    line = f"tutorial {result.number}: {result.seconds:.1f} s"
    if args.full and not args.outputs:
        stated = seconds_of(table or "")
        off = stated is None or abs(result.seconds - stated) > max(2.0, 0.25 * stated)
        line += f" (README table: {table or 'no row'}{', update it' if off else ''})"
    line += f"; {result.checked} checked, {len(result.misses)} missed, {result.elsewhere} from elsewhere"
    return line + ("" if args.full else f", {result.deferred} left to full mode")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    here = Path(sys.argv[0]).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full runs (minutes); check every stated number")
    parser.add_argument("--only", nargs="+", metavar="NN", help="these tutorials only (6 or 06)")
    parser.add_argument("--figures", type=Path, help="where the tutorials write figures (default: a temporary folder)")
    parser.add_argument("--list", action="store_true", help="list every stated number and its verdict")
    parser.add_argument("--save-outputs", type=Path, metavar="DIR", help="keep each tutorial's output in DIR")
    parser.add_argument("--outputs", type=Path, metavar="DIR", help="check against outputs kept in DIR; run nothing")
    parser.add_argument(
        "--tutorials", type=Path, metavar="DIR", help="the tutorials and their README (default: this script's folder)",
        default=here if (here / "check_claims.py").is_file() else Path.cwd() / "tutorials",
    )  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args, start = parse_args(argv), time.perf_counter()
    scripts = tutorials_in(args.tutorials, args.only)
    claims, errors, times = all_claims(args.tutorials, scripts)
    timed = args.full and not args.outputs
    if timed:
        print(machine(), flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, path in scripts.items():
            output, seconds, failure = output_of(path, args, args.figures or Path(tmp))
            result = Result(n, seconds) if output is None else check(n, claims[n], output, args.full)
            result.seconds = seconds
            errors += [f"tutorial {n}: {failure}"] if failure else []
            results.append(result)
            print(report(result, times.get(n), args), flush=True)
            print("".join(f"  {line}\n" for line in result.listing if args.list), end="")
    for line in errors + [miss for r in results for miss in r.misses]:
        print(line)
    if timed:
        print(f"after the runs: {load()}")
    total = {k: sum(getattr(r, k) for r in results) for k in ("checked", "elsewhere", "deferred")}
    missed = sum(len(r.misses) for r in results)
    print(
        f"claims: {total['checked']} checked, {missed} missed, {total['elsewhere']} marked as from elsewhere, "
        + ("" if args.full else f"{total['deferred']} left to full mode, ")
        + f"{len(results)} tutorials, {'full' if args.full else 'smoke'} mode, {time.perf_counter() - start:.0f} s"
    )
    if errors:
        print(f"{len(errors)} error(s) in the texts or the runs (above)")
    return 1 if missed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
