"""Denoising-autoencoder features, and greedy pre-training when only 100 digits have labels."""

import numpy as np

from reference import autoencoder as ae
from reference import digits, init, mlp

X_train, labels_train, X_test, labels_test = digits.load_digits_split()
settings = {"lr": 0.01, "epochs": 30, "batch_size": 32, "optimizer": "adam"}
denoising = {"loss": "cross_entropy", "corruption": ("mask", 0.3), **settings}


def accuracy(params, activations):
    """The share of the 500 test digits a network classifies right."""
    predicted = mlp.mlp_forward(X_test, params, activations).argmax(axis=1)
    return (predicted == labels_test).mean()


def linear_accuracy(encode):
    """A softmax classifier on the features encode(X), no hidden layer, Adam, 100 epochs."""
    start = [(np.zeros((encode(X_train).shape[1], 10)), np.zeros(10))]
    trained, _ = mlp.train_classifier(
        encode(X_train),
        labels_train,
        start,
        ["identity"],
        lr=0.01,
        batch_size=32,
        epochs=100,
        rng=np.random.default_rng(0),
        optimizer="adam",
    )
    predicted = mlp.mlp_forward(encode(X_test), trained, ["identity"]).argmax(axis=1)
    return (predicted == labels_test).mean()


model, _ = ae.train_autoencoder(X_train, 64, rng=np.random.default_rng(0), **denoising)
print(f"a linear classifier on the 64 pixels:                   {linear_accuracy(lambda x: x):.1%}")
print(
    "the same on a denoising autoencoder's 64 code units:   "
    f"{linear_accuracy(lambda x: ae.encode(x, model)):.1%}"
)

# Greedy pre-training on all 1297 training images (no labels), then fine-tuning on 100 labels
stack = ae.train_stacked(X_train, [64, 32], rng=np.random.default_rng(0), **denoising)
activations = ["sigmoid", "sigmoid", "identity"]
print()
print("64-64-32-10 sigmoid network, fine-tuned on 100 labelled digits (3 draws of the 100):")
for name in ("pre-trained stack", "random start (Glorot)"):
    scores = []
    for draw in range(3):
        rows = np.random.default_rng(draw).choice(len(X_train), 100, replace=False)
        start = stack
        if name.startswith("random"):
            generator = np.random.default_rng(100 + draw)
            start = [
                ae.Autoencoder(
                    init.glorot_uniform(shape, generator),
                    np.zeros(shape[1]),
                    np.zeros(shape[::-1]),
                    np.zeros(shape[0]),
                )
                for shape in ((64, 64), (64, 32))
            ]
        params, _ = ae.fine_tune(
            X_train[rows],
            labels_train[rows],
            start,
            classes=10,
            lr=0.01,
            epochs=200,
            batch_size=10,
            rng=np.random.default_rng(draw),
            optimizer="adam",
        )
        scores.append(accuracy(params, activations))
    print(
        f"  {name:<24} test accuracy {np.mean(scores):.1%} (each: "
        f"{', '.join(f'{s:.1%}' for s in scores)})"
    )
