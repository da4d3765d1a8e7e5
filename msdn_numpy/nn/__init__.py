"""nn: the engine a learner studies -- every layer with a hand-written forward and backward.

In the order a learner meets them:

``layers``       the Module contract; Linear, ReLU, Tanh, Dropout, Reshape, Sequential, Parallel
``conv``         Conv1D: the naive loops (the definition) and im2col/col2im (one matrix product)
``multiscale``   MultiScaleConv1D: every kernel size of MSDN's relation block from one im2col
``recurrent``    LSTM with backpropagation through time
``losses``       binary cross-entropy with logits
``optim``        SGD and Adam
``gradcheck``    finite-difference gradient checking (``PASS_BAR``, ``GradcheckResult``)

Imports only NumPy and, within msdn_numpy, nothing above this layer.
"""
