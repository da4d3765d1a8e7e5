"""msdn_numpy: MSDN multi-label classification written from scratch in NumPy.

The package is layered; imports go one way, from the bottom up (``tests/test_layout.py``
enforces it):

``util/``       files, threads, progress, timing: helpers any layer may use
``dataio/``     datasets, ARFF files, the benchmark registry, splits, label orders, synthetic data
``nn/``         the engine: layers, conv (naive + im2col), multiscale, recurrent, losses, optim, gradcheck
``models``      MSDN, RethinkRNN, BRMLP (built from ``nn``)
``train``       the training recipe; ``metrics``: the multi-label metrics
``compare``     the comparison of the models over seeds, with paired statistics
``course/``     the exercises' checkers and ``msdn grade``
``tools/``      the ``msdn`` command, model files, plots, the benchmark

The names below are the public API: ``from msdn_numpy import MSDN, Conv1D, gradcheck, ...``.
"""

from msdn_numpy.models import BRMLP, MSDN, RethinkRNN, build_model
from msdn_numpy.nn.conv import Conv1D, Conv1DNaive
from msdn_numpy.nn.gradcheck import PASS_BAR, GradcheckResult, gradcheck, rel_error
from msdn_numpy.nn.layers import Dropout, Linear, Module, Parallel, ReLU, Reshape, Sequential, Tanh
from msdn_numpy.nn.losses import BCEWithLogits, sigmoid
from msdn_numpy.nn.multiscale import MultiScaleConv1D
from msdn_numpy.nn.optim import SGD, Adam
from msdn_numpy.nn.recurrent import LSTM

__version__ = "0.1.0"

__all__ = [
    "Adam", "BCEWithLogits", "BRMLP", "Conv1D", "Conv1DNaive", "Dropout", "GradcheckResult", "LSTM",
    "Linear", "MSDN", "Module", "MultiScaleConv1D", "PASS_BAR", "Parallel", "ReLU", "Reshape", "RethinkRNN",
    "SGD", "Sequential", "Tanh", "build_model", "gradcheck", "rel_error", "sigmoid",
]  # fmt: skip
