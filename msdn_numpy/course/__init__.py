"""course: the exercises' checkers and the grader behind ``msdn grade``.

``grading``      checker verdicts (PASS / FAIL / NOT DONE) naming the tensor and both shapes
``exercises``    the eight exercises: their functions, inputs, checks and the package's references
``submissions``  what ``msdn grade`` grades in the paths given, what it leaves out and why
``copying``      a student's folder copied once, iteratively, within limits
``gradebook``    ``msdn grade``: every exercise of every student in a fresh, confined process
``worker``       that process: loads one exercise file and answers the grader's requests
``sandbox``      its confinement by the kernel: user, resource limits, Landlock, seccomp
``allowlist``    what it may read and write, for Landlock and for a Python audit hook
``stand_ins``    the package's reference implementations made unusable in it
``wire``         the messages between the two processes (JSON and raw arrays, bounded)
``report``       points, the terminal table, the JSON, CSV and Gradescope exports
"""
