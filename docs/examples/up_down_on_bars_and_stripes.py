"""Up-down fine-tuning of a greedily trained DBN, judged by its exact log-likelihood."""

import numpy as np

from reference import dbn, rbm

# The 14 patterns of bars and stripes 3x3; the best any model can do is -log 14 = -2.639
images = rbm.bars_and_stripes(3)
UPDATES = 20_000  # CD updates per RBM, or up-down steps: 2 858 epochs of 7 batches of 2


def exact(stack_or_net: object) -> float:
    """The exact mean log p(v) over the 14 patterns, in nats."""
    net = stack_or_net if isinstance(stack_or_net, dbn.DeepBeliefNet) else dbn.untie(stack_or_net)
    return float(dbn.log_likelihood(net, images).mean())


def up_down(stack: list, generator: np.random.Generator) -> dbn.DeepBeliefNet:
    """The stack untied and fine-tuned by UPDATES up-down steps (2 rows, k = 3, lr 0.05)."""
    net = dbn.untie(stack)
    return dbn.train_up_down(net, images, lr=0.05, steps=UPDATES, batch_size=2, k=3, rng=generator)


print("9-8-6 DBN on bars and stripes 3x3, exact mean log p(v) in nats (best -2.639):")
print(f"{'seed':>4} {'greedy':>8} {'+ up-down':>10} {'greedy, longer':>15} {'+ up-down':>10}")
for seed in range(3):
    generator = np.random.default_rng(seed)
    stack = dbn.train_dbn(images, [8, 6], lr=0.1, epochs=50, batch_size=2, rng=generator)
    # the same start trained greedily for longer: each RBM continues for UPDATES more updates
    lower = rbm.train_rbm(
        images, 8, lr=0.1, epochs=2858, batch_size=2, rng=generator, init=stack[0]
    )[:3]
    activities = rbm.hidden_probabilities(images, lower[0], lower[2])
    upper = rbm.train_rbm(
        activities,
        6,
        lr=0.1,
        epochs=2858,
        batch_size=2,
        binary=False,
        rng=generator,
        init=stack[1],
    )[:3]
    longer = [lower, upper]
    print(
        f"{seed:>4} {exact(stack):>8.3f} {exact(up_down(stack, generator)):>10.3f} "
        f"{exact(longer):>15.3f} {exact(up_down(longer, generator)):>10.3f}"
    )
