"""An RBM and scikit-learn's BernoulliRBM on the binarised digits, judged by exact likelihood."""

import numpy as np
from sklearn.neural_network import BernoulliRBM

from reference import digits, mlp, rbm

X_train, labels_train, X_test, labels_test = digits.load_digits_split()
train, test = (X_train > 0.5).astype(float), (X_test > 0.5).astype(float)
settings = {"lr": 0.05, "epochs": 30, "batch_size": 10}

ours = rbm.train_rbm(train, 16, **settings, rng=np.random.default_rng(0))[:3]
theirs = BernoulliRBM(
    n_components=16,
    learning_rate=settings["lr"],
    n_iter=settings["epochs"],
    batch_size=settings["batch_size"],
    random_state=0,
).fit(train)
# scikit-learn stores W transposed: components_ is (n_hidden, n_visible)
theirs = (theirs.components_.T, theirs.intercept_visible_, theirs.intercept_hidden_)

p = (train.sum(axis=0) + 1.0) / (len(train) + 2.0)  # each pixel on its own, smoothed


def independent(images):
    """Each image's log-likelihood under independent pixels."""
    return (images * np.log(p) + (1.0 - images) * np.log1p(-p)).sum(axis=1)


print("mean log-likelihood, nats per image      training     test")
print(
    f"independent pixels                       {independent(train).mean():8.2f} "
    f"{independent(test).mean():8.2f}"
)
for name, model in (("deepref, CD-1", ours), ("scikit-learn BernoulliRBM, PCD-1", theirs)):
    print(
        f"{name:<40} {rbm.log_likelihood(train, *model).mean():8.2f} "
        f"{rbm.log_likelihood(test, *model).mean():8.2f}"
    )
print(f"log Z of deepref's RBM, exact: {rbm.log_partition(*ours):.4f} (2**16 states summed)")


def linear_accuracy(features_train, features_test):
    """Test accuracy of a softmax classifier on the features (no hidden layer), Adam, 100 epochs."""
    start = [(np.zeros((features_train.shape[1], 10)), np.zeros(10))]
    trained, _ = mlp.train_classifier(
        features_train,
        labels_train,
        start,
        ["identity"],
        lr=0.01,
        batch_size=32,
        epochs=100,
        rng=np.random.default_rng(0),
        optimizer="adam",
    )
    predicted = mlp.mlp_forward(features_test, trained, ["identity"]).argmax(axis=1)
    return (predicted == labels_test).mean()


W, b_v, b_h, _ = rbm.train_rbm(train, 64, **settings, momentum=0.5, rng=np.random.default_rng(0))
pixels = linear_accuracy(train, test)
features = linear_accuracy(
    rbm.hidden_probabilities(train, W, b_h), rbm.hidden_probabilities(test, W, b_h)
)
print()
print(f"a linear classifier on the 64 pixels:                           {pixels:.1%}")
print(f"the same on an RBM's 64 hidden probabilities (no labels used): {features:.1%}")
