r"""Catalog entries of the LSTM and the GRU (:mod:`reference.lstm`, :mod:`reference.gru`).

As for the recurrent network (:mod:`numerics.catalog.rnn`), the outputs are stacked along
time: the LSTM's ``hs``, ``h_last`` and ``c_last`` into (T + 2, N, H), the GRU's ``hs`` and
``h_last`` into (T + 1, N, H). The peepholes are a positional input here, so that the laws
check their gradient too.

The forward bounds are first-order error analyses of each cell, computed alongside it: each
product and sum adds its own magnitude (in units of $\gamma$), each activation passes on the
error of its input times its slope and adds its own output, and each state passes its error
to the next step through the absolute weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from numerics import strategies as nst
from numerics.catalog import BadCall, Example, OpEntry, independent, register
from numerics.catalog.rnn import errors_along, sequence_attrs, split_states
from reference import gru, lstm


def lstm_stacked(
    x: Any, h0: Any, c0: Any, w_x: Any, w_h: Any, b: Any, peepholes: Any, **attrs: Any
) -> np.ndarray:
    """``hs``, ``h_last`` and ``c_last`` of :func:`reference.lstm.lstm`: (T + 2, N, H)."""
    hs, h_last, c_last = lstm.lstm(x, h0, c0, w_x, w_h, b, peepholes=peepholes, **attrs)
    return np.concatenate([hs, h_last[None], c_last[None]])


def lstm_stacked_backward(
    d_out: Any, x: Any, h0: Any, c0: Any, w_x: Any, w_h: Any, b: Any, peepholes: Any, **attrs: Any
) -> tuple[np.ndarray, ...]:
    """:func:`reference.lstm.lstm_backward` with the cotangent of :func:`lstm_stacked`."""
    d_hs, (d_h_last, d_c_last) = split_states(d_out, x, h0, 2)
    return lstm.lstm_backward(
        d_hs, d_h_last, d_c_last, x, h0, c0, w_x, w_h, b, peepholes=peepholes, **attrs
    )


def gru_stacked(
    x: Any, h0: Any, w_x: Any, w_h: Any, b_x: Any, b_h: Any, **attrs: Any
) -> np.ndarray:
    """``hs`` and ``h_last`` of :func:`reference.gru.gru`, stacked: (T + 1, N, H)."""
    hs, h_last = gru.gru(x, h0, w_x, w_h, b_x, b_h, **attrs)
    return np.concatenate([hs, h_last[None]])


def gru_stacked_backward(
    d_out: Any, x: Any, h0: Any, w_x: Any, w_h: Any, b_x: Any, b_h: Any, **attrs: Any
) -> tuple[np.ndarray, ...]:
    """:func:`reference.gru.gru_backward` with the cotangent of :func:`gru_stacked`."""
    d_hs, (d_h_last,) = split_states(d_out, x, h0, 1)
    return gru.gru_backward(d_hs, d_h_last, x, h0, w_x, w_h, b_x, b_h, **attrs)


lstm_stacked.__name__ = "lstm"  # the messages the laws expect name the reference's functions
lstm_stacked_backward.__name__ = "lstm_backward"
gru_stacked.__name__ = "gru"
gru_stacked_backward.__name__ = "gru_backward"


def _settings(attrs: dict[str, Any], count: int) -> list[tuple[str, Any, Any]]:
    names = attrs.get("activations") or (("sigmoid", "tanh", "tanh")[:count])
    alphas = attrs.get("activation_alpha") or [None] * count
    betas = attrs.get("activation_beta") or [None] * count
    return list(zip(names, alphas, betas, strict=True))


def lstm_gauge(example: Example) -> np.ndarray:
    """A first-order bound on the error of each stacked LSTM output, in units of gamma."""
    x, h0, c0, w_x, w_h, b, p = (np.asarray(v, dtype=np.float64) for v in example.inputs)
    attrs = example.attrs
    (f, df), (g, dg), (h_act, dh_act) = (
        independent.clipped_activation(*setting, attrs.get("clip"))
        for setting in _settings(attrs, 3)
    )
    i_, f_, g_, o_ = np.split(np.arange(w_x.shape[1]), 4)
    abs_wx, abs_wh, abs_p = np.abs(w_x), np.abs(w_h), np.abs(p)

    def cell(x_t: np.ndarray, h: np.ndarray, c: np.ndarray, e_h: np.ndarray, e_c: np.ndarray):  # type: ignore[no-untyped-def]
        a = x_t @ w_x + h @ w_h + b
        local = np.abs(x_t) @ abs_wx + np.abs(h) @ abs_wh + np.abs(b)
        received = e_h @ abs_wh
        a_i, a_f, a_g = a[i_] + p[0] * c, a[f_] + p[1] * c, a[g_]
        gate_i, gate_g = f(a_i), g(a_g)
        # each gate: its input's error through the slope, and its own rounding
        d_i = df(a_i) * (local[i_] + received[i_] + abs_p[0] * (np.abs(c) + e_c)) + gate_i
        d_g = dg(a_g) * (local[g_] + received[g_]) + np.abs(gate_g)
        if attrs.get("input_forget"):
            gate_f, d_f = 1.0 - gate_i, d_i + np.abs(1.0 - gate_i)
        else:
            gate_f = f(a_f)
            d_f = df(a_f) * (local[f_] + received[f_] + abs_p[1] * (np.abs(c) + e_c)) + gate_f
        c_new = gate_f * c + gate_i * gate_g
        # c_t = f c + i g: the errors of both products and of their sum
        e_c_new = (
            np.abs(gate_f) * e_c
            + np.abs(c) * d_f
            + np.abs(gate_g) * d_i
            + np.abs(gate_i) * d_g
            + 2 * (np.abs(gate_f * c) + np.abs(gate_i * gate_g))
        )
        a_o = a[o_] + p[2] * c_new
        gate_o = f(a_o)
        d_o = df(a_o) * (local[o_] + received[o_] + abs_p[2] * (np.abs(c_new) + e_c_new)) + gate_o
        shown = h_act(c_new)
        h_new = gate_o * shown
        # h_t = o h(c_t): the gate's error, the cell's through h's slope, and the product's
        e_h_new = (
            np.abs(shown) * d_o
            + np.abs(gate_o) * (dh_act(c_new) * e_c_new + np.abs(shown))
            + np.abs(h_new)
        )
        return [h_new, c_new, e_h_new, e_c_new]

    return errors_along(x, attrs, [h0, c0], cell)


def gru_gauge(example: Example) -> np.ndarray:
    """A first-order bound on the error of each stacked GRU output, in units of gamma."""
    x, h0, w_x, w_h, b_x, b_h = (np.asarray(v, dtype=np.float64) for v in example.inputs)
    attrs = example.attrs
    (f, df), (g, dg) = (
        independent.clipped_activation(*setting, attrs.get("clip"))
        for setting in _settings(attrs, 2)
    )
    r_, z_, n_ = np.split(np.arange(w_x.shape[1]), 3)
    abs_wx, abs_wh = np.abs(w_x), np.abs(w_h)
    after = attrs["linear_before_reset"]

    def cell(x_t: np.ndarray, h: np.ndarray, e_h: np.ndarray):  # type: ignore[no-untyped-def]
        ax = x_t @ w_x + b_x
        local_x = np.abs(x_t) @ abs_wx + np.abs(b_x)
        hw = h @ w_h + b_h
        local_h = np.abs(h) @ abs_wh + np.abs(b_h)
        received = e_h @ abs_wh
        a_r, a_z = ax[r_] + hw[r_], ax[z_] + hw[z_]
        reset, update = f(a_r), f(a_z)
        d_r = df(a_r) * (local_x[r_] + local_h[r_] + received[r_]) + reset
        d_z = df(a_z) * (local_x[z_] + local_h[z_] + received[z_]) + update
        if after:
            # a_n = x W + b + r (h W + b): the state side's error, the gate's, the product's
            d_hn = local_h[n_] + received[n_]
            a_n = ax[n_] + reset * hw[n_]
            d_a = local_x[n_] + reset * d_hn + np.abs(hw[n_]) * d_r + 2 * np.abs(reset * hw[n_])
        else:
            # a_n = x W + b + (r h) W + b: u = r h, then its product with W_h,n
            u = reset * h
            d_u = reset * e_h + np.abs(h) * d_r + np.abs(u)
            a_n = ax[n_] + u @ w_h[:, n_] + b_h[n_]
            d_a = local_x[n_] + np.abs(u) @ abs_wh[:, n_] + d_u @ abs_wh[:, n_] + np.abs(b_h[n_])
        candidate = g(a_n)
        d_n = dg(a_n) * d_a + np.abs(candidate)
        h_new = (1.0 - update) * candidate + update * h
        # h_t = (1 − z) n + z h: each product's error, the gates', and the sum's
        e_new = (
            np.abs(1.0 - update) * d_n
            + (np.abs(candidate) + np.abs(h)) * d_z
            + np.abs(update) * e_h
            + 2 * (np.abs((1.0 - update) * candidate) + np.abs(update * h))
        )
        return [h_new, e_new]

    return errors_along(x, attrs, [h0], cell)


def _gate_terms(example: Example) -> int:
    # F products and H products, two biases, a peephole, then the activation
    return np.shape(example.inputs[0])[2] + np.shape(example.inputs[1])[1] + 4


@st.composite
def _lstm_examples(draw: st.DrawFn) -> Example:
    steps, count, features, hidden = (draw(st.integers(1, n)) for n in (5, 3, 3, 3))
    x = draw(nst.arrays((steps, count, features), scale=2.0))
    h0, c0 = draw(nst.arrays((count, hidden))), draw(nst.arrays((count, hidden)))
    w_x = draw(nst.arrays((features, 4 * hidden)))
    w_h = draw(nst.arrays((hidden, 4 * hidden)))
    b = draw(nst.arrays((4 * hidden,)))
    peepholes = draw(nst.arrays((3, hidden)))
    attrs = draw(sequence_attrs(steps, count, 3))
    attrs["input_forget"] = draw(st.booleans())
    return Example((x, h0, c0, w_x, w_h, b, peepholes), attrs)


@st.composite
def _gru_examples(draw: st.DrawFn) -> Example:
    steps, count, features, hidden = (draw(st.integers(1, n)) for n in (5, 3, 3, 3))
    x = draw(nst.arrays((steps, count, features), scale=2.0))
    h0 = draw(nst.arrays((count, hidden)))
    w_x = draw(nst.arrays((features, 3 * hidden)))
    w_h = draw(nst.arrays((hidden, 3 * hidden)))
    b_x, b_h = draw(nst.arrays((3 * hidden,))), draw(nst.arrays((3 * hidden,)))
    attrs = draw(sequence_attrs(steps, count, 2))
    attrs["linear_before_reset"] = draw(st.booleans())
    return Example((x, h0, w_x, w_h, b_x, b_h), attrs)


_X = np.array([[[1.0, -0.5]], [[0.25, 2.0]], [[-1.0, 0.5]]])
_H0 = np.array([[0.5, -0.25]])
_C0 = np.array([[-0.5, 1.0]])


def _weights(rows: int, columns: int, shift: float) -> np.ndarray:
    """Small fixed weights: a grid of values in [-1, 1), different for each argument."""
    return np.sin(np.arange(rows * columns, dtype=np.float64) + shift).reshape(rows, columns)


_LSTM_SAMPLE = Example(
    (
        _X,
        _H0,
        _C0,
        _weights(2, 8, 0.0),
        _weights(2, 8, 1.0),
        _weights(1, 8, 2.0)[0],
        _weights(3, 2, 3.0) / 2,
    )
)
_GRU_SAMPLE = Example(
    (
        _X,
        _H0,
        _weights(2, 6, 0.0),
        _weights(2, 6, 1.0),
        _weights(1, 6, 2.0)[0],
        _weights(1, 6, 4.0)[0],
    ),
    {"linear_before_reset": False},
)


def _with(example: Example, **attrs: Any) -> Example:
    return Example(example.inputs, {**example.attrs, **attrs})


register(
    OpEntry(
        name="lstm",
        concept="lstm",
        forward=lstm_stacked,
        backward=lstm_stacked_backward,
        examples=_lstm_examples(),
        wrt=(0, 1, 2, 3, 4, 5, 6),
        terms=_gate_terms,
        gauge=lstm_gauge,
        independent=independent.lstm,
        sample=_LSTM_SAMPLE,
        array_inputs=(0, 1, 2, 3, 4, 5, 6),
        edge_cases=(
            ("one step", Example((_X[:1], *_LSTM_SAMPLE.inputs[1:]))),
            ("coupled gates, reversed", _with(_LSTM_SAMPLE, input_forget=True, reverse=True)),
            ("clip active", _with(_LSTM_SAMPLE, clip=0.4)),
            (
                "ragged",
                Example(
                    (
                        np.concatenate([_X, _X[::-1] / 2], axis=1),
                        np.vstack([_H0, -_H0]),
                        np.vstack([_C0, _C0 / 3]),
                        *_LSTM_SAMPLE.inputs[3:],
                    ),
                    {"lengths": np.array([3, 1]), "reverse": True},
                ),
            ),
        ),
        errors=(
            BadCall(
                "w_x of another H",
                Example((*_LSTM_SAMPLE.inputs[:3], np.ones((2, 6)), *_LSTM_SAMPLE.inputs[4:])),
                ValueError,
                r"w_x must have shape \(F, 4H\) = \(2, 8\); got \(2, 6\)",
            ),
            BadCall(
                "peepholes of another H",
                Example((*_LSTM_SAMPLE.inputs[:6], np.ones((3, 3)))),
                ValueError,
                r"peepholes must have shape \(3, H\) = \(3, 2\); got \(3, 3\)",
            ),
            BadCall(
                "two activations",
                _with(_LSTM_SAMPLE, activations=("sigmoid", "tanh")),
                ValueError,
                "activations must be a sequence of 3 names",
            ),
            BadCall(
                "ONNX's spelling",
                _with(_LSTM_SAMPLE, activations=("Sigmoid", "Tanh", "Tanh")),
                ValueError,
                "activations must name activations among",
            ),
            BadCall(
                "input_forget of 1",
                _with(_LSTM_SAMPLE, input_forget=1),
                TypeError,
                "input_forget must be True or False",
            ),
            BadCall(
                "c0 of another H",
                Example((*_LSTM_SAMPLE.inputs[:2], np.ones((1, 3)), *_LSTM_SAMPLE.inputs[3:])),
                ValueError,
                r"c0 must have shape \(N, H\) = \(1, 2\); got \(1, 3\)",
            ),
        ),
    )
)

register(
    OpEntry(
        name="gru",
        concept="lstm",
        forward=gru_stacked,
        backward=gru_stacked_backward,
        examples=_gru_examples(),
        wrt=(0, 1, 2, 3, 4, 5),
        terms=_gate_terms,
        gauge=gru_gauge,
        independent=independent.gru,
        sample=_GRU_SAMPLE,
        array_inputs=(0, 1, 2, 3, 4, 5),
        edge_cases=(
            (
                "one step, reset after",
                Example((_X[:1], *_GRU_SAMPLE.inputs[1:]), {"linear_before_reset": True}),
            ),
            ("reversed, reset after", _with(_GRU_SAMPLE, linear_before_reset=True, reverse=True)),
            ("clip active", _with(_GRU_SAMPLE, clip=0.4)),
            (
                "ragged",
                Example(
                    (
                        np.concatenate([_X, _X[::-1] / 2], axis=1),
                        np.vstack([_H0, -_H0]),
                        *_GRU_SAMPLE.inputs[2:],
                    ),
                    {"linear_before_reset": False, "lengths": np.array([2, 3])},
                ),
            ),
        ),
        errors=(
            BadCall(
                "no linear_before_reset",
                Example(_GRU_SAMPLE.inputs),
                TypeError,
                "linear_before_reset must be given, True",
            ),
            BadCall(
                "linear_before_reset of 0",
                _with(_GRU_SAMPLE, linear_before_reset=0),
                TypeError,
                "linear_before_reset must be True or False",
            ),
            BadCall(
                "b_h of another H",
                Example((*_GRU_SAMPLE.inputs[:5], np.ones(9)), _GRU_SAMPLE.attrs),
                ValueError,
                r"b_h must have shape \(3H,\) = \(6,\); got \(9,\)",
            ),
        ),
    )
)
