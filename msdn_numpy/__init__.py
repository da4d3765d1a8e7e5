"""msdn_numpy: MSDN multi-label classification written from scratch in NumPy."""
