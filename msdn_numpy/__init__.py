"""msdn_numpy: MSDN multi-label classification written from scratch in NumPy.

The modules, in the order a learner meets them:

``layers``          the Module contract; Linear, ReLU, Dropout, Reshape, Sequential, Parallel
``conv``            Conv1D: the naive loops and the im2col version; MultiScaleConv1D (all kernel sizes at once)
``recurrent``       LSTM with backpropagation through time
``losses``          binary cross-entropy with logits
``optim``           SGD and Adam
``gradcheck``       finite-difference gradient checking (``PASS_BAR``, ``GradcheckResult``)
``datasets``        the Dataset container (X, Y and their names)
``arff_io``         ARFF files with MULAN XML / MEKA ``-C n`` labels
``benchmarks``      the benchmark registry: data folders, checksums, train/test pairs
``preprocessing``   seeded splits and the standardiser
``label_orders``    orders of the label axis MSDN convolves along
``synthetic``       the bundled dataset with known label dependencies
``metrics``         the multi-label metrics
``models``          MSDN, RethinkRNN, BRMLP
``train``           the training recipe
``persist``         model files
``files``           output files written atomically, output paths checked
``threads``         the BLAS thread policy (read/set NumPy's OpenBLAS threads)
``progress``        count and time-left lines for long commands
``compare``         the comparison of the models over seeds, with paired statistics
``cli``             the ``msdn`` command
"""

from .conv import Conv1D, Conv1DNaive, MultiScaleConv1D
from .gradcheck import PASS_BAR, GradcheckResult, gradcheck, rel_error
from .layers import Dropout, Linear, Module, Parallel, ReLU, Reshape, Sequential
from .losses import BCEWithLogits, sigmoid
from .models import BRMLP, MSDN, RethinkRNN, build_model
from .optim import SGD, Adam
from .recurrent import LSTM

__version__ = "0.1.0"

__all__ = [
    "Adam", "BCEWithLogits", "BRMLP", "Conv1D", "Conv1DNaive", "Dropout", "GradcheckResult", "LSTM",
    "Linear", "MSDN", "Module", "MultiScaleConv1D", "PASS_BAR", "Parallel", "ReLU", "Reshape", "RethinkRNN",
    "SGD", "Sequential", "Tanh", "build_model", "gradcheck", "rel_error", "sigmoid",
]  # fmt: skip
