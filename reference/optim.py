r"""Optimisers: the update rules that turn a gradient into a step.

Every rule here is a pure function: it takes the weights, the gradient and the
optimiser's state (a velocity, running averages) and **returns** the new
weights and the new state, never changing its arguments. One step of each,
with $g$ the gradient at $w$ and $\eta$ the learning rate:

* **SGD**: $w \leftarrow w - \eta g$.
* **Momentum** (the heavy ball): $v \leftarrow \beta v - \eta g$, $w \leftarrow w + v$.
  The velocity remembers past gradients, so the ball keeps rolling across flat
  regions and damps the zigzag across narrow valleys.
* **Nesterov**: the same velocity, but the step looks ahead along it:
  $w \leftarrow w + \beta v_{new} - \eta g$.
* **Adagrad**: $G \leftarrow G + g^2$, $w \leftarrow w - \eta g/(\sqrt G + \epsilon)$:
  each coordinate's rate shrinks with the gradients it has seen.
* **RMSProp**: $S \leftarrow \rho S + (1 - \rho) g^2$,
  $w \leftarrow w - \eta g/(\sqrt S + \epsilon)$: Adagrad that forgets.
* **Adam**: momentum on $g$ and RMSProp's average of $g^2$, both corrected for
  their start at 0.

Recurrent networks add **gradient clipping** (:func:`clip_by_norm`, Pascanu et
al. 2013): when the gradient's norm over all parameters together exceeds a
bound, the whole gradient is scaled down to it, so that one exploding step
cannot throw the weights far.

In Adagrad, RMSProp and Adam $\epsilon$ is added **after** the square root, as
in the Adam paper and PyTorch (TensorFlow's Adagrad and some implementations
add it inside); the docstrings repeat it, because it changes the steps where
gradients are small.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from reference._validation import (
    NonFiniteLossError,
    as_float_array,
    as_positive_int,
    as_real,
    require_generator,
)

__all__ = [
    "OPTIMIZERS",
    "Optimizer",
    "adagrad_step",
    "adam_step",
    "clip_by_norm",
    "minimize",
    "momentum_step",
    "nesterov_step",
    "optimizer",
    "rmsprop_step",
    "sgd_step",
    "train_minibatch",
]


def _arrays(
    func: str, w: ArrayLike, grad: ArrayLike, **state: ArrayLike
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    weights = as_float_array(w, func, "w")
    gradient = as_float_array(grad, func, "grad")
    if gradient.shape != weights.shape:
        raise ValueError(
            f"{func}: grad must have the shape of w, {weights.shape}; got shape {gradient.shape}"
        )
    arrays = []
    for name, value in state.items():
        array = as_float_array(value, func, name)
        if array.shape != weights.shape:
            raise ValueError(
                f"{func}: {name} must have the shape of w, {weights.shape}; got shape {array.shape}"
            )
        arrays.append(array)
    return weights, gradient, arrays


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """The quotient numerator / denominator, and 0 where the denominator is 0.

    The adaptive rules divide by sqrt(accumulated g²) + eps: with eps = 0 the denominator is 0
    only where every gradient so far was 0, and so is the numerator; the step's limit there is
    0, not NaN.
    """
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0.0)


def _rate(func: str, lr: float) -> float:
    return as_real(lr, func, "lr", strictly_positive=True, finite=True)


def _fraction(func: str, name: str, value: float) -> float:
    number = as_real(value, func, name, minimum=0.0, finite=True)
    if number >= 1.0:
        raise ValueError(f"{func}: {name} must be in [0, 1); got {number!r}")
    return number


def sgd_step(w: ArrayLike, grad: ArrayLike, *, lr: float) -> np.ndarray:
    r"""Gradient descent: $w - \eta g$.

    Examples
    --------
    >>> sgd_step(np.array([1.0, 2.0]), np.array([0.5, -1.0]), lr=0.1)
    array([0.95, 2.1 ])
    """
    weights, gradient, _ = _arrays("sgd_step", w, grad)
    return weights - _rate("sgd_step", lr) * gradient


def momentum_step(
    w: ArrayLike, grad: ArrayLike, velocity: ArrayLike, *, lr: float, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""The heavy ball, in the classic form: $v \leftarrow \beta v - \eta g$, $w \leftarrow w + v$.

    PyTorch writes the same method as $b \leftarrow \beta b + g$,
    $w \leftarrow w - \eta b$: with a constant $\eta$, $v = -\eta b$ at every
    step, and the two follow the same path (the page [Optimisers][optimisers] shows it
    and a test checks it). ``beta = 0`` is :func:`sgd_step`.

    Returns
    -------
    (w, velocity)
    """
    func = "momentum_step"
    weights, gradient, (old,) = _arrays(func, w, grad, velocity=velocity)
    rate, decay = _rate(func, lr), _fraction(func, "beta", beta)
    # v ← β v − η g
    new_velocity = decay * old - rate * gradient
    # w ← w + v
    return weights + new_velocity, new_velocity


def nesterov_step(
    w: ArrayLike, grad: ArrayLike, velocity: ArrayLike, *, lr: float, beta: float
) -> tuple[np.ndarray, np.ndarray]:
    r"""Nesterov momentum, the form with the gradient at $w$ (as in PyTorch).

    $v \leftarrow \beta v - \eta g$, $w \leftarrow w + \beta v - \eta g$. Nesterov's method
    evaluates the gradient at the look-ahead point $w + \beta v$; rewritten in the variable
    $w' = w + \beta v$ it needs only the gradient at the current weights, the form PyTorch uses
    (``nesterov=True``: $b \leftarrow \beta b + g$, $w \leftarrow w - \eta(g + \beta b)$,
    the same path with $v = -\eta b$).

    Returns
    -------
    (w, velocity)
    """
    func = "nesterov_step"
    weights, gradient, (old,) = _arrays(func, w, grad, velocity=velocity)
    rate, decay = _rate(func, lr), _fraction(func, "beta", beta)
    # v ← β v − η g
    new_velocity = decay * old - rate * gradient
    # w ← w + β v − η g  (the step looks ahead along the new velocity)
    return weights + decay * new_velocity - rate * gradient, new_velocity


def adagrad_step(
    w: ArrayLike, grad: ArrayLike, accum: ArrayLike, *, lr: float, eps: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    r"""Adagrad: $G \leftarrow G + g^2$, $w \leftarrow w - \eta\,g/(\sqrt{G} + \epsilon)$.

    $\epsilon$ is added **after** the square root (as PyTorch does). The
    effective rate $\eta/(\sqrt G + \epsilon)$ of each coordinate never grows.
    With $\epsilon = 0$, a coordinate whose gradients were all 0 does not move
    (the limit of $0/0$ here), instead of becoming NaN.

    Returns
    -------
    (w, accum)
    """
    func = "adagrad_step"
    weights, gradient, (total,) = _arrays(func, w, grad, accum=accum)
    rate = _rate(func, lr)
    epsilon = as_real(eps, func, "eps", minimum=0.0, finite=True)
    # G ← G + g²
    new_total = total + gradient * gradient
    # w ← w − η g / (√G + ε)
    return weights - rate * _ratio(gradient, np.sqrt(new_total) + epsilon), new_total


def rmsprop_step(
    w: ArrayLike,
    grad: ArrayLike,
    sq_avg: ArrayLike,
    *,
    lr: float,
    rho: float = 0.99,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray]:
    r"""RMSProp: a running average of $g^2$ scales each coordinate's step.

    $S \leftarrow \rho S + (1 - \rho) g^2$, $w \leftarrow w - \eta\,g/(\sqrt{S} + \epsilon)$.
    $\epsilon$ is added **after** the square root (PyTorch's convention;
    ``rho = 0.99`` is PyTorch's ``alpha`` default).

    Returns
    -------
    (w, sq_avg)
    """
    func = "rmsprop_step"
    weights, gradient, (average,) = _arrays(func, w, grad, sq_avg=sq_avg)
    rate, decay = _rate(func, lr), _fraction(func, "rho", rho)
    epsilon = as_real(eps, func, "eps", minimum=0.0, finite=True)
    # S ← ρ S + (1 − ρ) g²
    new_average = decay * average + (1.0 - decay) * gradient * gradient
    # w ← w − η g / (√S + ε)
    return weights - rate * _ratio(gradient, np.sqrt(new_average) + epsilon), new_average


def adam_step(
    w: ArrayLike,
    grad: ArrayLike,
    m: ArrayLike,
    v: ArrayLike,
    t: int,
    *,
    lr: float,
    beta1: float = 0.9,
    beta2: float = 0.999,
    eps: float = 1e-8,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Adam, bias-corrected, with the step count $t$ starting at 1.

    $$\begin{aligned}
    m &\leftarrow \beta_1 m + (1 - \beta_1) g,\\
    v &\leftarrow \beta_2 v + (1 - \beta_2) g^2,\\
    w &\leftarrow w - \eta\,\frac{m/(1 - \beta_1^t)}{\sqrt{v/(1 - \beta_2^t)} + \epsilon}.
    \end{aligned}$$

    $\epsilon$ is added **after** the square root, as in the Adam paper and
    PyTorch. On the first step ($m = v = 0$, $t = 1$) each coordinate with a
    nonzero gradient moves by $\eta\,|g|/(|g| + \epsilon) \approx \eta$, whatever
    the gradient's scale.

    Returns
    -------
    (w, m, v)
    """
    func = "adam_step"
    weights, gradient, (first, second) = _arrays(func, w, grad, m=m, v=v)
    step = as_positive_int(t, func, "t")
    rate = _rate(func, lr)
    decay1, decay2 = _fraction(func, "beta1", beta1), _fraction(func, "beta2", beta2)
    epsilon = as_real(eps, func, "eps", minimum=0.0, finite=True)
    # m ← β₁ m + (1 − β₁) g
    new_first = decay1 * first + (1.0 - decay1) * gradient
    # v ← β₂ v + (1 − β₂) g²
    new_second = decay2 * second + (1.0 - decay2) * gradient * gradient
    # m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)
    corrected_first = new_first / (1.0 - decay1**step)
    corrected_second = new_second / (1.0 - decay2**step)
    # w ← w − η m̂ / (√v̂ + ε)
    new_weights = weights - rate * _ratio(corrected_first, np.sqrt(corrected_second) + epsilon)
    return new_weights, new_first, new_second


Step = Callable[[np.ndarray, np.ndarray, Any], tuple[np.ndarray, Any]]


def clip_by_norm(grads: Sequence[ArrayLike], max_norm: float) -> list[np.ndarray]:
    r"""Scale a gradient down to ``max_norm`` when its norm exceeds it (Pascanu et al. 2013).

    The norm is taken over all arrays together, $\lVert g\rVert = (\sum_i \lVert g_i
    \rVert^2)^{1/2}$, and every array is scaled by the same factor:

    $$g_i \leftarrow g_i \cdot \min\Bigl(1, \frac{m}{\lVert g\rVert}\Bigr)$$

    with $m$ = ``max_norm``.

    The direction is unchanged and the result's norm is $\min(\lVert g\rVert, m)$. (The
    norm is computed on the gradient divided by its largest entry, so that it neither
    overflows nor underflows.) Returns new arrays.

    Examples
    --------
    >>> [g.tolist() for g in clip_by_norm([np.array([3.0]), np.array([4.0])], 1.0)]
    [[0.6000000000000001], [0.8]]
    """
    func = "clip_by_norm"
    bound = as_real(max_norm, func, "max_norm", strictly_positive=True)
    given: Any = grads  # the annotation promises a sequence; a caller may pass an array
    if isinstance(given, np.ndarray) or not isinstance(given, Sequence):
        raise TypeError(f"{func}: grads must be a list of arrays, one per parameter")
    arrays = [as_float_array(g, func, f"grads[{i}]") for i, g in enumerate(grads)]
    for i, g in enumerate(arrays):
        if not np.all(np.isfinite(g)):
            raise ValueError(f"{func}: grads[{i}] must be finite (a diverged gradient?)")
    largest = max((float(np.max(np.abs(g))) for g in arrays if g.size), default=0.0)
    if largest == 0.0:
        return [g.copy() for g in arrays]
    # ‖g‖ = m (Σ (g/m)²)^{1/2}, with m the largest |entry|: no overflow, no underflow
    norm = largest * np.sqrt(sum(float(np.sum((g / largest) ** 2)) for g in arrays))
    factor = min(1.0, bound / norm)
    return [g * factor for g in arrays]


def minimize(
    loss_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    w0: ArrayLike,
    step: Step,
    *,
    steps: int,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Run an optimiser for ``steps`` steps from ``w0`` and record the path.

    Parameters
    ----------
    loss_and_grad : callable
        ``loss_and_grad(w) -> (loss, grad)``.
    w0 : array_like
        The starting weights (not modified).
    step : callable
        ``step(w, grad, state) -> (w, state)``, with ``state`` None on the first
        call; for example, momentum with its velocity as the state::

            def heavy_ball(w, grad, velocity):
                velocity = np.zeros_like(w) if velocity is None else velocity
                return momentum_step(w, grad, velocity, lr=0.1, beta=0.9)

        (Adam's state is ``(m, v, t)``.)
    steps : int
        How many updates.

    Returns
    -------
    (path, losses)
        ``path[k]`` is the weights after $k$ steps (``path[0]`` is ``w0``), and
        ``losses[k]`` the loss there: ``steps + 1`` of each.

    Raises
    ------
    reference.NonFiniteLossError
        When a loss is not finite; its ``step`` is the number of steps taken before it.
    """
    func = "minimize"
    weights = as_float_array(w0, func, "w0").copy()
    count = as_positive_int(steps, func, "steps")
    # the annotations promise callables; a caller may still pass anything
    if not callable(loss_and_grad) or not callable(step):  # type: ignore[redundant-expr]
        raise TypeError(f"{func}: loss_and_grad and step must be callables")
    path, losses = [weights], []
    state: Any = None
    rate = float(getattr(step, "lr", np.nan))
    with np.errstate(over="ignore", invalid="ignore"):
        for taken in range(count + 1):
            loss, grad = loss_and_grad(weights)
            losses.append(float(loss))
            if not np.isfinite(losses[-1]):
                raise NonFiniteLossError(
                    f"{func}: the loss became {losses[-1]!r} after {taken} steps; try a "
                    f"smaller learning rate",
                    step=taken,
                    lr=rate,
                )
            if taken == count:
                break
            weights, state = step(weights, np.asarray(grad, dtype=np.float64), state)
            path.append(np.asarray(weights, dtype=np.float64))
    return np.array(path), np.array(losses)


#: The optimisers :func:`optimizer` builds, and the options each takes besides ``lr``.
OPTIMIZERS: dict[str, tuple[str, ...]] = {
    "sgd": (),
    "momentum": ("beta",),
    "nesterov": ("beta",),
    "adagrad": ("eps",),
    "rmsprop": ("rho", "eps"),
    "adam": ("beta1", "beta2", "eps"),
}


class Optimizer:
    """One of the update rules above as a :data:`Step`: ``step(w, grad, state) -> (w, state)``.

    Built by :func:`optimizer`. The state is None before the first step; after it, the
    velocity (momentum, Nesterov), the accumulated squares (Adagrad, RMSProp) or
    ``(m, v, t)`` (Adam). The instance itself holds no state: it can drive any number of
    parameters, each with its own state.
    """

    def __init__(self, name: str, lr: float, options: dict[str, float]) -> None:
        self.name, self.lr, self.options = name, lr, options

    def __repr__(self) -> str:
        settings = "".join(f", {key}={value!r}" for key, value in self.options.items())
        return f"optimizer({self.name!r}, lr={self.lr!r}{settings})"

    def __call__(self, w: np.ndarray, grad: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        """One step from ``w`` along ``grad``: the new weights and the new state."""
        if self.name == "sgd":
            return sgd_step(w, grad, lr=self.lr), None
        zeros = np.zeros_like(w)
        if self.name == "adam":
            m, v, t = (zeros, zeros, 0) if state is None else state
            w, m, v = adam_step(w, grad, m, v, t + 1, lr=self.lr, **self.options)
            return w, (m, v, t + 1)
        rules: dict[str, Callable[..., tuple[np.ndarray, np.ndarray]]] = {
            "momentum": momentum_step,
            "nesterov": nesterov_step,
            "adagrad": adagrad_step,
            "rmsprop": rmsprop_step,
        }
        rule = rules[self.name]
        return rule(w, grad, zeros if state is None else state, lr=self.lr, **self.options)


def optimizer(name: str, *, lr: float, **options: float) -> Optimizer:
    """The update rule ``name`` with its settings, as a step for :func:`minimize` and the loops.

    Parameters
    ----------
    name : str
        One of :data:`OPTIMIZERS`: ``"sgd"``, ``"momentum"``, ``"nesterov"``,
        ``"adagrad"``, ``"rmsprop"``, ``"adam"``.
    lr : float
        The learning rate.
    **options
        The rule's own settings (``beta`` for momentum, ``rho`` and ``eps`` for
        RMSProp, ...); those not given take the defaults of the ``*_step`` function.

    Examples
    --------
    >>> step = optimizer("momentum", lr=0.1, beta=0.9)
    >>> w, velocity = step(np.array([1.0]), np.array([2.0]), None)
    >>> w, velocity
    (array([0.8]), array([-0.2]))
    """
    func = "optimizer"
    if name not in OPTIMIZERS:
        raise ValueError(f"{func}: name must be one of {sorted(OPTIMIZERS)}; got {name!r}")
    unknown = sorted(set(options) - set(OPTIMIZERS[name]))
    if unknown:
        raise TypeError(f"{func}: {name} takes the options {list(OPTIMIZERS[name])}; got {unknown}")
    if name in ("momentum", "nesterov") and "beta" not in options:
        raise TypeError(f"{func}: {name} needs beta, the weight of the old velocity")
    return Optimizer(name, _rate(func, lr), dict(options))


BatchGradient = Callable[[list[np.ndarray], np.ndarray], tuple[float | None, Sequence[np.ndarray]]]


def train_minibatch(
    params: Sequence[np.ndarray],
    batch_gradient: BatchGradient,
    *,
    samples: int,
    batch_size: int,
    epochs: int,
    rng: np.random.Generator,
    step: Step,
    evaluate: Callable[[list[np.ndarray]], Any],
    weight_decay: float = 0.0,
    max_grad_norm: float | None = None,
    func: str = "train_minibatch",
) -> tuple[list[np.ndarray], np.ndarray]:
    r"""Minibatch training: the one loop every trainer of the reference runs.

    Each epoch draws a fresh order of the ``samples`` examples from ``rng`` and
    cuts it into consecutive minibatches of ``batch_size`` (the last one holds
    what remains). For each minibatch $B$ it asks ``batch_gradient(params, B)``
    for the minibatch loss and the gradient of each parameter, adds
    $\lambda\theta$ for weight decay, and moves each parameter by ``step``:

    $$\theta \leftarrow \text{step}\big(\theta,\ \nabla_\theta L_B + \lambda\theta\big).$$

    Parameters
    ----------
    params : list of numpy.ndarray
        The starting point; copied, never modified.
    batch_gradient : callable
        ``batch_gradient(params, rows) -> (loss, grads)``: the loss on the
        examples ``rows`` (or None, not to check it) and one gradient per
        parameter. It may draw from ``rng`` (dropout's masks) after the order.
    samples, batch_size, epochs : int
    rng : numpy.random.Generator
        Draws each epoch's order.
    step : callable
        ``step(w, grad, state) -> (w, state)``, e.g. ``optimizer("adam", lr=0.01)``;
        each parameter has its own state.
    evaluate : callable
        ``evaluate(params)``: what to record before training and after each
        epoch (a loss, or a tuple of losses: training and validation).
    weight_decay : float, default 0
        $\lambda \ge 0$ of the penalty $\frac\lambda2\lVert\theta\rVert^2$ on every parameter.
    max_grad_norm : float, optional
        Clip the minibatch gradient to this norm (:func:`clip_by_norm`, before the weight
        decay is added, as PyTorch's ``clip_grad_norm_`` before its optimiser's step).
    func : str
        The name that error messages give (the trainer that called).

    Returns
    -------
    (params, history)
        The trained parameters (new arrays) and ``evaluate`` before training
        and after each epoch: ``epochs + 1`` entries.

    Raises
    ------
    NonFiniteLossError
        When a minibatch loss or an evaluation stops being finite; its ``step``
        counts the updates made before, its ``epoch`` the epoch under way
        (1 for the first, 0 before it).
    """
    size = as_positive_int(batch_size, func, "batch_size")
    count = as_positive_int(epochs, func, "epochs")
    decay = as_real(weight_decay, func, "weight_decay", minimum=0.0, finite=True)
    clip = (
        None
        if max_grad_norm is None
        else as_real(max_grad_norm, func, "max_grad_norm", strictly_positive=True)
    )
    require_generator(rng, func)
    rate = float(getattr(step, "lr", np.nan))
    weights = [np.array(p, dtype=np.float64) for p in params]
    states: list[Any] = [None] * len(weights)

    def failed(value: Any, steps: int, epoch: int) -> NonFiniteLossError:
        return NonFiniteLossError(
            f"{func}: the loss became {value!r} after {steps} steps with lr = {rate!r}; try a "
            f"smaller learning rate",
            step=steps,
            lr=rate,
            epoch=epoch,
        )

    # A diverging run overflows; that is reported as NonFiniteLossError, not as NumPy's
    # warnings (which only plain-Python runs, NUMBA_DISABLE_JIT=1, would emit).
    with np.errstate(over="ignore", invalid="ignore"):
        history = [evaluate(weights)]
        if not np.all(np.isfinite(history[0])):
            raise failed(history[0], 0, 0)
        steps = 0
        for epoch in range(1, count + 1):
            order = rng.permutation(samples)
            for start in range(0, samples, size):
                loss, grads = batch_gradient(weights, order[start : start + size])
                if loss is not None and not np.isfinite(loss):
                    raise failed(loss, steps, epoch)
                if clip is not None:
                    grads = clip_by_norm(grads, clip)
                for index, grad in enumerate(grads):
                    if decay:
                        # ∇(L + λ/2 |θ|²) = ∇L + λ θ
                        grad = grad + decay * weights[index]
                    weights[index], states[index] = step(weights[index], grad, states[index])
                steps += 1
            history.append(evaluate(weights))
            if not np.all(np.isfinite(history[-1])):
                raise failed(history[-1], steps, epoch)
    return weights, np.array(history)
