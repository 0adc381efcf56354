"""Classical machine learning as an exam asks it: k-means, PCA, the perceptron, k-NN,
decision-tree splits, naive Bayes and information theory (docs/learning.md).

In: goal calls (`kmeans(points, init = [...], steps = 2)`, `entropy(p)`, ...).  Out: a
`Derived` answer with every step a TA writes on the board, tables where a TA uses one,
exact arithmetic, each equality checked.  One module per goal family:

* `data`: reading points, labels, queries and keywords (errors at the argument);
* `notation`: log_b and ‖v‖² as sympy display objects;
* `information`: entropy, kl, cross_entropy (with base), information_gain, gini;
* `kmeans`, `pca`, `perceptron`, `knn`, `trees` (best_split), `bayes` (naive_bayes).

The goal functions are looked up by `derive.derivers.goals` as "learning.MODULE:FUNCTION".
"""
