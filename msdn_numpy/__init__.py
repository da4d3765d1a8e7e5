"""msdn_numpy: MSDN multi-label classification written from scratch in NumPy.

The package is layered; imports go one way, from the bottom up (``tests/test_layout.py``
enforces it):

``util/``       files, threads, progress, timing: helpers any layer may use
``dataio/``     datasets, ARFF files, the benchmark registry, splits, label orders, synthetic data
``nn/``         the engine: layers, conv (im2col) and its loop definition, score embedding, recurrent,
                losses, optim, gradcheck; ``nn/fast/``, the opt-in fast twins of some of them
``models/``     MSDN, RethinkRNN, BRMLP (built from ``nn``) and their options
``metrics``     the multi-label metrics; ``train``: the training recipe
``estimators``  MSDNClassifier, RethinkRNNClassifier, BRMLPClassifier: the recipe, scikit-learn style
``compare``     the comparison of the models over seeds, with paired statistics
``course/``     the exercises' checkers and ``msdn grade``
``tools/``      the ``msdn`` command, model files, plots, the benchmark

The names below are the public API: ``from msdn_numpy import MSDN, Conv1D, gradcheck, ...``.
"""

from msdn_numpy.models import BRMLP, MSDN, BRMLPConfig, MSDNConfig, RethinkRNN, RethinkRNNConfig, build_model
from msdn_numpy.nn.conv import Conv1D
from msdn_numpy.nn.conv_naive import Conv1DNaive
from msdn_numpy.nn.fast import MultiScaleConv1D
from msdn_numpy.nn.gradcheck import PASS_BAR, GradcheckResult, gradcheck, rel_error
from msdn_numpy.nn.layers import Dropout, Linear, Module, Parallel, ReLU, Reshape, Sequential, Tanh
from msdn_numpy.nn.losses import BCEWithLogits, sigmoid
from msdn_numpy.nn.optim import SGD, Adam
from msdn_numpy.nn.recurrent import LSTM
from msdn_numpy.nn.score_embedding import ScoreEmbedding

__version__ = "0.1.0"

#: Exported, but imported on first use: the estimators bring in the trainer and, with the
#: metrics, SciPy's statistics, which ``from msdn_numpy import Conv1D`` does not need.
_LAZY = {"MSDNClassifier": "estimators", "RethinkRNNClassifier": "estimators", "BRMLPClassifier": "estimators"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"msdn_numpy.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'msdn_numpy' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "Adam", "BCEWithLogits", "BRMLP", "BRMLPClassifier", "BRMLPConfig", "Conv1D", "Conv1DNaive", "Dropout",
    "GradcheckResult", "LSTM", "Linear", "MSDN", "MSDNClassifier", "MSDNConfig", "Module", "MultiScaleConv1D",
    "PASS_BAR", "Parallel", "ReLU", "Reshape", "RethinkRNN", "RethinkRNNClassifier", "RethinkRNNConfig", "SGD",
    "ScoreEmbedding", "Sequential", "Tanh", "build_model", "gradcheck", "rel_error", "sigmoid",
]  # fmt: skip
