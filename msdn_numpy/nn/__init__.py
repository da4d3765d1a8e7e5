"""nn: the engine a learner studies -- every layer with a hand-written forward and backward.

In the order a learner meets them:

``layers``           the Module contract; Linear, ReLU, Tanh, Dropout, Reshape, Sequential, Parallel
``losses``           binary cross-entropy with logits
``conv``             Conv1D as one matrix product: padding, im2col, col2im
``conv_naive``       Conv1D as loops that read like its equation: the definition conv is tested against
``score_embedding``  ScoreEmbedding: each label's code made from its own score alone
``recurrent``        LSTM with backpropagation through time
``optim``            SGD and Adam, their update equations written out
``gradcheck``        finite-difference gradient checking (``PASS_BAR``, ``GradcheckResult``)
``fast/``            the opt-in fast twins (fused multi-scale conv, flat-vector optimisers): not read,
                     not run by default, tested equal to the readable layers

Imports only NumPy and, within msdn_numpy, nothing above this layer.
"""
