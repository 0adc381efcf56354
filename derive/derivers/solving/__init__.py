"""Closed-form solving and verdicts on given matrices: `argmin`, `solve`, `inv`, `det`,
`eigenvalues`, `eigenvectors` (and the eigenvalues, pivots or Cholesky factor behind
`psd`, in derive.derivers.definite).

The modules, one concern each:

* `spectrum`: the characteristic polynomial and its roots, exact where possible;
* `matrices`: reading a given matrix or vector argument, exactly;
* `linear`: `solve(A, b)`, `inv(A)`, `det(A)` by exact elimination, each checked;
* `eigen`: `eigenvalues(A)`, `eigenvectors(A)`;
* `argmin`: `argmin(L, w)`: ∇L = 0 solved, confirmed by the Hessian.
"""
