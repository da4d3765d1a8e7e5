"""dataio: the data layer (files to arrays). Imports only :mod:`msdn_numpy.util`.

``datasets``        the Dataset container (X, Y and their names)
``arff_io``         ARFF files (dense and sparse) with MULAN XML / MEKA ``-C n`` labels
``benchmarks``      the data-folder rule, the checksums of the standard splits, ``load_dataset``
``preprocessing``   seeded train/validation/test splits and the Standardizer
``label_orders``    orders of the label axis MSDN convolves along
``synthetic``       the bundled synthetic datasets, generated with known label rules
"""
