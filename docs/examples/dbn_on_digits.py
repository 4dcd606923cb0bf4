"""A deep belief net's weights as the start of a classifier, when only 100 digits have labels."""

import numpy as np

from reference import dbn, digits, init, mlp

X_train, labels_train, X_test, labels_test = digits.load_digits_split()
train, test = (X_train > 0.5).astype(float), (X_test > 0.5).astype(float)

# Greedy pre-training on all 1297 binarised training images, without their labels
stack = dbn.train_dbn(
    train, [64, 32], lr=0.05, epochs=30, batch_size=10, momentum=0.5, rng=np.random.default_rng(0)
)

print("64-64-32-10 sigmoid network, fine-tuned on 100 labelled digits (3 draws of the 100):")
for name in ("DBN start", "random start (Glorot)"):
    scores = []
    for draw in range(3):
        rows = np.random.default_rng(draw).choice(len(train), 100, replace=False)
        params, activations = dbn.dbn_to_mlp(stack, 10, np.random.default_rng(100 + draw))
        if name.startswith("random"):
            generator = np.random.default_rng(200 + draw)
            params = [
                (init.glorot_uniform(w.shape, generator), np.zeros(w.shape[1])) for w, _ in params
            ]
        trained, _ = mlp.train_classifier(
            train[rows],
            labels_train[rows],
            params,
            activations,
            lr=0.01,
            batch_size=10,
            epochs=200,
            rng=np.random.default_rng(draw),
            optimizer="adam",
        )
        predicted = mlp.mlp_forward(test, trained, activations).argmax(axis=1)
        scores.append((predicted == labels_test).mean())
    print(
        f"  {name:<24} test accuracy {np.mean(scores):.1%} (each: "
        f"{', '.join(f'{s:.1%}' for s in scores)})"
    )
