"""The models' options, declared once: one dataclass per model, with each option's default, range and help.

Everything that takes a model option reads it from here: the model constructors
(``MSDN(D, L, **options)`` builds an :class:`MSDNConfig`), the scikit-learn-style estimators
(their parameters are these fields), the ``msdn train`` / ``msdn compare`` options (one per
field, ``--kernel-sizes`` for ``kernel_sizes``) and the checks of a model file's description.
An option added to a dataclass reaches all four.

Each field's ``metadata`` says what the option is: ``help`` (one line), ``metavar``, and one
of ``range`` ``(lo, hi)`` for numbers, ``choices`` for words, ``items`` ``(lo, hi, most)`` for a
tuple of integers; ``closed=False`` excludes the upper bound of a float range.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields
from typing import Any

from msdn_numpy.dataio.label_orders import LABEL_ORDERS
from msdn_numpy.nn.conv import PADDING_MODES
from msdn_numpy.util.checks import check_int, check_int_sequence

#: What MSDN's label axis carries (the ``embedding`` option). ``"label"``: position p holds a
#: code of label perm[p]'s own score alone (:class:`~msdn_numpy.nn.score_embedding.ScoreEmbedding`),
#: so a kernel of size k relates only labels at most k-1 positions apart. ``"free"``: position p
#: holds an embedding read from the whole hidden vector h, which already sees every label, so the
#: kernels' reach means nothing. ``"both"`` (the default): the label-specific axis for the kernels
#: K, and beside it a free branch that sees only its own position (kernel size 1). See
#: docs/DESIGN.md, section 2a.
EMBEDDINGS = ("both", "free", "label")

#: ``MSDN(label_perm=...)`` given without a name records this as its label order.
CUSTOM_ORDER = "custom"


def option(default: Any, help: str, metavar: str | None = None, **rule: Any) -> Any:
    """A dataclass field for one option: its default, and in ``metadata`` its help and its rule."""
    return field(default=default, metadata=dict(help=help, metavar=metavar, **rule))


def make_options(cls: type, options: dict[str, Any]) -> Any:
    """``cls(**options)``, an unknown name refused with the list of the model's options."""
    names = [f.name for f in fields(cls)]
    unknown = [name for name in options if name not in names]
    if unknown:
        model = cls.__name__.removesuffix("Config")
        raise TypeError(f"{model}: unknown option {unknown[0]!r}; the options of {model} are {', '.join(names)}")
    return cls(**options)


def check_options(config: Any) -> None:
    """Check every field of an options dataclass against its rule (``TypeError``/``ValueError`` naming it)."""
    where = type(config).__name__.removesuffix("Config")
    for f in fields(config):
        value, rule = getattr(config, f.name), f.metadata
        if "items" in rule:
            lo, hi, most = rule["items"]
            value = check_int_sequence(where, f.name, value, lo)
            if len(value) > most:
                raise ValueError(f"{where}: {f.name}: {len(value)} sizes given, at most {most}")
            if max(value) > hi:
                raise ValueError(f"{where}: {f.name}={value} holds {max(value)}; every entry must be at most {hi}")
            if len(set(value)) != len(value):
                raise ValueError(f"{where}: {f.name} must be distinct (one scale each), got {value}")
            object.__setattr__(config, f.name, value)
        elif "choices" in rule:
            if value not in rule["choices"]:
                raise ValueError(f"{where}: {f.name} must be one of {', '.join(rule['choices'])}, got {value!r}")
        elif f.type == "int":
            check_int(where, f.name, value, *rule["range"])
        else:
            _check_float(where, f.name, value, *rule["range"], rule.get("closed", True))


def _check_float(where: str, name: str, value: Any, lo: float, hi: float, closed: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name}={value!r} is not a number; pass e.g. {name}={lo}")
    if not (math.isfinite(value) and lo <= value and (value <= hi if closed else value < hi)):
        raise ValueError(f"{where}: {name} must be in [{lo:g}, {hi:g}{']' if closed else ')'}, got {name}={value}")


DROPOUT = dict(help="dropout after the encoder", metavar="P", range=(0.0, 1.0), closed=False)


@dataclass(frozen=True)
class MSDNConfig:
    """MSDN's options (:class:`msdn_numpy.models.msdn.MSDN`; docs/DESIGN.md says how each default was chosen)."""

    hidden: int = option(64, "encoder width E", "E", range=(1, 4096))
    embed_dim: int = option(8, "channels d of the free label embedding (embedding 'free' or 'both')", "d",
                            range=(1, 1024))
    label_dim: int = option(16, "channels of the score embedding the kernels read (embedding 'label' or 'both')",
                            "d_s", range=(1, 1024))
    free_channels: int = option(96, "channels of the free branch's kernel-size-1 convolution (embedding 'both')",
                                "C_f", range=(1, 4096))
    rank: int = option(16, "rank r of the bottleneck the free label embeddings are read from", "r", range=(1, 4096))
    channels: int = option(32, "channels C per kernel size", "C", range=(1, 1024))
    kernel_sizes: tuple[int, ...] = option((1, 3, 5), "the scales K, distinct kernel sizes", "K", items=(1, 64, 16))
    dropout: float = option(0.3, **DROPOUT)
    padding_mode: str = option("zeros", "how the two ends of the label axis are padded", choices=PADDING_MODES)
    embedding: str = option(
        "both",
        "what the label axis carries: 'label', a code of each label's own score alone, so that a kernel "
        "relates a label only to the labels inside its window; 'free', each label's embedding read from the "
        "whole hidden vector; 'both', the 'label' axis for the kernels and beside it a free branch of kernel "
        "size 1",
        choices=EMBEDDINGS,
    )
    label_order: str = option(
        "given", "the order of the labels along the axis", choices=LABEL_ORDERS + (CUSTOM_ORDER,)
    )

    def __post_init__(self) -> None:
        check_options(self)

    @property
    def kernel_channels(self) -> int:
        """The channels the kernels K read: the free embedding's d, or the score code's d_s."""
        return self.embed_dim if self.embedding == "free" else self.label_dim


@dataclass(frozen=True)
class BRMLPConfig:
    """BR-MLP's options (:class:`msdn_numpy.models.brmlp.BRMLP`): MSDN's encoder and head."""

    hidden: int = option(64, "encoder width E", "E", range=(1, 4096))
    dropout: float = option(0.3, **DROPOUT)

    def __post_init__(self) -> None:
        check_options(self)


@dataclass(frozen=True)
class RethinkRNNConfig:
    """The RethinkNet-style RNN's options (:class:`msdn_numpy.models.rethink.RethinkRNN`)."""

    hidden: int = option(128, "encoder and LSTM width", "E", range=(1, 4096))
    steps: int = option(3, "rethinking steps B", "B", range=(1, 100))
    dropout: float = option(0.3, **DROPOUT)

    def __post_init__(self) -> None:
        check_options(self)


#: Each model's options, by the model's name (``msdn train --model``).
CONFIGS: dict[str, type] = {"msdn": MSDNConfig, "rnn": RethinkRNNConfig, "br": BRMLPConfig}
