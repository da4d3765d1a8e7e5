"""Figure helpers shared by the tutorials (matplotlib only).

Every helper draws on a ``matplotlib`` Axes (made for you when ``ax`` is None) and
returns it, so figures can be composed; :func:`save` writes a PNG and closes the figure.
matplotlib is imported inside the functions, so importing :mod:`msdn_numpy` never needs it.

* :func:`learning_curves` — train / validation loss per epoch, the selected epoch marked.
* :func:`validation_curve` — one validation column per epoch (micro-F1 …), the selected epoch marked.
* :func:`epoch_axis` — a (log-scale) epoch axis with plain tick labels.
* :func:`heatmap` — a labelled matrix with a colour bar (co-occurrence, im2col, ...).
* :func:`tradeoff` — accuracy against parameter count, one marker per model, error bars.
* :func:`save` — ``fig.savefig(folder / name)`` at a readable resolution (also shown inline in a
  notebook), then close.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

#: Resolution of saved figures: sharp at 100% zoom, small files.
DPI = 110


def _axes(ax: Any = None, figsize: tuple[float, float] = (6.4, 4.2)) -> Any:
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def epoch_axis(ax: Any, last_epoch: int, logx: bool = True) -> Any:
    """Label ``ax``'s x axis as epochs 1 … ``last_epoch``, logarithmic by default.

    Most of what happens in training happens in the first tens of epochs; a log axis
    gives them room without squeezing the tail. Ticks are plain numbers (1, 2, 5, 10,
    20, 50, 100, 200 …), not powers of ten.
    """
    if logx:
        ax.set_xscale("log")
        ticks = [t for t in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if t <= max(last_epoch, 1)]
        if last_epoch >= 1.3 * ticks[-1]:  # label the last epoch too (e.g. 400), unless next to a tick
            ticks.append(int(last_epoch))
        ax.set_xticks(ticks, [str(t) for t in ticks])
        ax.minorticks_off()
        ax.set_xlim(0.9, max(last_epoch, 2) * 1.1)
        ax.set_xlabel("epoch (log scale)")
    else:
        ax.set_xlabel("epoch")
    return ax


def _mark_selected(ax: Any, history: Any, values: np.ndarray, color: Any) -> None:
    """A dot on ``values`` at the selected epoch and a dotted vertical line through it."""
    best = history.best_epoch
    ax.axvline(best, color=color, ls=":", lw=1.2)
    ax.plot([best], [values[best - 1]], "o", color=color, markersize=8)


def learning_curves(
    history: Any,
    ax: Any = None,
    title: str = "Learning curves",
    label: str = "",
    logx: bool = True,
    color: Any = None,
) -> Any:
    """Plot a :class:`msdn_numpy.train.History`: train and validation BCE per epoch.

    The selected epoch (``history.best_epoch``, chosen by ``history.select``) is a dot on
    the validation curve and a dotted vertical line, and is named in the legend entry
    rather than written on the curves, so that several runs can share an Axes without
    their labels overlapping.

    Parameters
    ----------
    history : History
        ``history.column("train_loss")``, ``history.column("val_loss")``,
        ``history.best_epoch`` and ``history.select`` are used.
    ax : matplotlib Axes, optional
    title : str
    label : str
        Prefix for the legend entries (e.g. the model's name) when several runs share an Axes.
    logx : bool
        Logarithmic epoch axis (see :func:`epoch_axis`).
    color : matplotlib colour, optional
        One colour for this run's lines (default: the next colour of the cycle).

    Returns
    -------
    The Axes.
    """
    ax = _axes(ax)
    epochs = history.column("epoch")
    prefix = f"{label}: " if label else ""
    (line,) = ax.plot(epochs, history.column("train_loss"), "--", color=color, label=f"{prefix}train loss")
    val = history.column("val_loss")
    selected = f" (selected epoch {history.best_epoch})" if history.best_epoch else ""
    ax.plot(epochs, val, "-", color=line.get_color(), label=f"{prefix}validation loss{selected}")
    if history.best_epoch:
        _mark_selected(ax, history, val, line.get_color())
    epoch_axis(ax, int(epochs[-1]) if len(epochs) else 1, logx)
    ax.set_ylabel("mean binary cross-entropy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def validation_curve(
    history: Any,
    key: str = "val_micro_f1",
    ax: Any = None,
    title: str = "",
    label: str = "",
    ylabel: str = "validation micro-F1 (best global threshold)",
    logx: bool = True,
    color: Any = None,
) -> Any:
    """Plot one per-epoch column of a :class:`msdn_numpy.train.History` with the selected epoch marked.

    Parameters
    ----------
    history : History
    key : str
        The column, e.g. ``"val_micro_f1"`` (what early stopping watches by default) or
        ``"val_example_f1"``.
    ax, title, label, logx, color
        As in :func:`learning_curves`.
    ylabel : str

    Returns
    -------
    The Axes.
    """
    ax = _axes(ax)
    epochs, values = history.column("epoch"), history.column(key)
    selected = f" (selected epoch {history.best_epoch})" if history.best_epoch else ""
    (line,) = ax.plot(epochs, values, "-", color=color, label=f"{label}{selected}" if label else selected.strip())
    if history.best_epoch:
        _mark_selected(ax, history, values, line.get_color())
    epoch_axis(ax, int(epochs[-1]) if len(epochs) else 1, logx)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return ax


def heatmap(
    M: np.ndarray,
    row_labels: Sequence[str] | None = None,
    col_labels: Sequence[str] | None = None,
    ax: Any = None,
    title: str = "",
    cbar_label: str = "",
    cmap: str = "viridis",
    annotate: bool | str = False,
    vmin: float | None = None,
    vmax: float | None = None,
    xlabel: str = "",
    ylabel: str = "",
) -> Any:
    """Draw matrix ``M (R, C)`` with tick labels and a colour bar.

    Parameters
    ----------
    M : np.ndarray, shape (R, C)
    row_labels, col_labels : sequences of str, optional
        Tick labels (omitted when None; thinned automatically beyond 40 ticks).
    annotate : bool or str
        Write each value in its cell; a string is the format (default ``"{:.2f}"``).
    vmin, vmax : float, optional
        Colour range (default: the data's range).

    Returns
    -------
    The Axes.
    """
    import matplotlib.pyplot as plt

    ax = _axes(ax)
    M = np.asarray(M, dtype=np.float64)
    im = ax.imshow(M, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto", interpolation="nearest")
    cbar = plt.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    if cbar_label:
        cbar.set_label(cbar_label)
    for labels, set_ticks, set_labels, n, rot in (
        (row_labels, ax.set_yticks, ax.set_yticklabels, M.shape[0], 0),
        (col_labels, ax.set_xticks, ax.set_xticklabels, M.shape[1], 90),
    ):
        if labels is None:
            continue
        step = max(1, int(np.ceil(n / 40)))
        ticks = np.arange(0, n, step)
        set_ticks(ticks)
        set_labels([str(labels[i]) for i in ticks], rotation=rot, fontsize=8 if n > 16 else 9)
    if annotate:
        fmt = annotate if isinstance(annotate, str) else "{:.2f}"
        for (i, j), v in np.ndenumerate(M):
            r, g, b, _ = im.cmap(im.norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # text colour by the cell's luminance
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8, color="white" if dark else "black")
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def tradeoff(
    params: dict[str, Sequence[int]],
    scores: dict[str, Sequence[float]],
    ax: Any = None,
    metric: str = "example-based F1",
    title: str = "Accuracy vs parameters",
) -> Any:
    """Scatter the mean score (± std over seeds) of each model against its parameter count.

    Parameters
    ----------
    params : dict name -> sequence of int
        Parameter counts (one per run; normally all equal for a model).
    scores : dict name -> sequence of float
        The metric of each run (seed).
    metric : str
        The y-axis label.

    The x axis is logarithmic: the models differ by orders of magnitude.

    Returns
    -------
    The Axes.
    """
    ax = _axes(ax)
    markers = "osD^vP*X"
    for i, name in enumerate(params):
        p, s = float(np.mean(params[name])), np.asarray(scores[name], dtype=np.float64)
        ax.errorbar(
            [p], [s.mean()], yerr=[s.std()], fmt=markers[i % len(markers)], markersize=9, capsize=4,
            label=f"{name} ({int(p):,} params, n={len(s)})",
        )  # fmt: skip
        ax.scatter(np.full(len(s), p), s, s=12, alpha=0.35, color=ax.lines[-1].get_color())
    ax.set_xscale("log")
    ax.set_xlabel("trainable parameters (log scale)")
    ax.set_ylabel(metric)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9)
    return ax


def in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (a notebook), told without importing IPython.

    A kernel has imported IPython and runs a shell with a ``kernel``; a plain script (or
    terminal IPython) has not, and IPython is not imported here just to ask.
    """
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def save(fig: Any, folder: str | Path, name: str) -> Path:
    """Write ``fig`` to ``folder/name`` (PNG, :data:`DPI`), close it, print and return the path.

    In a Jupyter kernel the saved PNG is also displayed in the cell's output, before the
    figure is closed (closed, matplotlib's inline backend would show nothing).
    """
    import matplotlib.pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fig.savefig(path, dpi=DPI)
    if in_kernel():
        from IPython.display import Image, display  # IPython is there: the kernel runs on it

        display(Image(data=path.read_bytes(), format="png"))
    plt.close(fig)
    print(f"[figure] {path}")
    return path
