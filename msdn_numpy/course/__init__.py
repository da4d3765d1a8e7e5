"""course: the exercises' checkers and the grader behind ``msdn grade``.

``grading``     checker verdicts (PASS / FAIL / NOT DONE) naming the tensor and both shapes
``exercises``   the eight exercises: their functions, inputs and checks
``gradebook``   ``msdn grade``: every student file in a fresh process, one row per student
"""
