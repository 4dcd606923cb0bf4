"""Laws of the LSTM and the GRU: gating, the variants, ONNX's operators and PyTorch's modules.

The catalog's generic laws (``tests/test_catalog.py``) hold ``lstm`` and ``gru`` to their
gradients (peepholes included), to an independent loop over each sequence alone, to their
inputs left untouched and to their bad calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import special

from numerics import assert_close, assert_gradient, catalog, gamma, reject_inconclusive
from numerics import strategies as nst
from numerics.catalog import Example
from numerics.catalog.lstm import gru_backward_gauge, gru_gauge, lstm_backward_gauge, lstm_gauge
from numerics.catalog.rnn import clear_of_kinks
from reference import activations, dense, gru, lstm, rnn

LSTM = catalog.get("lstm")
GRU = catalog.get("gru")


def _plain(example: Example, *drop: str) -> dict[str, Any]:
    return {k: v for k, v in example.attrs.items() if k not in drop}


#: The activation attributes, dropped where a law writes the default activations out.
ACTIVATION_ATTRS = ("activations", "activation_alpha", "activation_beta")


@given(LSTM.examples)
def test_one_lstm_step_is_the_cell_written_out(example: Example) -> None:
    """At T = 1 the LSTM is its four gates and two updates, with the dense layer and activations.

    The coupled form (input_forget) has f = 1 - i.
    """
    x, h0, c0, w_x, w_h, b, p = example.inputs
    attrs = _plain(example, "lengths", "reverse", *ACTIVATION_ATTRS)
    hs, h_last, c_last = lstm.lstm(x[:1], h0, c0, w_x, w_h, b, peepholes=p, **attrs)
    a = dense.dense(x[0], w_x, b) + dense.dense(h0, w_h, np.zeros_like(b))
    i_, f_, g_, o_ = np.split(a, 4, axis=1)
    gate_i = activations.sigmoid(i_ + p[0] * c0)
    gate_f = 1.0 - gate_i if attrs.get("input_forget") else activations.sigmoid(f_ + p[1] * c0)
    cell = gate_f * c0 + gate_i * activations.tanh(g_)
    gate_o = activations.sigmoid(o_ + p[2] * cell)
    gauge = lstm_gauge(Example((x[:1], *example.inputs[1:]), attrs))
    terms = 2 * LSTM.terms(example)
    assert_close(c_last, cell, gauge=gauge[2], terms=terms)
    assert_close(hs[0], gate_o * activations.tanh(cell), gauge=gauge[0], terms=terms)
    assert np.array_equal(hs[0], h_last)


@given(GRU.examples)
def test_one_gru_step_is_the_cell_written_out(example: Example) -> None:
    """At T = 1 the GRU is its two gates, its candidate (either variant) and the interpolation."""
    x, h0, w_x, w_h, b_x, b_h = example.inputs
    attrs = {
        **_plain(
            example, "lengths", "reverse", "activations", "activation_alpha", "activation_beta"
        )
    }
    hs, _ = gru.gru(x[:1], h0, w_x, w_h, b_x, b_h, **attrs)
    hidden = h0.shape[1]
    ax = dense.dense(x[0], w_x, b_x)
    hw = dense.dense(h0, w_h, b_h)
    reset = activations.sigmoid(ax[:, :hidden] + hw[:, :hidden])
    update = activations.sigmoid(ax[:, hidden : 2 * hidden] + hw[:, hidden : 2 * hidden])
    if attrs["linear_before_reset"]:
        candidate = activations.tanh(ax[:, 2 * hidden :] + reset * hw[:, 2 * hidden :])
    else:
        state_side = dense.dense(reset * h0, w_h[:, 2 * hidden :], b_h[2 * hidden :])
        candidate = activations.tanh(ax[:, 2 * hidden :] + state_side)
    expected = (1.0 - update) * candidate + update * h0
    gauge = gru_gauge(Example((x[:1], *example.inputs[1:]), attrs))
    assert_close(hs[0], expected, gauge=gauge[0], terms=2 * GRU.terms(example))


@pytest.mark.parametrize("entry", [LSTM, GRU], ids=["lstm", "gru"])
@given(data=st.data())
def test_reverse_is_flip_run_flip(entry: catalog.OpEntry, data: st.DataObject) -> None:
    """Reversed is flipped, run and flipped back, bit for bit (equal lengths)."""
    example = data.draw(entry.examples)
    x, *rest = example.inputs
    attrs = _plain(example, "reverse", "lengths")
    forward = entry.forward(x, *rest, reverse=True, **attrs)
    flipped = entry.forward(x[::-1], *rest, **attrs)
    steps = x.shape[0]
    assert np.array_equal(forward[:steps], flipped[:steps][::-1])
    assert np.array_equal(forward[steps:], flipped[steps:])


@pytest.mark.parametrize("entry", [LSTM, GRU], ids=["lstm", "gru"])
@given(data=st.data())
def test_a_ragged_batch_is_each_sequence_run_alone(
    entry: catalog.OpEntry, data: st.DataObject
) -> None:
    """Each sequence of a ragged batch gives what it gives alone (within the bound), 0 past it."""
    example = data.draw(entry.examples)
    x, *rest = example.inputs
    steps, count = x.shape[:2]
    lengths = example.attrs.get("lengths", np.full(count, steps))
    whole = entry.forward(*example.inputs, **{**example.attrs, "lengths": lengths})
    gauge = entry.gauge(Example(example.inputs, {**example.attrs, "lengths": lengths}))
    states = 1 + (entry is LSTM)
    alone_attrs = _plain(example, "lengths")
    terms = 2 * entry.terms(example)
    for n in range(count):
        own = [x[: lengths[n], n : n + 1]] + [
            v[n : n + 1] if k < states else v for k, v in enumerate(rest)
        ]
        alone = entry.forward(*own, **alone_attrs)
        valid = list(range(lengths[n])) + [steps + k for k in range(states)]
        mine = [k for k in range(lengths[n])] + [lengths[n] + k for k in range(states)]
        assert_close(whole[valid, n], alone[mine, 0], gauge=gauge[valid, n], terms=terms)
        assert not whole[lengths[n] : steps, n].any()


@st.composite
def _long(draw: st.DrawFn, gates: int) -> Example:
    """T from 1 to 20, every activation in every place, the clip, lengths and direction.

    Non-zero biases and initial states throughout (a bias bug is invisible at zero biases).
    The activations that take a parameter get one drawn, except those whose kinks move with
    it (the thresholded ReLU, the hard sigmoid), which keep ONNX's defaults.
    """
    steps = draw(st.integers(1, 20))
    count, features, hidden = (draw(st.integers(1, 3)) for _ in range(3))
    x = draw(nst.arrays((steps, count, features)))
    states = [draw(nst.arrays((count, hidden))) for _ in range(gates - 2)]
    w_x = draw(nst.arrays((features, gates * hidden)))
    w_h = draw(nst.arrays((hidden, gates * hidden))) / (2 * hidden)
    biases = [draw(nst.arrays((gates * hidden,))) for _ in range(1 if gates == 4 else 2)]
    names = [draw(st.sampled_from(rnn.ACTIVATIONS)) for _ in range(gates - 1)]
    drawn = ("affine", "scaled_tanh", "leaky_relu", "elu")
    alphas = [draw(st.sampled_from([None, 0.5, 1.5])) if n in drawn else None for n in names]
    betas = [draw(st.sampled_from([None, -0.5, 0.75])) if n in drawn[:2] else None for n in names]
    attrs: dict[str, Any] = {
        "activations": names,
        "activation_alpha": alphas,
        "activation_beta": betas,
        "reverse": draw(st.booleans()),
    }
    if draw(st.booleans()):
        attrs["clip"] = draw(st.sampled_from([0.25, 0.5, 2.0]))
    if draw(st.booleans()):
        attrs["lengths"] = np.array(
            draw(st.lists(st.integers(1, steps), min_size=count, max_size=count))
        )
    if gates == 4:
        attrs["input_forget"] = draw(st.booleans())
        peepholes = draw(nst.arrays((3, hidden)))
        return Example((x, *states, w_x, w_h, *biases, peepholes), attrs)
    attrs["linear_before_reset"] = draw(st.booleans())
    return Example((x, *states, w_x, w_h, *biases), attrs)


@given(_long(4), st.integers(0, 2**32 - 1))
def test_lstm_gradients_hold_for_every_activation_up_to_twenty_steps(
    example: Example, seed: int
) -> None:
    """check_gradient on every input of the LSTM, peepholes included, for T from 1 to 20.

    Every one of the eleven activations as the gates', the candidate's and the output's, the
    clip active and not, coupled gates, ragged lengths and reverse. The draws keep every
    activation's input 0.01 away from its kinks and the clip's; an example the checker
    cannot judge (a shut gate leaves only second-order terms) is dropped, never passed.
    """
    assume(clear_of_kinks(LSTM.independent, example, example.attrs["activations"]))
    with reject_inconclusive():
        assert_gradient(LSTM.op, LSTM.op_backward, example.inputs, attrs=example.attrs, seed=seed)


@given(_long(3), st.integers(0, 2**32 - 1))
def test_gru_gradients_hold_for_every_activation_up_to_twenty_steps(
    example: Example, seed: int
) -> None:
    """check_gradient on every input of the GRU, both variants, for T from 1 to 20.

    As for the LSTM: every activation in both places, the clip, ragged lengths and reverse,
    kinks kept 0.01 away, an example the checker cannot judge dropped.
    """
    assume(clear_of_kinks(GRU.independent, example, example.attrs["activations"]))
    with reject_inconclusive():
        assert_gradient(GRU.op, GRU.op_backward, example.inputs, attrs=example.attrs, seed=seed)


def _pytorchs(example: Example) -> Example:
    """The example with PyTorch's cells: default activations, no clip, reset after."""
    attrs = _plain(example, *ACTIVATION_ATTRS, "clip", "input_forget")
    if "linear_before_reset" in attrs:
        attrs["linear_before_reset"] = True
    return Example(example.inputs, attrs)


@given(st.sampled_from([4, 3]).flatmap(_long))
def test_a_ragged_batch_backward_is_the_sum_of_each_sequence_alone(example: Example) -> None:
    """Each sequence's gradients alone are the batch's: x, the states, and the weights summed.

    Within the backward gauge (the bound of the batch's rounding and of the sum of each
    sequence's, gamma_m with m the longest sum, T N terms for the weights), for random
    cotangents: the gauge of PyTorch's comparison, held here where no peer is needed.
    """
    example = _pytorchs(example)
    lstm_like = len(example.inputs) == 7
    entry, gauge_of = (LSTM, lstm_backward_gauge) if lstm_like else (GRU, gru_backward_gauge)
    x, h0 = example.inputs[:2]
    steps, count, features = x.shape
    hidden = h0.shape[1]
    states = 2 if lstm_like else 1
    d_out = np.random.default_rng(steps * count).normal(size=(steps + states, count, hidden))
    whole = entry.op_backward(d_out, *example.inputs, **example.attrs)
    gauges = gauge_of(example, d_out)
    lengths = example.attrs.get("lengths", np.full(count, steps))
    alone_attrs = _plain(example, "lengths")
    terms = 2 * max(4 * hidden, features + hidden + 4, steps * count)
    summed = [np.zeros_like(g) for g in whole[1 + states :]]
    for n in range(count):
        cut = lengths[n]
        own = [x[:cut, n : n + 1]] + [v[n : n + 1] for v in example.inputs[1 : 1 + states]]
        own_d_out = np.concatenate([d_out[:cut, n : n + 1], d_out[steps:, n : n + 1]])
        alone = entry.op_backward(own_d_out, *own, *example.inputs[1 + states :], **alone_attrs)
        assert_close(whole[0][:cut, n], alone[0][:, 0], gauge=gauges[0][:cut, n], terms=terms)
        assert not whole[0][cut:, n].any()
        for k in range(1, 1 + states):
            assert_close(whole[k][n], alone[k][0], gauge=gauges[k][n], terms=terms)
        for total, part in zip(summed, alone[1 + states :], strict=False):
            total += part
    for mine, total, gauge in zip(whole[1 + states :], summed, gauges[1 + states :], strict=False):
        assert_close(mine, total, gauge=gauge, terms=terms)


#: sigma(40) rounds to 1 in float64 (1 - 4e-18 is within half an ulp of 1); sigma(-40) is 4e-18.
SATURATED = 40.0


@given(LSTM.examples, st.integers(1, 60))
def test_an_open_forget_gate_and_a_shut_input_gate_carry_the_cell(
    example: Example, steps: int
) -> None:
    """With f = sigma(40) = 1 and i = sigma(-40), c_T = c_0 for any T, up to T sigma(-40) |g|."""
    x, h0, c0, w_x, w_h, b, _ = example.inputs
    hidden = h0.shape[1]
    x = np.resize(x, (steps, *x.shape[1:]))
    w_x, w_h, b = w_x.copy(), w_h.copy(), b.copy()
    for block, bias in ((0, -SATURATED), (1, SATURATED)):  # input gate shut, forget gate open
        w_x[:, block * hidden : (block + 1) * hidden] = 0.0
        w_h[:, block * hidden : (block + 1) * hidden] = 0.0
        b[block * hidden : (block + 1) * hidden] = bias
    _, _, c_last = lstm.lstm(x, h0, c0, w_x, w_h, b)
    assert np.all(
        np.abs(c_last - c0) <= steps * special.expit(-SATURATED) + gamma(steps) * np.abs(c0)
    )


@given(LSTM.examples)
def test_zero_peepholes_are_no_peepholes(example: Example) -> None:
    """Zero peepholes add 0 * c to each gate: the same bits as no peepholes at all."""
    x, h0, c0, w_x, w_h, b, p = example.inputs
    attrs = example.attrs
    with_zero = lstm.lstm(x, h0, c0, w_x, w_h, b, peepholes=np.zeros_like(p), **attrs)
    without = lstm.lstm(x, h0, c0, w_x, w_h, b, **attrs)
    for got, want in zip(with_zero, without, strict=True):
        assert np.array_equal(got, want)


@given(LSTM.examples)
def test_the_gates_lie_between_zero_and_one(example: Example) -> None:
    """Sigmoid gates in (0, 1) and tanh in (-1, 1) keep |h_t| < 1 and |c_t| <= |c_0| + t."""
    hs, _, c_last = lstm.lstm(
        *example.inputs[:6],
        peepholes=example.inputs[6],
        **_plain(example, "lengths", *ACTIVATION_ATTRS),
    )
    assert np.all(np.abs(hs) <= 1.0)
    steps = example.inputs[0].shape[0]
    assert np.all(np.abs(c_last) <= np.abs(example.inputs[2]) + steps)


@pytest.mark.parametrize("forget_bias", [1.0, 5.0])
def test_the_cell_carries_the_gradient_sigma_of_the_forget_bias_to_the_t(
    forget_bias: float,
) -> None:
    """The cell carries the gradient that a tanh RNN loses: sigma(b_f)^T with zero weights.

    With zero weights d c_T / d c_0 = diag(sigma(b_f))^T. At T = 100 a forget bias of 5 keeps
    0.51 of it (sigma(5)^100), a bias of 1 keeps 2.3e-14, and a tanh RNN whose W_h has
    spectral norm 0.9 keeps at most 0.9^100 = 2.7e-5.
    """
    steps, hidden = 100, 3
    rng = np.random.default_rng(0)
    x = rng.normal(size=(steps, 1, 2))
    b = np.zeros(4 * hidden)
    b[hidden : 2 * hidden] = forget_bias
    zeros = np.zeros
    eye = np.eye(hidden)
    rows = []
    for k in range(hidden):
        grads = lstm.lstm_backward(
            zeros((steps, 1, hidden)),
            zeros((1, hidden)),
            eye[k : k + 1],
            x,
            zeros((1, hidden)),
            rng.normal(size=(1, hidden)),
            zeros((2, 4 * hidden)),
            zeros((hidden, 4 * hidden)),
            b,
        )
        rows.append(grads[2][0])
    norm = np.linalg.norm(np.array(rows), 2)
    expected = special.expit(forget_bias) ** steps
    assert abs(norm - expected) <= gamma(2 * steps) * expected
    # the tanh RNN beside it
    w_h = 0.9 * np.linalg.qr(rng.normal(size=(hidden, hidden)))[0]
    rnn_rows = []
    for k in range(hidden):
        grads = rnn.rnn_backward(
            zeros((steps, 1, hidden)),
            eye[k : k + 1],
            x,
            zeros((1, hidden)),
            rng.normal(size=(2, hidden)),
            w_h,
            zeros(hidden),
        )
        rnn_rows.append(grads[1][0])
    assert np.linalg.norm(np.array(rnn_rows), 2) <= 0.9**steps * (1 + gamma(steps * (hidden + 1)))


@given(GRU.examples)
def test_an_update_gate_of_one_copies_the_state(example: Example) -> None:
    """An update gate z = sigma(40) = 1 copies the state, bit for bit.

    h_t = 0 n_t + 1 h_{t-1} = h_0 at every step.
    """
    x, h0, w_x, w_h, b_x, b_h = example.inputs
    hidden = h0.shape[1]
    z = slice(hidden, 2 * hidden)
    w_x, w_h, b_x = w_x.copy(), w_h.copy(), b_x.copy()
    w_x[:, z], w_h[:, z], b_x[z] = 0.0, 0.0, SATURATED
    attrs = _plain(example, "lengths", "activations", "activation_alpha", "activation_beta")
    hs, h_last = gru.gru(
        x, h0, w_x, w_h, b_x, np.where(np.arange(3 * hidden) // hidden == 1, 0.0, b_h), **attrs
    )
    assert np.array_equal(h_last, h0)
    assert np.array_equal(hs, np.broadcast_to(h0, hs.shape))


@given(GRU.examples)
def test_the_two_variants_agree_where_the_reset_gate_is_one(example: Example) -> None:
    """With r = 1 both candidates are g(x W + b + h W + b), summed in another order."""
    x, h0, w_x, w_h, b_x, b_h = example.inputs
    hidden = h0.shape[1]
    r = slice(0, hidden)
    w_x, w_h, b_x, b_h = w_x.copy(), w_h.copy(), b_x.copy(), b_h.copy()
    w_x[:, r], w_h[:, r], b_x[r], b_h[r] = 0.0, 0.0, SATURATED, 0.0
    attrs = _plain(
        example, "linear_before_reset", "activations", "activation_alpha", "activation_beta"
    )
    inputs = (x, h0, w_x, w_h, b_x, b_h)
    after = gru.gru(*inputs, linear_before_reset=True, **attrs)
    before = gru.gru(*inputs, linear_before_reset=False, **attrs)
    gauge = gru_gauge(Example(inputs, {**attrs, "linear_before_reset": True}))
    terms = 2 * GRU.terms(example)
    steps = x.shape[0]
    assert_close(after[0], before[0], gauge=gauge[:steps], terms=terms)
    assert_close(after[1], before[1], gauge=gauge[steps], terms=terms)


def test_the_two_variants_differ_otherwise() -> None:
    """Where the reset gate is not 1 the variants are different functions: by 0.1 here."""
    rng = np.random.default_rng(1)
    hidden = 4
    inputs = (
        rng.normal(size=(5, 2, 3)),
        rng.normal(size=(2, hidden)),
        rng.normal(size=(3, 3 * hidden)),
        rng.normal(size=(hidden, 3 * hidden)),
        rng.normal(size=3 * hidden),
        rng.normal(size=3 * hidden),
    )
    after = gru.gru(*inputs, linear_before_reset=True)[0]
    before = gru.gru(*inputs, linear_before_reset=False)[0]
    assert np.max(np.abs(after - before)) > 0.1


def _lstm_to_onnx(w_x: np.ndarray, w_h: np.ndarray, b: np.ndarray, p: np.ndarray) -> tuple:
    """Our LSTM weights in ONNX's layout, from ONNX's definition: gates i, o, f, c."""
    hidden = w_h.shape[0]
    order = [0, 3, 1, 2]  # ONNX's i, o, f, c are our blocks i, o, f, g

    def onnx_blocks(m: np.ndarray) -> np.ndarray:
        return np.concatenate([m[..., k * hidden : (k + 1) * hidden] for k in order], axis=-1)

    return (
        onnx_blocks(w_x).T,
        onnx_blocks(w_h).T,
        np.concatenate([onnx_blocks(b), 0 * b]),
        np.concatenate([p[0], p[2], p[1]]),
    )


def _gru_to_onnx(w_x: np.ndarray, w_h: np.ndarray, b_x: np.ndarray, b_h: np.ndarray) -> tuple:
    """Our GRU weights in ONNX's layout: gates z, r, h."""
    hidden = w_h.shape[0]
    order = [1, 0, 2]

    def onnx_blocks(m: np.ndarray) -> np.ndarray:
        return np.concatenate([m[..., k * hidden : (k + 1) * hidden] for k in order], axis=-1)

    return (
        onnx_blocks(w_x).T,
        onnx_blocks(w_h).T,
        np.concatenate([onnx_blocks(b_x), onnx_blocks(b_h)]),
    )


@given(LSTM.examples, GRU.examples)
def test_the_converters_round_trip_and_map_onto_the_layouts_exactly(
    lstm_example: Example, gru_example: Example
) -> None:
    """from_torch(to_torch(p)) = p bit for bit, and ONNX's gate orders map onto ours exactly.

    LSTM: PyTorch's weight_ih (4H, F) is W_x^T in our order i, f, g, o; ONNX's W is W_x^T
    in the order i, o, f, c and P is p_i, p_o, p_f. GRU: PyTorch's blocks are ours, r, z, n,
    with both biases kept; ONNX's are z, r, h.
    """
    _, _, _, w_x, w_h, b, p = lstm_example.inputs
    for got, want in zip(lstm.from_torch(*lstm.to_torch(w_x, w_h, b)), (w_x, w_h, b), strict=True):
        assert np.array_equal(got, want)
    for got, want in zip(
        lstm.from_onnx(*_lstm_to_onnx(w_x, w_h, b, p)), (w_x, w_h, b, p), strict=True
    ):
        assert np.array_equal(got, want)
    _, _, w_x, w_h, b_x, b_h = gru_example.inputs
    params = (w_x, w_h, b_x, b_h)
    for got, want in zip(gru.from_torch(*gru.to_torch(*params)), params, strict=True):
        assert np.array_equal(got, want)
    for got, want in zip(
        gru.to_torch(*gru.from_torch(*gru.to_torch(*params))), gru.to_torch(*params), strict=True
    ):
        assert np.array_equal(got, want)
    for got, want in zip(gru.from_onnx(*_gru_to_onnx(*params)), params, strict=True):
        assert np.array_equal(got, want)


@given(LSTM.examples, st.sampled_from(["forward", "reverse", "bidirectional"]), st.booleans())
def test_onnx_lstm_directions_and_layouts_are_runs_of_lstm(
    example: Example, direction: str, batch_first: bool
) -> None:
    """Bidirectional is both runs side by side, layout 1 a transpose: bit for bit."""
    x, h0, c0, w_x, w_h, b, p = example.inputs
    attrs = _plain(example, "activations", "activation_alpha", "activation_beta", "reverse")
    reverses = {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[direction]
    W, R, B, P = (np.stack([m] * len(reverses)) for m in _lstm_to_onnx(w_x, w_h, b, p))
    h_init, c_init = np.stack([h0] * len(reverses)), np.stack([c0] * len(reverses))
    X = x.transpose(1, 0, 2) if batch_first else x
    if batch_first:
        h_init, c_init = h_init.transpose(1, 0, 2), c_init.transpose(1, 0, 2)
    Y, Y_h, Y_c = lstm.onnx_lstm(
        X,
        W,
        R,
        B,
        attrs.get("lengths"),
        h_init,
        c_init,
        P,
        direction=direction,
        layout=int(batch_first),
        input_forget=int(attrs["input_forget"]),
    )
    if batch_first:
        Y, Y_h, Y_c = Y.transpose(1, 2, 0, 3), Y_h.transpose(1, 0, 2), Y_c.transpose(1, 0, 2)
    for d, reverse in enumerate(reverses):
        hs, h_last, c_last = lstm.lstm(
            x, h0, c0, w_x, w_h, b, peepholes=p, reverse=reverse, **attrs
        )
        assert np.array_equal(Y[:, d], hs)
        assert np.array_equal(Y_h[d], h_last)
        assert np.array_equal(Y_c[d], c_last)


@given(GRU.examples, st.sampled_from(["forward", "reverse", "bidirectional"]), st.booleans())
def test_onnx_gru_directions_and_layouts_are_runs_of_gru(
    example: Example, direction: str, batch_first: bool
) -> None:
    """Bidirectional is both runs side by side, layout 1 a transpose: bit for bit."""
    x, h0, w_x, w_h, b_x, b_h = example.inputs
    attrs = _plain(example, "activations", "activation_alpha", "activation_beta", "reverse")
    reverses = {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[direction]
    W, R, B = (np.stack([m] * len(reverses)) for m in _gru_to_onnx(w_x, w_h, b_x, b_h))
    h_init = np.stack([h0] * len(reverses))
    X = x.transpose(1, 0, 2) if batch_first else x
    if batch_first:
        h_init = h_init.transpose(1, 0, 2)
    after = attrs.pop("linear_before_reset")
    Y, Y_h = gru.onnx_gru(
        X,
        W,
        R,
        B,
        attrs.get("lengths"),
        h_init,
        direction=direction,
        layout=int(batch_first),
        linear_before_reset=int(after),
    )
    if batch_first:
        Y, Y_h = Y.transpose(1, 2, 0, 3), Y_h.transpose(1, 0, 2)
    for d, reverse in enumerate(reverses):
        hs, h_last = gru.gru(
            x, h0, w_x, w_h, b_x, b_h, linear_before_reset=after, reverse=reverse, **attrs
        )
        assert np.array_equal(Y[:, d], hs)
        assert np.array_equal(Y_h[d], h_last)


def test_onnx_activation_lists_are_consumed_in_order_by_those_that_take_them() -> None:
    """ONNX's flat alpha and beta lists go, in order, to the activations that take them.

    activation_alpha [0.3, 2.0] and beta [0.4, 0.1] for HardSigmoid, Affine, Tanh: each value
    goes to the next activation that takes such a parameter; one left over is refused.
    """
    rng = np.random.default_rng(2)
    hidden = 2
    x, h0, c0 = (
        rng.normal(size=(3, 1, 2)),
        rng.normal(size=(1, hidden)),
        rng.normal(size=(1, hidden)),
    )
    w_x, w_h, b = rng.normal(size=(2, 8)), rng.normal(size=(2, 8)), rng.normal(size=8)
    W, R, B, _ = _lstm_to_onnx(w_x, w_h, b, np.zeros((3, hidden)))
    Y, _, _ = lstm.onnx_lstm(
        x,
        W[None],
        R[None],
        B[None],
        None,
        h0[None],
        c0[None],
        activations=["HardSigmoid", "Affine", "Tanh"],
        activation_alpha=[0.3, 2.0],
        activation_beta=[0.4, 0.1],
    )
    hs, _, _ = lstm.lstm(
        x,
        h0,
        c0,
        w_x,
        w_h,
        b,
        activations=("hard_sigmoid", "affine", "tanh"),
        activation_alpha=[0.3, 2.0, None],
        activation_beta=[0.4, 0.1, None],
    )
    assert np.array_equal(Y[:, 0], hs)
    with pytest.raises(ValueError, match=r"^onnx_lstm: activation_alpha has 1 value"):
        lstm.onnx_lstm(
            x, W[None], R[None], activations=["Sigmoid", "Tanh", "Tanh"], activation_alpha=[0.5]
        )


def _lstm_direction(
    x: np.ndarray, d: int, reverse: bool, onnx: Any, inputs: tuple, attrs: dict
) -> np.ndarray:
    W, R, B, lengths, initial_h, initial_c, P = (list(inputs) + [None] * 7)[:7]
    hidden = R.shape[2]
    w_x, w_h, b, peepholes = lstm.from_onnx(
        W[d], R[d], None if B is None else B[d], np.zeros(3 * hidden) if P is None else P[d]
    )
    layout = attrs.get("layout", 0)
    h0 = onnx.initial(initial_h, d, layout, x.shape[1], hidden)
    c0 = onnx.initial(initial_c, d, layout, x.shape[1], hidden)
    run = {"reverse": reverse, "lengths": None if lengths is None else lengths.astype(np.int64)}
    return lstm_gauge(Example((x, h0, c0, w_x, w_h, b, peepholes), run))


def _gru_direction(
    x: np.ndarray, d: int, reverse: bool, onnx: Any, inputs: tuple, attrs: dict
) -> np.ndarray:
    W, R, B, lengths, initial_h = (list(inputs) + [None] * 5)[:5]
    params = gru.from_onnx(W[d], R[d], None if B is None else B[d])
    h0 = onnx.initial(initial_h, d, attrs.get("layout", 0), x.shape[1], R.shape[2])
    run = {
        "reverse": reverse,
        "lengths": None if lengths is None else lengths.astype(np.int64),
        "linear_before_reset": bool(attrs.get("linear_before_reset", 0)),
    }
    return gru_gauge(Example((x, h0, *params), run))


#: The largest F + H of ONNX's vectors is 7: the gates' sums have F + H + 4 terms at most.
ONNX_TERMS = 11


def test_onnx_node_vectors_of_lstm_are_reproduced(onnx_vectors: Any) -> None:
    """ONNX's six node vectors of LSTM pass through onnx_lstm, peepholes included."""
    names = onnx_vectors.check("LSTM", lstm.onnx_lstm, _lstm_direction, 2, ONNX_TERMS)
    assert "test_lstm_with_peepholes" in names
    assert len(names) == 6, names


def test_onnx_node_vectors_of_gru_are_reproduced(onnx_vectors: Any) -> None:
    """ONNX's six node vectors of GRU pass through onnx_gru, sequence lengths included."""
    names = onnx_vectors.check("GRU", gru.onnx_gru, _gru_direction, 1, ONNX_TERMS)
    assert "test_gru_seq_length" in names
    assert len(names) == 6, names


def _torch_run(torch: Any, kind: str, d: int, lengths: np.ndarray, arrays: tuple) -> tuple:
    """Direction d of a bidirectional torch.nn.LSTM or GRU in float64 on packed sequences.

    ``arrays`` are our differentiable inputs (x, the initial states, the weights and biases in
    our layout); direction d runs with them (through ``torch.func.functional_call``, so that
    the gradients reach them), the other with the module's own. Returns the stacked outputs
    (T + states, N, H) of direction d and the tensors of ``arrays``.
    """
    tensors = [torch.tensor(a, requires_grad=True) for a in arrays]
    count = 2 if kind == "LSTM" else 1
    x, states, weights = tensors[0], tensors[1 : 1 + count], tensors[1 + count :]
    if kind == "LSTM":
        w_x, w_h, b = weights
        params = (w_x.T, w_h.T, b, torch.zeros_like(b))
    else:
        w_x, w_h, b_x, b_h = weights
        params = (w_x.T, w_h.T, b_x, b_h)
    steps, _, features = x.shape
    hidden = states[0].shape[1]
    module = getattr(torch.nn, kind)(features, hidden, bidirectional=True).double()
    suffix = "_l0" + ("_reverse" if d else "")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    given = {f"{name}{suffix}": value for name, value in zip(names, params, strict=True)}
    both = [torch.stack([s, torch.zeros_like(s)][:: 1 - 2 * d]) for s in states]
    packed = torch.nn.utils.rnn.pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=False)
    hx = tuple(both) if kind == "LSTM" else both[0]
    out, last = torch.func.functional_call(module, given, (packed, hx))
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=steps)
    lasts = list(last) if kind == "LSTM" else [last]
    mine = [out[:, :, d * hidden : (d + 1) * hidden]] + [s[d][None] for s in lasts]
    return torch.cat(mine), tensors


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
@pytest.mark.parametrize("direction", [0, 1], ids=["forward", "reverse"])
def test_outputs_and_gradients_agree_with_pytorch(kind: str, direction: int) -> None:
    """Outputs and every gradient agree with torch.nn.LSTM and GRU, entry by entry.

    Each direction of a bidirectional float64 module, run on packed sequences, agrees with
    ours within 2 gamma of the catalog's gauge; PyTorch's backward of every input (x, the
    initial states, both weights, both biases) passes deepref's gradient check against
    deepref's forward, and agrees with deepref's backward entry by entry within twice the
    backward gauge (lstm_backward_gauge, gru_backward_gauge: the backward through time run on
    magnitudes, each factor carrying the forward's bound).
    """
    torch = pytest.importorskip("torch", reason="PyTorch is an optional witness")
    rng = np.random.default_rng(5)
    steps, count, features, hidden = 6, 3, 2, 3
    lengths = np.array([6, 2, 4])
    gates = 4 if kind == "LSTM" else 3
    module_params = [
        rng.normal(size=(gates * hidden, features)) / 2,
        rng.normal(size=(gates * hidden, hidden)) / 2,
        rng.normal(size=gates * hidden) / 2,
        rng.normal(size=gates * hidden) / 2,
    ]
    x = rng.normal(size=(steps, count, features))
    states = [rng.normal(size=(count, hidden)) for _ in range(gates - 2)]
    attrs: dict[str, Any] = {"reverse": bool(direction), "lengths": lengths}
    if kind == "LSTM":
        entry, weights = LSTM, lstm.from_torch(*module_params)
        extra: tuple = (np.zeros((3, hidden)),)  # no peepholes in PyTorch
    else:
        entry, weights, extra = GRU, gru.from_torch(*module_params), ()
        attrs["linear_before_reset"] = True  # PyTorch's variant
    differentiable = (x, *states, *weights)
    inputs = (*differentiable, *extra)
    theirs, _ = _torch_run(torch, kind, direction, lengths, differentiable)
    example = Example(inputs, attrs)
    assert_close(
        entry.forward(*inputs, **attrs),
        theirs.detach().numpy(),
        gauge=entry.gauge(example),
        terms=2 * entry.terms(example),
    )

    def torch_backward(d_out: np.ndarray, *arrays: np.ndarray, **_: Any) -> tuple:
        result, tensors = _torch_run(torch, kind, direction, lengths, arrays[: len(differentiable)])
        (result * torch.tensor(d_out)).sum().backward()
        return tuple(t.grad.numpy() for t in tensors)  # one per input in wrt

    wrt = tuple(range(len(differentiable)))
    assert_gradient(entry.op, torch_backward, inputs, attrs=attrs, wrt=wrt, seed=direction)
    # entry by entry: each gradient within twice the bound of one backward's rounding, gamma_m
    # of its gauge with m the longest sum (4H products, F + H + 4 in the forward, T N steps and
    # sequences for the weights)
    d_out = rng.normal(size=theirs.shape)
    ours = entry.op_backward(d_out, *inputs, **attrs)
    gauges = (lstm_backward_gauge if kind == "LSTM" else gru_backward_gauge)(example, d_out)
    longest = max(4 * hidden, features + hidden + 4, steps * count)
    for mine, witness, gauge in zip(ours, torch_backward(d_out, *inputs), gauges, strict=False):
        assert_close(mine, witness, gauge=gauge, terms=2 * longest)


@given(LSTM.examples)
def test_the_gates_shown_are_the_ones_computed(example: Example) -> None:
    """lstm_gates' cells end at c_last bit for bit, and o_t tanh(c_t) is h_t.

    The kernel's tanh is -expm1(-2|c|) / (2 + expm1(-2|c|)) (a few u from the C library's
    tanh, 1 u): the product is held to gamma_8 of itself.
    """
    x, h0, c0, w_x, w_h, b, p = example.inputs
    attrs = {**_plain(example, *ACTIVATION_ATTRS), "peepholes": p}
    hs, _, c_last = lstm.lstm(x, h0, c0, w_x, w_h, b, **attrs)
    inside = lstm.lstm_gates(x, h0, c0, w_x, w_h, b, **attrs)
    steps, count = x.shape[:2]
    lengths = attrs.get("lengths", np.full(count, steps))
    for n in range(count):
        last = 0 if attrs.get("reverse") else lengths[n] - 1
        assert np.array_equal(inside["c"][last, n], c_last[n])
    shown = inside["o"] * np.tanh(inside["c"])
    assert_close(hs, shown, gauge=np.abs(shown), terms=8)
    for gate in "ifo":
        assert np.all((inside[gate] >= 0) & (inside[gate] <= 1))
