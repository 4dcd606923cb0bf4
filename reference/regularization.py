r"""Regularisation and data hygiene: what keeps a network from learning its training set by heart.

* **Weight decay** adds $\frac\lambda2\lVert w\rVert^2$ to the loss, pulling
  every weight toward 0: the gradient step becomes
  $w \leftarrow (1 - \eta\lambda)w - \eta g$, a decay of the weights.
* **Dropout** silences each unit with probability $p$ during training, so no
  unit can rely on a particular other; the survivors are scaled by
  $1/(1 - p)$ (*inverted* dropout) so that the expected output is unchanged
  and nothing needs rescaling at test time.
* **Early stopping** watches the validation loss and keeps the weights of
  its best epoch, stopping once it has not improved for ``patience`` epochs.
* **Shuffling** the examples every epoch, and **standardising** each
  feature to mean 0 and standard deviation 1, keep SGD's steps unbiased and
  well scaled (the regression page shows the contours).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from reference import _stable
from reference._validation import (
    as_float_array,
    as_positive_int,
    as_real,
    require_generator,
)

__all__ = [
    "dropout",
    "dropout_backward",
    "early_stopping",
    "shuffle",
    "standardize",
    "unstandardize",
    "weight_decay",
    "weight_decay_backward",
]


def weight_decay(w: ArrayLike, *, lam: float) -> float:
    r"""The L2 penalty $\frac{\lambda}{2}\lVert w\rVert^2$ (a sum over every entry, not a mean).

    With the $\tfrac12$ its gradient is $\lambda w$, and SGD on loss plus penalty
    is $w \leftarrow (1 - \eta\lambda) w - \eta g$. (PyTorch's ``weight_decay=λ``
    adds $\lambda w$ to the gradient: the same $\lambda$.)

    Examples
    --------
    >>> weight_decay(np.array([3.0, 4.0]), lam=0.1)
    1.25
    """
    weights = as_float_array(w, "weight_decay", "w")
    strength = as_real(lam, "weight_decay", "lam", minimum=0.0, finite=True)
    return float(0.5 * strength * np.sum(weights * weights))


def weight_decay_backward(d_loss: float, w: ArrayLike, *, lam: float) -> np.ndarray:
    r"""Gradient of :func:`weight_decay`: $\text{d\_loss}\cdot\lambda w$."""
    weights = as_float_array(w, "weight_decay_backward", "w")
    strength = as_real(lam, "weight_decay_backward", "lam", minimum=0.0, finite=True)
    scale = as_real(d_loss, "weight_decay_backward", "d_loss")
    return scale * strength * weights


def _probability(func: str, p: float) -> float:
    rate = as_real(p, func, "p", minimum=0.0, finite=True)
    if rate >= 1.0:
        raise ValueError(
            f"{func}: p must be in [0, 1) (the probability of dropping a unit); got {rate!r}"
        )
    return rate


def dropout(
    x: ArrayLike, p: float, rng: np.random.Generator | None = None, *, mask: ArrayLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Inverted dropout: $y = x \cdot \text{mask}/(1 - p)$.

    Each mask entry is 1 with probability $1 - p$ and 0 otherwise: drawn from
    ``rng``, or given as ``mask`` (to apply another library's mask, or the
    same mask twice).

    Parameters
    ----------
    x : array_like, any shape
    p : float in [0, 1)
        The probability of dropping each entry.
    rng : numpy.random.Generator, optional
        Draws the mask: entry $i$ is kept when ``rng.random(x.shape)[i] >= p``.
    mask : array_like of 0.0 and 1.0, shape of x, optional
        The mask to apply instead of drawing one. Exactly one of ``rng`` and
        ``mask`` is given.

    Returns
    -------
    (y, mask)
        ``mask`` holds 0.0 and 1.0, shaped like ``x``; keep it for
        :func:`dropout_backward`. $E[y] = x$.

    Examples
    --------
    >>> y, mask = dropout(np.ones(4), 0.5, np.random.default_rng(1))
    >>> y, mask
    (array([2., 2., 0., 2.]), array([1., 1., 0., 1.]))
    >>> dropout(np.array([1.0, 3.0]), 0.5, mask=np.array([0.0, 1.0]))[0]
    array([0., 6.])
    """
    values = as_float_array(x, "dropout", "x")
    rate = _probability("dropout", p)
    if (rng is None) == (mask is None):
        raise TypeError(
            "dropout: give exactly one of rng (to draw the mask) and mask; got "
            f"{'neither' if rng is None else 'both'}"
        )
    if mask is not None:
        kept = _mask("dropout", mask, values.shape)
    else:
        kept = (require_generator(rng, "dropout").random(values.shape) >= rate).astype(np.float64)
    return values * kept / (1.0 - rate), kept


def _mask(func: str, mask: ArrayLike, shape: tuple[int, ...]) -> np.ndarray:
    kept = as_float_array(mask, func, "mask")
    if kept.shape != shape:
        raise ValueError(
            f"{func}: mask must have the shape of {'x' if func == 'dropout' else 'dy'}"
            f", {shape}; got shape {kept.shape}"
        )
    if not np.all((kept == 0.0) | (kept == 1.0)):
        raise ValueError(f"{func}: mask must hold 0.0 and 1.0 (the mask dropout returned)")
    return kept


def dropout_backward(dy: ArrayLike, mask: ArrayLike, p: float) -> np.ndarray:
    r"""Gradient of :func:`dropout`: $dx = dy\cdot\text{mask}/(1 - p)$, with the forward's mask."""
    upstream = as_float_array(dy, "dropout_backward", "dy")
    kept = _mask("dropout_backward", mask, upstream.shape)
    return upstream * kept / (1.0 - _probability("dropout_backward", p))


def early_stopping(val_losses: ArrayLike, *, patience: int) -> tuple[int, int]:
    r"""Where training would stop: ``(best_epoch, stop_epoch)``, epochs counted from 0.

    Epoch by epoch, the best validation loss so far is remembered; training
    stops at the first epoch that is ``patience`` epochs after the best one
    without a strictly lower loss in between, or at the last epoch. The weights
    to keep are those of ``best_epoch``, the first arg-min of the losses seen
    up to ``stop_epoch``.

    Examples
    --------
    >>> early_stopping([3.0, 2.0, 2.5, 1.5, 1.6, 1.7, 1.8, 1.0], patience=3)
    (3, 6)
    """
    losses = as_float_array(val_losses, "early_stopping", "val_losses", ndim=1, layout="(E,)")
    wait = as_positive_int(patience, "early_stopping", "patience")
    if losses.size == 0 or not np.all(np.isfinite(losses)):
        raise ValueError("early_stopping: val_losses must be a non-empty array of finite losses")
    best = 0
    for epoch in range(1, losses.size):
        if losses[epoch] < losses[best]:
            best = epoch
        elif epoch - best >= wait:
            return best, epoch
    return best, losses.size - 1


def shuffle(X: ArrayLike, y: ArrayLike, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``X`` and the entries of ``y`` in the same random order (new arrays).

    Examples
    --------
    >>> shuffle(np.array([[1.0], [2.0], [3.0]]), np.array([10.0, 20.0, 30.0]),
    ...         np.random.default_rng(0))
    (array([[3.],
           [1.],
           [2.]]), array([30., 10., 20.]))
    """
    inputs = as_float_array(X, "shuffle", "X")
    targets = np.asarray(y)
    if inputs.ndim == 0 or targets.ndim == 0 or targets.shape[0] != inputs.shape[0]:
        raise ValueError(
            f"shuffle: X and y must have the same number of rows; got shapes "
            f"{inputs.shape} and {targets.shape}"
        )
    order = require_generator(rng, "shuffle").permutation(inputs.shape[0])
    return inputs[order], targets[order]


def standardize(X: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Each feature (column) to mean 0 and standard deviation 1: ``(Z, mean, std)``.

    $Z = (X - \mu)/s$ with the population standard deviation $s$ (divided by
    $N$). A constant feature has $s = 0$; it is left centred and unscaled
    ($s$ is returned as 1 for it), so that the transformation stays invertible.
    Apply the training set's ``mean`` and ``std`` to validation and test data.
    """
    inputs = as_float_array(X, "standardize", "X", ndim=2, layout="(N, D)")
    if inputs.shape[0] == 0:
        raise ValueError("standardize: X must have at least one row")
    mean = _stable.mean(inputs, 0)
    std = _stable.std(inputs, 0)
    std = np.where(std > 0.0, std, 1.0)
    return (inputs - mean) / std, mean, std


def unstandardize(Z: ArrayLike, mean: ArrayLike, std: ArrayLike) -> np.ndarray:
    r"""Undo :func:`standardize`: $X = Z s + \mu$."""
    values = as_float_array(Z, "unstandardize", "Z", ndim=2, layout="(N, D)")
    centre = as_float_array(mean, "unstandardize", "mean", ndim=1, layout="(D,)")
    scale = as_float_array(std, "unstandardize", "std", ndim=1, layout="(D,)")
    if centre.shape != (values.shape[1],) or scale.shape != (values.shape[1],):
        raise ValueError(
            f"unstandardize: mean and std must have shape ({values.shape[1]},); got "
            f"{centre.shape} and {scale.shape}"
        )
    return values * scale + centre
