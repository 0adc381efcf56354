"""Engines: the algebra that derivers use but that is not itself a goal (issue 9 item 6).

* `matpoly`: polynomials in symbolic matrices, their derivatives and display forms.
"""
