r"""What the recurrent layers share: their activations, the clip, and how sequences are read.

**Activations.** ONNX lets every activation of ``RNN``, ``LSTM`` and ``GRU`` be
one of eleven functions, some with a parameter $\alpha$ and some with a
$\beta$. Each has a name here (lower case, as in :mod:`reference.activations`)
and its ONNX name; the defaults are those of ONNX's standalone operators of the
same name.

| name | ONNX | $f(a)$ | defaults |
|---|---|---|---|
| ``relu`` | Relu | $\max(0, a)$ | |
| ``tanh`` | Tanh | $\tanh a$ | |
| ``sigmoid`` | Sigmoid | $1 / (1 + e^{-a})$ | |
| ``affine`` | Affine | $\alpha a + \beta$ | $\alpha = 1, \beta = 0$ |
| ``leaky_relu`` | LeakyRelu | $a$ if $a \ge 0$, else $\alpha a$ | $\alpha = 0.01$ |
| ``thresholded_relu`` | ThresholdedRelu | $a$ if $a \ge \alpha$, else $0$ | $\alpha = 1$ |
| ``scaled_tanh`` | ScaledTanh | $\alpha \tanh(\beta a)$ | $\alpha = \beta = 1$ |
| ``hard_sigmoid`` | HardSigmoid | $\min(\max(\alpha a+\beta, 0), 1)$ | $\alpha = .2, \beta = .5$ |
| ``elu`` | Elu | $a$ if $a \ge 0$, else $\alpha (e^a - 1)$ | $\alpha = 1$ |
| ``softsign`` | Softsign | $a / (1 + \lvert a \rvert)$ | |
| ``softplus`` | Softplus | $\log(1 + e^a)$ | |

Where a function has a kink (ReLU at 0, the thresholded ReLU at $\alpha$, the
hard sigmoid's two corners) its derivative is taken from the right side's
formula at the kink itself, as ONNX's "$a \ge 0$" reads.

**Clip.** ONNX's ``clip`` bounds the input of every activation to
$[-\text{clip}, \text{clip}]$: each gate's pre-activation, and the LSTM's cell
state where it enters $h$ (the state itself is carried unclipped). Where the
bound is active the value no longer depends on the input, so the gradient is 0
there; at the bound itself it passes (as ``torch.clamp``'s does).

**Lengths and direction.** A batch may hold sequences of different lengths
$L_n$, $1 \le L_n \le T$. Sequence $n$ is read at the time steps $0, \dots,
L_n - 1$, or with ``reverse`` at $L_n - 1, \dots, 0$ (each sequence backwards
from its own last valid step, PyTorch's packed sequences). Past its length a
state is carried unchanged, so the last state of every sequence is the state
after its own last step, and the outputs there are 0.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numba
import numpy as np

from reference._validation import INT64_MAX, as_float_array, as_positive_int, as_real, describe

#: Each activation: its code in the kernels, its ONNX name, and its default alpha and beta
#: (None: the function takes no such parameter).
ACTIVATIONS: dict[str, tuple[int, str, float | None, float | None]] = {
    "relu": (0, "Relu", None, None),
    "tanh": (1, "Tanh", None, None),
    "sigmoid": (2, "Sigmoid", None, None),
    "affine": (3, "Affine", 1.0, 0.0),
    "leaky_relu": (4, "LeakyRelu", 0.01, None),
    "thresholded_relu": (5, "ThresholdedRelu", 1.0, None),
    "scaled_tanh": (6, "ScaledTanh", 1.0, 1.0),
    "hard_sigmoid": (7, "HardSigmoid", 0.2, 0.5),
    "elu": (8, "Elu", 1.0, None),
    "softsign": (9, "Softsign", None, None),
    "softplus": (10, "Softplus", None, None),
}

#: ONNX's names (matched without regard to case, as ONNX Runtime does) and ours.
ONNX_NAMES = {onnx.lower(): name for name, (_, onnx, _, _) in ACTIVATIONS.items()}


def activation_parameters(
    func: str,
    names: Sequence[Any],
    alphas: Any,
    betas: Any,
    *,
    argument: str = "activations",
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kernels' form of a list of activations: their codes, alphas and betas.

    ``alphas`` and ``betas`` are None (every default) or sequences as long as ``names``,
    each entry None (the default) or a finite number; a number given to a function that
    takes no such parameter is refused, since it would be silently ignored.
    """
    codes = np.empty(len(names), dtype=np.int64)
    alpha = np.zeros(len(names))
    beta = np.zeros(len(names))
    given_alphas = _per_activation(func, "activation_alpha", alphas, len(names))
    given_betas = _per_activation(func, "activation_beta", betas, len(names))
    for k, name in enumerate(names):
        if not isinstance(name, str) or name not in ACTIVATIONS:
            raise ValueError(
                f"{func}: {argument} must name activations among {sorted(ACTIVATIONS)}; "
                f"got {name!r}"
            )
        codes[k], _, default_alpha, default_beta = ACTIVATIONS[name]
        for values, given, default, label in (
            (alpha, given_alphas[k], default_alpha, "activation_alpha"),
            (beta, given_betas[k], default_beta, "activation_beta"),
        ):
            if given is not None and default is None:
                raise ValueError(
                    f"{func}: {label} gives {given!r} for {name}, which takes no such parameter"
                )
            values[k] = default if given is None else as_real(given, func, label, finite=True)
    return codes, alpha, beta


def as_names(func: str, names: Any, count: int) -> list[Any]:
    """``activations``: a sequence of ``count`` names (checked by :func:`activation_parameters`)."""
    if isinstance(names, str) or not isinstance(names, Sequence) or len(names) != count:
        raise ValueError(
            f"{func}: activations must be a sequence of {count} names; got {describe(names)}"
        )
    return list(names)


def gate_rows(func: str, name: str, weights: np.ndarray, gates: int) -> int:
    """H, from a weight whose first axis holds ``gates`` blocks of H rows; or raise."""
    rows = weights.shape[0]
    if rows == 0 or rows % gates:
        raise ValueError(
            f"{func}: {name} must hold {gates} gate blocks of H rows each; got {rows} rows"
        )
    return rows // gates


def _per_activation(func: str, label: str, values: Any, count: int) -> list[Any]:
    if values is None:
        return [None] * count
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(
            f"{func}: {label} must be None or a sequence of {count} numbers or Nones, one per "
            f"activation; got {describe(values)}"
        )
    if len(values) != count:
        raise ValueError(
            f"{func}: {label} must hold {count} entries, one per activation; got {len(values)}"
        )
    return list(values)


def onnx_activation_parameters(
    func: str, names: Any, alphas: Any, betas: Any, defaults: tuple[str, ...], directions: int
) -> list[tuple[list[str], list[float | None], list[float | None]]]:
    """ONNX's activation attributes as our names, alphas and betas, one triple per direction.

    ONNX lists ``len(defaults)`` activations per direction (the forward's, then the
    reverse's), and ``activation_alpha`` / ``activation_beta`` as flat lists that its text
    leaves unexplained. They are consumed as ONNX Runtime does: in the order of the
    activations, one value by each activation that takes that parameter, the default once
    the list runs out; a value left over is refused.
    """
    count = len(defaults)
    if names is None:
        ours = list(defaults) * directions
    else:
        if isinstance(names, str) or not isinstance(names, Sequence):
            raise TypeError(f"{func}: activations must be a list of names; got {describe(names)}")
        if len(names) != count * directions:
            raise ValueError(
                f"{func}: activations must list {count * directions} names ({count} per "
                f"direction, {directions} direction(s)); got {len(names)}"
            )
        ours = []
        for name in names:
            if not isinstance(name, str) or name.lower() not in ONNX_NAMES:
                onnx = sorted(entry[1] for entry in ACTIVATIONS.values())
                raise ValueError(f"{func}: activations must be among {onnx}; got {name!r}")
            ours.append(ONNX_NAMES[name.lower()])
    taken = {"activation_alpha": 2, "activation_beta": 3}
    consumed: dict[str, list[float | None]] = {}
    for label, values in (("activation_alpha", alphas), ("activation_beta", betas)):
        pending = [] if values is None else list(_flat_numbers(func, label, values))
        consumed[label] = []
        for name in ours:
            takes = ACTIVATIONS[name][taken[label]] is not None
            consumed[label].append(pending.pop(0) if takes and pending else None)
        if pending:
            raise ValueError(
                f"{func}: {label} has {len(pending)} value(s) more than the activations {ours} take"
            )
    return [
        (
            ours[d * count : (d + 1) * count],
            consumed["activation_alpha"][d * count : (d + 1) * count],
            consumed["activation_beta"][d * count : (d + 1) * count],
        )
        for d in range(directions)
    ]


def _flat_numbers(func: str, label: str, values: Any) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{func}: {label} must be a list of numbers; got {describe(values)}")
    return [as_real(v, func, label, finite=True) for v in values]


def as_clip(clip: Any, func: str) -> float:
    """The clip bound as a float (``inf``: no clip), or raise."""
    if clip is None:
        return np.inf
    bound = as_real(clip, func, "clip")
    if not bound > 0.0:
        raise ValueError(f"{func}: clip must be a number > 0 (or None: no clip); got {clip!r}")
    return bound


def as_window(truncate: Any, func: str) -> int:
    """Truncated BPTT's window as an int (0: none), or raise."""
    if truncate is None:
        return 0
    return as_positive_int(truncate, func, "truncate")


def as_lengths(
    lengths: Any, func: str, count: int, steps: int, name: str = "lengths"
) -> np.ndarray:
    """Each sequence's length as an int64 array of shape (N,), every one in [1, T]; or raise."""
    if lengths is None:
        return np.full(count, steps, dtype=np.int64)
    if isinstance(lengths, np.ndarray):
        array = lengths
    else:
        try:
            array = np.asarray(lengths)
        except ValueError:
            array = np.array([None])  # a ragged list: refused as not integers below
    if array.dtype.kind not in "iu" or array.dtype == np.bool_:
        raise TypeError(
            f"{func}: {name} must be integers, one per sequence; got {describe(lengths)}"
        )
    if array.shape != (count,):
        raise ValueError(
            f"{func}: {name} must have shape (N,) = ({count},), one per sequence of x; "
            f"got shape {array.shape}"
        )
    if count and (array.min() < 1 or array.max() > steps):
        bad = int(np.flatnonzero((array < 1) | (array > steps))[0])
        zero = " (a sequence of length 0 has no last state)" if array[bad] < 1 else ""
        raise ValueError(
            f"{func}: every entry of {name} must be in [1, T] = [1, {steps}]; "
            f"got {int(array[bad])} for sequence {bad}{zero}"
        )
    return array.astype(np.int64)


def as_sequence_input(func: str, x: Any) -> np.ndarray:
    """``x`` of shape (T, N, F), T >= 1; or raise."""
    inputs = as_float_array(x, func, "x", ndim=3, layout="(T, N, F)")
    if inputs.shape[0] < 1:
        raise ValueError(f"{func}: x must hold at least one time step; got shape {inputs.shape}")
    return inputs


def as_state(func: str, name: str, value: Any, count: int, hidden: int | None = None) -> np.ndarray:
    """A state of shape (N, H) (H read from it when None); or raise."""
    if hidden is None:
        state = as_float_array(value, func, name, ndim=2, layout=f"(N, H) with N = {count}")
        hidden = state.shape[1]
    state = as_float_array(value, func, name, ndim=2, layout=f"(N, H) = ({count}, {hidden})")
    if state.shape != (count, hidden):
        raise ValueError(
            f"{func}: {name} must have shape (N, H) = ({count}, {hidden}); got {state.shape}"
        )
    return state


def as_weights(
    func: str, name: str, value: Any, rows: int, columns: int, layout: str
) -> np.ndarray:
    """A weight matrix of shape (rows, columns), ``layout`` naming them; or raise."""
    expected = f"{layout} = ({rows}, {columns})"
    weights = as_float_array(value, func, name, ndim=2, layout=expected)
    if weights.shape != (rows, columns):
        raise ValueError(f"{func}: {name} must have shape {expected}; got {weights.shape}")
    return weights


def as_bias(func: str, name: str, value: Any, size: int, layout: str) -> np.ndarray:
    """A bias vector of length ``size``; or raise."""
    bias = as_float_array(value, func, name, ndim=1, layout=f"{layout} = ({size},)")
    if bias.shape != (size,):
        raise ValueError(f"{func}: {name} must have shape {layout} = ({size},); got {bias.shape}")
    return bias


def as_hidden_size(value: Any, func: str, found: int) -> None:
    """ONNX's ``hidden_size`` attribute, which must agree with the weights; or raise."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) > INT64_MAX:
        raise TypeError(f"{func}: hidden_size must be an integer; got {describe(value)}")
    if int(value) != found:
        raise ValueError(f"{func}: hidden_size is {int(value)} but R holds states of size {found}")


@numba.njit(cache=True)
def activate(code: int, a: float, alpha: float, beta: float) -> float:
    """f(a) for the activation with this code (see the module's table)."""
    if code == 0:
        # relu: max(0, a)
        return a if a > 0.0 else 0.0
    if code == 1:
        # tanh(a) from the C library
        return np.tanh(a)
    if code == 2:
        if a >= 0.0:
            # σ(a) = 1 / (1 + e^{−a}), with e^{−a} ≤ 1
            return 1.0 / (1.0 + np.exp(-a))
        # σ(a) = e^{a} / (1 + e^{a}), with e^{a} < 1
        exp_a = np.exp(a)
        return exp_a / (1.0 + exp_a)
    if code == 3:
        # affine: α a + β
        return alpha * a + beta
    if code == 4:
        # leaky relu: a, or α a below 0
        return a if a >= 0.0 else alpha * a
    if code == 5:
        # thresholded relu: a from α on, else 0
        return a if a >= alpha else 0.0
    if code == 6:
        # scaled tanh: α tanh(β a)
        return alpha * np.tanh(beta * a)
    if code == 7:
        # hard sigmoid: α a + β, clamped to [0, 1]
        return min(max(alpha * a + beta, 0.0), 1.0)
    if code == 8:
        # elu: a, or α (e^a − 1) below 0
        return a if a >= 0.0 else alpha * np.expm1(a)
    if code == 9:
        # softsign: a / (1 + |a|)
        return a / (1.0 + abs(a))
    # softplus: log(1 + e^a) = max(a, 0) + log1p(e^{−|a|}), which cannot overflow
    return max(a, 0.0) + np.log1p(np.exp(-abs(a)))


@numba.njit(cache=True)
def derivative(code: int, a: float, alpha: float, beta: float) -> float:
    """f'(a) for the activation with this code."""
    if code == 0:
        # relu' = 1 above 0
        return 1.0 if a > 0.0 else 0.0
    if code == 1:
        # e = e^{−2|a|} ≤ 1
        decay = np.exp(-2.0 * abs(a))
        # tanh'(a) = sech²(a) = 4e / (1 + e)²
        return 4.0 * decay / ((1.0 + decay) * (1.0 + decay))
    if code == 2:
        # e = e^{−|a|} ≤ 1
        decay = np.exp(-abs(a))
        # σ'(a) = σ(a) σ(−a) = e / (1 + e)²
        return decay / ((1.0 + decay) * (1.0 + decay))
    if code == 3:
        # affine' = α
        return alpha
    if code == 4:
        # leaky relu' = 1 from 0 on, α below
        return 1.0 if a >= 0.0 else alpha
    if code == 5:
        # thresholded relu' = 1 from α on
        return 1.0 if a >= alpha else 0.0
    if code == 6:
        # e = e^{−2|β a|}
        decay = np.exp(-2.0 * abs(beta * a))
        # (α tanh(β a))' = α β sech²(β a)
        return alpha * beta * 4.0 * decay / ((1.0 + decay) * (1.0 + decay))
    if code == 7:
        # hard sigmoid' = α where α a + β lies in [0, 1)
        value = alpha * a + beta
        return alpha if 0.0 <= value < 1.0 else 0.0
    if code == 8:
        # elu' = 1 from 0 on, α e^a below
        return 1.0 if a >= 0.0 else alpha * np.exp(a)
    if code == 9:
        # softsign' = 1 / (1 + |a|)²
        return 1.0 / ((1.0 + abs(a)) * (1.0 + abs(a)))
    # softplus' = σ(a)
    if a >= 0.0:
        return 1.0 / (1.0 + np.exp(-a))
    exp_a = np.exp(a)
    return exp_a / (1.0 + exp_a)


@numba.njit(cache=True)
def clipped(a: float, clip: float) -> float:
    """The value ``a`` bounded to [−clip, clip]."""
    return min(max(a, -clip), clip)


@numba.njit(cache=True)
def passes(a: float, clip: float) -> float:
    """The derivative of :func:`clipped`: 1 inside the bound (and on it), 0 beyond."""
    return 1.0 if -clip <= a <= clip else 0.0


@numba.njit(cache=True)
def time_index(step: int, length: int, reverse: bool) -> int:
    """The time step a sequence of this length reads at its ``step``-th step."""
    return length - 1 - step if reverse else step


# ONNX's operators: one frame for all three (the inputs' shapes, the directions, the layout)

#: ONNX's ``direction`` attribute and the directions it runs, as ``reverse`` flags.
DIRECTIONS = {"forward": (False,), "reverse": (True,), "bidirectional": (False, True)}


def onnx_frame(
    func: str,
    X: Any,
    W: Any,
    R: Any,
    B: Any,
    sequence_lens: Any,
    *,
    gates: int,
    direction: Any,
    layout: Any,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Any, tuple[bool, ...], int]:
    """ONNX's inputs checked and in our time-major frame.

    Returns ``(x, W, R, B, lengths, reverses, H)``: ``x (T, N, F)`` whatever the layout,
    ``W (dirs, gates H, F)``, ``R (dirs, gates H, H)``, ``B (dirs, 2 gates H)`` (zeros when
    absent), the lengths (all T when absent), one ``reverse`` flag per direction, H.
    """
    if not isinstance(direction, str) or direction not in DIRECTIONS:
        raise ValueError(
            f"{func}: direction must be one of {sorted(DIRECTIONS)}; got {direction!r}"
        )
    if isinstance(layout, bool) or layout not in (0, 1):
        raise ValueError(f"{func}: layout must be 0 (T, N, F) or 1 (N, T, F); got {layout!r}")
    reverses = DIRECTIONS[direction]
    dirs = len(reverses)
    inputs = as_float_array(
        X, func, "X", ndim=3, layout="(T, N, F)" if layout == 0 else "(N, T, F)"
    )
    x = inputs if layout == 0 else np.ascontiguousarray(inputs.transpose(1, 0, 2))
    if x.shape[0] < 1:
        raise ValueError(f"{func}: X must hold at least one time step; got shape {inputs.shape}")
    features = x.shape[2]
    recurrent = as_float_array(R, func, "R", ndim=3, layout=f"(num_directions, {gates} H, H)")
    hidden = recurrent.shape[2]
    expected_r = (dirs, gates * hidden, hidden)
    if recurrent.shape != expected_r:
        raise ValueError(
            f"{func}: R must have shape (num_directions, {gates} H, H) = {expected_r} "
            f"({direction}); got {recurrent.shape}"
        )
    weights = as_float_array(W, func, "W", ndim=3, layout=f"(num_directions, {gates} H, F)")
    expected_w = (dirs, gates * hidden, features)
    if weights.shape != expected_w:
        raise ValueError(
            f"{func}: W must have shape (num_directions, {gates} H, F) = {expected_w}; "
            f"got {weights.shape}"
        )
    if B is None:
        bias = np.zeros((dirs, 2 * gates * hidden))
    else:
        bias = as_float_array(B, func, "B", ndim=2, layout=f"(num_directions, {2 * gates} H)")
        if bias.shape != (dirs, 2 * gates * hidden):
            raise ValueError(
                f"{func}: B must have shape (num_directions, {2 * gates} H) = "
                f"{(dirs, 2 * gates * hidden)}; got {bias.shape}"
            )
    lengths = as_lengths(sequence_lens, func, x.shape[1], x.shape[0], "sequence_lens")
    return x, weights, recurrent, bias, lengths, reverses, hidden


def onnx_state(
    func: str, name: str, value: Any, dirs: int, count: int, hidden: int, layout: int
) -> np.ndarray:
    """An ONNX initial state as (num_directions, N, H) (zeros when absent); or raise."""
    if value is None:
        return np.zeros((dirs, count, hidden))
    words = "(num_directions, N, H)" if layout == 0 else "(N, num_directions, H)"
    expected = (dirs, count, hidden) if layout == 0 else (count, dirs, hidden)
    state = as_float_array(value, func, name, ndim=3, layout=f"{words} = {expected}")
    if state.shape != expected:
        raise ValueError(f"{func}: {name} must have shape {words} = {expected}; got {state.shape}")
    return state if layout == 0 else np.ascontiguousarray(state.transpose(1, 0, 2))


def onnx_outputs(
    states: list[np.ndarray], lasts: list[list[np.ndarray]], layout: int
) -> tuple[np.ndarray, ...]:
    """``Y`` and the last states in ONNX's shapes, from each direction's ``hs`` and lasts."""
    Y = np.stack(states, axis=1)  # (T, dirs, N, H)
    finals = [np.stack(per_direction, axis=0) for per_direction in zip(*lasts, strict=True)]
    if layout == 1:
        Y = np.ascontiguousarray(Y.transpose(2, 0, 1, 3))
        finals = [np.ascontiguousarray(f.transpose(1, 0, 2)) for f in finals]
    return (Y, *finals)


def blocks(values: np.ndarray, order: tuple[int, ...], hidden: int) -> np.ndarray:
    """The gate blocks of ``values`` (H rows or entries each, along axis 0) in another order.

    ``order[k]`` is the block of ``values`` that becomes block ``k``: ONNX's LSTM stores its
    gates i, o, f, c, so ``blocks(W, (0, 2, 3, 1), H)`` gives them in the order i, f, g, o.
    """
    return np.concatenate([values[g * hidden : (g + 1) * hidden] for g in order], axis=0)


@numba.njit(cache=True)
def apply(
    code: int,
    a: np.ndarray,
    alpha: float,
    beta: float,
    clip: float,
    value: np.ndarray,
    slope: np.ndarray,
) -> None:
    """f(clip(a)) into ``value`` and d f(clip(a)) / da into ``slope``, for a 2-D block ``a``.

    The gates' sigmoid and tanh take one exponential for both (the others call
    :func:`activate` and :func:`derivative`): the backward then needs none.
    """
    rows, columns = a.shape
    for r in range(rows):
        for k in range(columns):
            inside = passes(a[r, k], clip)
            v = clipped(a[r, k], clip)
            if code == 2:
                # e = e^{−|v|} ≤ 1
                decay = np.exp(-abs(v))
                # σ(v) = 1 / (1 + e) for v ≥ 0, e / (1 + e) below
                value[r, k] = 1.0 / (1.0 + decay) if v >= 0.0 else decay / (1.0 + decay)
                # σ'(v) = e / (1 + e)²
                slope[r, k] = inside * decay / ((1.0 + decay) * (1.0 + decay))
            elif code == 1:
                # m = e^{−2|v|} − 1, exactly for small |v| (no cancellation)
                minus_one = np.expm1(-2.0 * abs(v))
                # tanh |v| = (1 − e^{−2|v|}) / (1 + e^{−2|v|}) = −m / (2 + m), with the sign of v
                magnitude = -minus_one / (2.0 + minus_one)
                value[r, k] = magnitude if v >= 0.0 else -magnitude
                # tanh'(v) = 4 e / (1 + e)² with e = 1 + m
                decay = 1.0 + minus_one
                slope[r, k] = inside * 4.0 * decay / ((1.0 + decay) * (1.0 + decay))
            else:
                value[r, k] = activate(code, v, alpha, beta)
                slope[r, k] = inside * derivative(code, v, alpha, beta)
