"""tools: the command line and what only it needs (the top layer).

``cli``       the ``msdn`` command
``persist``   model files (``.npz`` of plain arrays, bounded and checked before use)
``plots``     the tutorials' figure helpers
``bench/``    ``msdn bench``, one module per section, and its torch twin of MSDN
"""
