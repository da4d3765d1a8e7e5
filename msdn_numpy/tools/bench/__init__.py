"""``msdn bench``: the speed benchmark, one module per section.

``common``       the shapes it times, the machine, a row of the table
``conv``         1. Conv1D (naive vs im2col vs PyTorch), 2. MSDN's convs (readable vs fast)
``torch_twin``   the same MSDN in ``torch.nn``, weight for weight, checked before it is timed
``epoch``        3. one MSDN training epoch, 4. large label sets, 5. scaling in L and N
``memory``       6. peak memory, 7. GFLOP/s against the matrix-product ceiling
``run``          the whole run: every section, the table, the JSON, the figure (``run_bench``)

How it times is :mod:`msdn_numpy.util.timing`; what it found is docs/PERFORMANCE.md.
"""
