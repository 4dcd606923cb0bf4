"""Check a backward pass against its forward, the right one and one with a classic slip."""

import numpy as np

from numerics import check_gradient
from reference import regression

rng = np.random.default_rng(0)
X, w, b = rng.standard_normal((4, 3)), rng.standard_normal(3), 0.5


def slipped_linear_backward(dy, X, w, b):
    """The bias gradient as a mean over the batch instead of a sum."""
    return np.outer(dy, w), X.T @ dy, dy.mean()


print(check_gradient(regression.linear, regression.linear_backward, [X, w, b]))
print()
print(check_gradient(regression.linear, slipped_linear_backward, [X, w, b]))
