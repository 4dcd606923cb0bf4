"""Hold a float32 implementation of the linear model to the reference, within gamma_n."""

import numpy as np

from numerics import assert_close
from reference import regression

rng = np.random.default_rng(1)
X, w, b = rng.standard_normal((1000, 64)), rng.standard_normal(64), 0.25


def my_linear_float32(X, w, b):
    """A candidate implementation: the linear model computed in float32."""
    return X.astype(np.float32) @ w.astype(np.float32) + np.float32(b)


# the reference, on the same (rounded to float32) inputs, in float64
X32, w32, b32 = X.astype(np.float32), w.astype(np.float32), float(np.float32(b))
expected = regression.linear(X32, w32, b32)
gauge = np.abs(X32.astype(float)) @ np.abs(w32.astype(float)) + abs(b32)
# 64 products and 64 additions behind each output, rounded in float32
assert_close(my_linear_float32(X, w, b), expected, gauge=gauge, terms=64 + 1, dtype=np.float32)
print("float32 linear: every output within gamma_65(float32) of its gauge")

try:
    assert_close(
        my_linear_float32(X, w, b) + np.float32(1e-3),
        expected,
        gauge=gauge,
        terms=64 + 1,
        dtype=np.float32,
    )
except AssertionError as error:
    print(error)
