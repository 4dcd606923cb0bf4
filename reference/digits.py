r"""The classic digit example: an MLP learns the 8x8 handwritten digits.

The 1797 images of 8x8 pixels (grey levels 0 to 16) that ship inside
scikit-learn (``sklearn.datasets.load_digits``, no download) are split once,
by a fixed seed, into 1297 for training and 500 held out. A network of 64
inputs, one hidden layer of tanh units and 10 outputs (one per digit, trained
against one-hot targets by the softmax cross-entropy) learns them with
:func:`reference.mlp.train_classifier`.

scikit-learn is needed only here, to load the data; it is not a dependency of
the rest of the reference (install the ``test`` or ``docs`` extra).
"""

from __future__ import annotations

import itertools
from typing import NamedTuple

import numpy as np

from reference._validation import as_positive_int, as_real, as_seed
from reference.mlp import Params, mlp_forward, train_classifier

__all__ = ["DigitsResult", "load_digits_split", "train_digit_network"]

#: Images held out for testing.
TEST_SIZE = 500


def load_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits, scaled to [0, 1] and split by a fixed permutation (seed 0).

    Returns
    -------
    (X_train, labels_train, X_test, labels_test)
        Images as rows of 64 pixels, shapes (1297, 64) and (500, 64); labels
        are integers 0 to 9.

    Raises
    ------
    ImportError
        If scikit-learn is not installed, saying how to install it.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as missing:  # pragma: no cover - depends on the environment
        raise ImportError(
            "load_digits_split: the digits ship inside scikit-learn; install it "
            "with pip install 'deepref[test]'"
        ) from missing
    digits = load_digits()
    images = digits.data / 16.0
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(images))
    test, train = order[:TEST_SIZE], order[TEST_SIZE:]
    return images[train], labels[train], images[test], labels[test]


class DigitsResult(NamedTuple):
    """What :func:`train_digit_network` returns."""

    params: Params
    """The trained layers, [(W1, b1), (W2, b2)]."""
    activations: list[str]
    """["tanh", "identity"]."""
    losses: np.ndarray
    """The training cross-entropy before training and after each epoch."""
    test_accuracy: float
    """The fraction of the 500 held-out images classified right."""
    test_predictions: np.ndarray
    """The predicted digit of each held-out image."""


def train_digit_network(
    *, hidden: int = 64, epochs: int = 60, lr: float = 0.2, batch_size: int = 32, seed: int = 1
) -> DigitsResult:
    r"""Train the 64-``hidden``-10 tanh network on the training split; score it on the rest.

    The weights start as $W_{ij} \sim \mathcal N(0, 1/\text{fan\_in})$ (so each
    unit's sum starts with about the variance of one input; the page
    [Initialisation][initialisation] explains why), the biases at 0; ``seed`` draws them and
    the order of the minibatches.
    """
    func = "train_digit_network"
    width = as_positive_int(hidden, func, "hidden")
    rng = np.random.default_rng(as_seed(seed, func))
    # checked here too, so that a message names this function rather than the trainer
    rate = as_real(lr, func, "lr", strictly_positive=True, finite=True)
    size = as_positive_int(batch_size, func, "batch_size")
    count = as_positive_int(epochs, func, "epochs")
    X_train, labels_train, X_test, labels_test = load_digits_split()
    sizes = [X_train.shape[1], width, 10]
    params = [
        (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in), np.zeros(fan_out))
        for fan_in, fan_out in itertools.pairwise(sizes)
    ]
    activations = ["tanh", "identity"]
    params, losses = train_classifier(
        X_train,
        labels_train,
        params,
        activations,
        lr=rate,
        batch_size=size,
        epochs=count,
        rng=rng,
    )
    predictions = np.argmax(mlp_forward(X_test, params, activations), axis=1)
    accuracy = float(np.mean(predictions == labels_test))
    return DigitsResult(params, activations, losses, accuracy, predictions)
