"""util: small helpers every layer may use (the bottom layer; imports nothing of msdn_numpy).

``files``      output files written atomically; output paths checked before work
``threads``    the BLAS thread policy (read and set NumPy's OpenBLAS threads)
``progress``   count and time-left lines for long commands
``timing``     how ``msdn bench`` times (best of repeats, one thread)
"""
