"""Laws of the recurrent network: the unrolled loop, its gradients through time, and ONNX's RNN.

The catalog's generic laws (``tests/test_catalog.py``) already hold ``rnn`` to its gradient,
to an independent loop over each sequence alone, to its inputs left untouched and to its
bad calls; here are the laws of recurrence itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from numerics import assert_close, assert_gradient, catalog, gamma
from numerics import strategies as nst
from numerics.catalog import Example
from numerics.catalog.rnn import clear_of_kinks, recurrence_gauge, rnn_stacked
from reference import activations, dense, rnn

RNN = catalog.get("rnn")


def _terms(x: np.ndarray, h0: np.ndarray) -> int:
    return RNN.terms(Example((x, h0)))


@given(RNN.examples)
def test_one_step_is_one_dense_layer_and_its_activation(example: Example) -> None:
    """At T = 1 the layer is tanh(x_0 W_x + h_0 W_h + b), written with the dense layer's own op."""
    x, h0, w_x, w_h, b = example.inputs
    hs, h_last = rnn.rnn(x[:1], h0, w_x, w_h, b)
    pre = dense.dense(x[0], w_x, b) + dense.dense(h0, w_h, np.zeros_like(b))
    expected = activations.tanh(pre)
    gauge = recurrence_gauge(x[:1], h0, w_x, w_h, b)
    assert_close(hs[0], expected, gauge=gauge[0], terms=2 * _terms(x, h0))
    assert np.array_equal(hs[0], h_last)


@given(RNN.examples)
def test_reverse_is_flip_run_flip(example: Example) -> None:
    """Reversed is flipped, run and flipped back: the same bits, for sequences of equal length.

    The same operations run in the same order.
    """
    x, *rest = example.inputs
    attrs = {k: v for k, v in example.attrs.items() if k not in ("reverse", "lengths")}
    hs, h_last = rnn.rnn(x, *rest, reverse=True, **attrs)
    flipped, flipped_last = rnn.rnn(x[::-1], *rest, **attrs)
    assert np.array_equal(hs, flipped[::-1])
    assert np.array_equal(h_last, flipped_last)


@given(RNN.examples)
def test_a_ragged_batch_is_each_sequence_run_alone(example: Example) -> None:
    """Each sequence of a ragged batch gives what it gives alone, and 0 past its length.

    Within the bound: BLAS may round a one-row product differently.
    """
    x, h0, w_x, w_h, b = example.inputs
    steps, count = x.shape[:2]
    lengths = example.attrs.get("lengths", np.full(count, steps))
    attrs = {**example.attrs, "lengths": lengths}
    hs, h_last = rnn.rnn(x, h0, w_x, w_h, b, **attrs)
    gauge = recurrence_gauge(x, h0, w_x, w_h, b, **attrs)
    alone_attrs = {k: v for k, v in attrs.items() if k != "lengths"}
    for n in range(count):
        cut = x[: lengths[n], n : n + 1]
        alone, alone_last = rnn.rnn(cut, h0[n : n + 1], w_x, w_h, b, **alone_attrs)
        terms = 2 * _terms(x, h0)
        assert_close(hs[: lengths[n], n], alone[:, 0], gauge=gauge[: lengths[n], n], terms=terms)
        assert_close(h_last[n], alone_last[0], gauge=gauge[steps, n], terms=terms)
        assert not hs[lengths[n] :, n].any()


@st.composite
def _long_examples(draw: st.DrawFn) -> Example:
    steps = draw(st.integers(1, 20))
    count, features, hidden = (draw(st.integers(1, 3)) for _ in range(3))
    activation = draw(st.sampled_from(sorted(rnn.ACTIVATIONS)))
    x = draw(nst.arrays((steps, count, features)))
    h0 = draw(nst.arrays((count, hidden)))
    w_x = draw(nst.arrays((features, hidden)))
    # recurrent weights of spectral norm below 1 keep a long run's states of order 1
    w_h = draw(nst.arrays((hidden, hidden))) / (2 * hidden)
    b = draw(nst.arrays((hidden,)))
    attrs: dict[str, Any] = {"activation": activation, "reverse": draw(st.booleans())}
    if draw(st.booleans()):
        attrs["clip"] = draw(st.sampled_from([0.25, 0.5, 2.0]))
    if draw(st.booleans()):
        attrs["lengths"] = np.array(
            draw(st.lists(st.integers(1, steps), min_size=count, max_size=count))
        )
    return Example((x, h0, w_x, w_h, b), attrs)


@given(_long_examples(), st.integers(0, 2**32 - 1))
def test_every_gradient_holds_for_every_activation_up_to_twenty_steps(
    example: Example, seed: int
) -> None:
    """The backward is the gradient for T up to 20 and all eleven activations.

    check_gradient on x, h0, W_x, W_h and b, the clip active and not, ragged lengths and
    reverse. Central differences need a derivative, so the draws keep every pre-activation
    0.01 away from the activation's kinks and the clip's.
    """
    assume(clear_of_kinks(RNN.independent, example, [example.attrs["activation"]]))
    assert_gradient(RNN.op, RNN.op_backward, example.inputs, attrs=example.attrs, seed=seed)


def _jacobian_to_h0(
    x: np.ndarray, h0: np.ndarray, w_x: np.ndarray, w_h: np.ndarray, b: np.ndarray, **attrs: Any
) -> np.ndarray:
    """The Jacobian of h_T for h_0, sequence 0, one row per unit of h_T, by the backward."""
    steps, count, _ = x.shape
    hidden = h0.shape[1]
    rows = []
    for k in range(hidden):
        d_last = np.zeros((count, hidden))
        d_last[0, k] = 1.0
        grads = rnn.rnn_backward(
            np.zeros((steps, count, hidden)), d_last, x, h0, w_x, w_h, b, **attrs
        )
        rows.append(grads[1][0])
    return np.array(rows)


@given(
    st.integers(1, 40),
    st.integers(1, 4),
    st.sampled_from([0.5, 0.9, 1.0, 1.1, 1.5]),
    nst.generators(),
)
@example(20, 2, 0.9, nst.SeededGenerator(568))  # the draw that needed the not-orthogonal term
def test_a_linear_rnn_scales_the_gradient_by_rho_to_the_t(
    steps: int, hidden: int, rho: float, rng: np.random.Generator
) -> None:
    """A linear RNN with W_h = rho Q (Q orthogonal) has ||d h_T / d h_0||_2 = rho^T.

    With the identity activation, d h_T / d h_0 = (rho Q)^T: its norm is rho^T exactly,
    vanishing below 1 and exploding above (Bengio et al. 1994).

    Bound: the backward forms the T-fold product one factor at a time, so its error is within
    gamma_{T(H+1)} of the same product of absolute values, whose Frobenius norm bounds the
    2-norm of the error. And W_h is rho Q only up to rounding: Q from a QR factorisation and
    the product by rho leave W_h^T W_h / rho^2 = I + E with ||E||_2 = e (measured, plus the
    gamma_{2H+2} of measuring it), so every singular value of W_h is rho (1 + d) with |d| <= e
    and ||W_h^T||_2 is rho^T within rho^T ((1 + e)^T - 1). (A 20-step draw, rho 0.9, missed by
    1 % without that term: e = 4e-16 moves 0.9^20 by 20 e 0.9^20 = 1e-15.)
    """
    q, _ = np.linalg.qr(rng.normal(size=(hidden, hidden)))
    w_h = rho * q
    departure = np.linalg.norm(w_h.T @ w_h / rho**2 - np.eye(hidden), 2) + gamma(2 * hidden + 2)
    x = rng.normal(size=(steps, 1, 2))
    jac = _jacobian_to_h0(
        x,
        rng.normal(size=(1, hidden)),
        rng.normal(size=(2, hidden)),
        w_h,
        rng.normal(size=hidden),
        activation="affine",
    )
    norm = np.linalg.norm(jac, 2)
    gauge = np.linalg.norm(np.linalg.matrix_power(np.abs(w_h), steps), "fro")
    not_orthogonal = rho**steps * ((1.0 + departure) ** steps - 1.0)
    allowed = gamma(steps * (hidden + 1)) * gauge + gamma(4 * hidden) * norm + not_orthogonal
    assert abs(norm - rho**steps) <= allowed


@given(RNN.examples.filter(lambda ex: ex.attrs["activation"] == "tanh"), nst.generators())
def test_a_tanh_rnn_obeys_pascanus_bound(example: Example, rng: np.random.Generator) -> None:
    """A tanh RNN's ||d h_T / d h_0||_2 is at most (gamma lambda_1)^T.

    lambda_1 is the largest singular value of W_h and gamma = 1 the bound on tanh' (Pascanu,
    Mikolov and Bengio 2013): the gradient can shrink below it but never exceed it.
    """
    x, h0, w_x, w_h, b = example.inputs
    attrs = {k: v for k, v in example.attrs.items() if k != "lengths"}
    jac = _jacobian_to_h0(x, h0, w_x, w_h, b, **attrs)
    lambda_1 = np.linalg.norm(w_h, 2)
    steps, hidden = x.shape[0], h0.shape[1]
    bound = lambda_1**steps
    rounding = gamma(steps * (hidden + 1)) * np.linalg.norm(
        np.linalg.matrix_power(np.abs(w_h), steps), "fro"
    )
    assert np.linalg.norm(jac, 2) <= bound * (1 + gamma(4 * hidden)) + rounding


def _onnx_weights(w_x: np.ndarray, w_h: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, ...]:
    """Our weights in ONNX's layout, written from ONNX's definition (W = W_x^T, B = [Wb, Rb])."""
    return w_x.T, w_h.T, np.concatenate([b / 2, b / 2])


@given(RNN.examples)
def test_the_converters_round_trip_and_map_onto_the_layouts_exactly(example: Example) -> None:
    """The converters round-trip, and map PyTorch's and ONNX's layouts onto ours exactly.

    from_torch(to_torch(p)) = p bit for bit; PyTorch's weight_ih is W_x^T, weight_hh W_h^T,
    and only the sum of its two biases acts; ONNX's W, R are W_x^T, W_h^T and B = [Wb, Rb].
    """
    _, _, w_x, w_h, b = example.inputs
    back = rnn.from_torch(*rnn.to_torch(w_x, w_h, b))
    for got, want in zip(back, (w_x, w_h, b), strict=True):
        assert np.array_equal(got, want)
    weight_ih, weight_hh, bias_ih, bias_hh = rnn.to_torch(w_x, w_h, b)
    assert np.array_equal(weight_ih, w_x.T)
    assert np.array_equal(weight_hh, w_h.T)
    assert np.array_equal(bias_ih + bias_hh, b)
    W, R, B = _onnx_weights(w_x, w_h, b)
    for got, want in zip(rnn.from_onnx(W, R, B), (w_x, w_h, b), strict=True):
        assert np.array_equal(got, want)


@given(RNN.examples, st.sampled_from(["forward", "reverse", "bidirectional"]), st.booleans())
def test_onnx_directions_and_layouts_are_runs_of_rnn(
    example: Example, direction: str, batch_first: bool
) -> None:
    """ONNX's directions and layouts are runs of rnn, bit for bit.

    Bidirectional is the forward run and the reverse run side by side (axis 1 of Y), and
    layout 1 is a transpose of layout 0.
    """
    x, h0, w_x, w_h, b = example.inputs
    lengths = example.attrs.get("lengths")
    reverses = {"forward": [False], "reverse": [True], "bidirectional": [False, True]}[direction]
    W, R, B = (np.stack([m] * len(reverses)) for m in _onnx_weights(w_x, w_h, b))
    initial = np.stack([h0] * len(reverses))
    X = x.transpose(1, 0, 2) if batch_first else x
    initial_h = initial.transpose(1, 0, 2) if batch_first else initial
    Y, Y_h = rnn.onnx_rnn(
        X, W, R, B, lengths, initial_h, direction=direction, layout=int(batch_first)
    )
    if batch_first:
        Y, Y_h = Y.transpose(1, 2, 0, 3), Y_h.transpose(1, 0, 2)
    for d, reverse in enumerate(reverses):
        hs, h_last = rnn.rnn(
            x, h0, *rnn.from_onnx(W[d], R[d], B[d]), reverse=reverse, lengths=lengths
        )
        assert np.array_equal(Y[:, d], hs)
        assert np.array_equal(Y_h[d], h_last)


def _rnn_direction(
    x: np.ndarray, d: int, reverse: bool, onnx: Any, weights: tuple, attrs: dict
) -> np.ndarray:
    W, R, B, lengths, initial_h = (list(weights) + [None] * 5)[:5]
    w_x, w_h, b = rnn.from_onnx(W[d], R[d], None if B is None else B[d])
    h0 = onnx.initial(initial_h, d, attrs.get("layout", 0), x.shape[1], w_h.shape[0])
    lengths = None if lengths is None else lengths.astype(np.int64)
    return recurrence_gauge(x, h0, w_x, w_h, b, reverse=reverse, lengths=lengths)


def test_onnx_node_vectors_of_rnn_are_reproduced(onnx_vectors: Any) -> None:
    """ONNX's six node vectors of RNN pass through onnx_rnn.

    Defaults, initial bias, sequence lengths, batchwise, reverse, bidirectional.
    """
    features_and_state = 16  # the vectors' F + H + 2 is at most 16
    names = onnx_vectors.check("RNN", rnn.onnx_rnn, _rnn_direction, 1, features_and_state)
    assert len(names) == 6, names


@pytest.mark.parametrize("bidirectional", [False, True])
def test_outputs_and_gradients_agree_with_pytorch(bidirectional: bool) -> None:
    """Outputs and gradients agree with torch.nn.RNN in float64, packed sequences included.

    The same outputs and the same gradients of every input, within the bound of both being
    rounded (2 gamma of the gauge).
    """
    torch = pytest.importorskip("torch", reason="PyTorch is an optional witness")
    rng = np.random.default_rng(3)
    steps, count, features, hidden = 7, 3, 4, 5
    lengths = np.array([7, 2, 5])
    module = torch.nn.RNN(features, hidden, bidirectional=bidirectional).double()
    x = rng.normal(size=(steps, count, features))
    dirs = 2 if bidirectional else 1
    h0 = rng.normal(size=(dirs, count, hidden))
    x_t = torch.tensor(x, requires_grad=True)
    h0_t = torch.tensor(h0, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        x_t, torch.tensor(lengths), enforce_sorted=False
    )
    out, h_n = module(packed, h0_t)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, total_length=steps)
    d_out = rng.normal(size=out.shape)
    d_h_n = rng.normal(size=h_n.shape)
    (out * torch.tensor(d_out)).sum().backward(retain_graph=True)
    (h_n * torch.tensor(d_h_n)).sum().backward()
    for d in range(dirs):
        suffix = "_l0" + ("_reverse" if d else "")
        params = [
            getattr(module, f"{k}{suffix}").detach().numpy()
            for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        ]
        w_x, w_h, b = rnn.from_torch(*params)
        attrs = {"reverse": bool(d), "lengths": lengths}
        hs, h_last = rnn.rnn(x, h0[d], w_x, w_h, b, **attrs)
        gauge = recurrence_gauge(x, h0[d], w_x, w_h, b, **attrs)
        terms = 2 * _terms(x, h0[d])
        torch_hs = out.detach().numpy()[:, :, d * hidden : (d + 1) * hidden]
        assert_close(hs, torch_hs, gauge=gauge[:steps], terms=terms)
        assert_close(h_last, h_n.detach().numpy()[d], gauge=gauge[steps], terms=terms)
        grads = rnn.rnn_backward(
            d_out[:, :, d * hidden : (d + 1) * hidden], d_h_n[d], x, h0[d], w_x, w_h, b, **attrs
        )
        torch_grads = [
            getattr(module, f"{k}{suffix}").grad.numpy()
            for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        ]
        gauges = _backward_gauge(
            d_out[:, :, d * hidden : (d + 1) * hidden], d_h_n[d], x, h0[d], w_x, w_h, b, **attrs
        )
        # each gradient sums T steps of (H + F + 2)-term products: twice for both sides
        grad_terms = 2 * steps * (hidden + features + 4)
        assert_close(grads[1], h0_t.grad.numpy()[d], gauge=gauges[1], terms=grad_terms)
        assert_close(grads[2], torch_grads[0].T, gauge=gauges[2], terms=grad_terms)
        assert_close(grads[3], torch_grads[1].T, gauge=gauges[3], terms=grad_terms)
        for bias_grad in torch_grads[2:]:  # both of PyTorch's biases get b's gradient
            assert_close(grads[4], bias_grad, gauge=gauges[4], terms=grad_terms)
    dx = sum(
        _backward_direction(d, x, h0, d_out, d_h_n, module, lengths, hidden) for d in range(dirs)
    )
    assert_close(dx[0], x_t.grad.numpy(), gauge=dx[1], terms=2 * steps * (hidden + features + 4))


def _backward_direction(
    d: int,
    x: np.ndarray,
    h0: np.ndarray,
    d_out: np.ndarray,
    d_h_n: np.ndarray,
    module: Any,
    lengths: np.ndarray,
    hidden: int,
) -> np.ndarray:
    """The x gradient of one direction and its gauge, stacked (x sums the directions')."""
    suffix = "_l0" + ("_reverse" if d else "")
    params = [
        getattr(module, f"{k}{suffix}").detach().numpy()
        for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    ]
    w_x, w_h, b = rnn.from_torch(*params)
    attrs = {"reverse": bool(d), "lengths": lengths}
    d_hs = d_out[:, :, d * hidden : (d + 1) * hidden]
    dx = rnn.rnn_backward(d_hs, d_h_n[d], x, h0[d], w_x, w_h, b, **attrs)[0]
    gauge = _backward_gauge(d_hs, d_h_n[d], x, h0[d], w_x, w_h, b, **attrs)[0]
    return np.stack([dx, gauge])


def _backward_gauge(
    d_hs: np.ndarray,
    d_h_last: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    w_x: np.ndarray,
    w_h: np.ndarray,
    b: np.ndarray,
    **attrs: Any,
) -> tuple[np.ndarray, ...]:
    """The backward run on absolute values: |cotangents|, |x|, |h|, |W|, slopes of 1.

    tanh's slope is at most 1, and so is the error its forward error makes in it (a forward
    error times tanh'' <= 0.77).
    """
    return rnn.rnn_backward(
        np.abs(d_hs),
        np.abs(d_h_last),
        np.abs(x),
        np.abs(h0),
        np.abs(w_x),
        np.abs(w_h),
        np.abs(b),
        activation="affine",
        **attrs,
    )


def test_the_stacked_entry_is_the_two_outputs() -> None:
    """The catalog's rnn entry stacks hs over h_last along time, and nothing else."""
    example = RNN.sample
    hs, h_last = rnn.rnn(*example.inputs)
    stacked = rnn_stacked(*example.inputs)
    assert np.array_equal(stacked[:-1], hs)
    assert np.array_equal(stacked[-1], h_last)


@pytest.mark.parametrize("entry", ["rnn", "lstm", "gru"])
@given(data=st.data())
def test_truncated_bptt_with_a_window_of_t_or_more_is_full_bptt(entry: str, data: Any) -> None:
    """A window of T or more cuts nothing: the same bits as full BPTT, for all three layers."""
    op = catalog.get(entry)
    example = data.draw(op.examples)
    steps = example.inputs[0].shape[0]
    window = data.draw(st.integers(steps, steps + 3))
    output = op.call_forward(example)
    d_out = np.asarray(data.draw(nst.arrays(output.shape)))
    full = op.call_backward(d_out, example)
    cut = op.call_backward(d_out, Example(example.inputs, {**example.attrs, "truncate": window}))
    for got, want in zip(cut, full, strict=True):
        assert np.array_equal(got, want)


@given(RNN.examples, st.integers(1, 4))
def test_truncated_bptt_is_full_bptt_of_each_window_from_its_detached_state(
    example: Example, window: int
) -> None:
    """Truncated BPTT is full BPTT of each window, from the state the forward reached there.

    With a window k, the weights' gradient is the sum, over the windows, of full BPTT on each
    window started from its (detached) state; h_0's gradient comes from the first window.

    Equal lengths, read forward; within the bound of the two sums' orders.
    """
    x, h0, w_x, w_h, b = example.inputs
    attrs = _plain(example)
    steps = x.shape[0]
    hs, _ = rnn.rnn(x, h0, w_x, w_h, b, **attrs)
    rng = np.random.default_rng(window)
    d_hs, d_last = rng.normal(size=hs.shape), rng.normal(size=h0.shape)
    cut = rnn.rnn_backward(d_hs, d_last, x, h0, w_x, w_h, b, truncate=window, **attrs)
    total = [np.zeros_like(w) for w in (w_x, w_h, b)]
    gauge = [np.zeros_like(w) for w in (w_x, w_h, b)]
    for start in range(0, steps, window):
        end = min(steps, start + window)
        state = h0 if start == 0 else hs[start - 1]
        last = d_last if end == steps else np.zeros_like(d_last)
        part = rnn.rnn_backward(d_hs[start:end], last, x[start:end], state, w_x, w_h, b, **attrs)
        magnitude = rnn.rnn_backward(
            np.abs(d_hs[start:end]),
            np.abs(last),
            np.abs(x[start:end]),
            np.abs(state),
            np.abs(w_x),
            np.abs(w_h),
            np.abs(b),
            activation="affine",
        )
        if start == 0:
            assert_close(cut[1], part[1], gauge=magnitude[1], terms=2 * steps * (x.shape[2] + 4))
        for k in range(3):
            total[k] += part[2 + k]
            gauge[k] += magnitude[2 + k]
    for k in range(3):
        assert_close(cut[2 + k], total[k], gauge=gauge[k], terms=2 * steps * (h0.shape[1] + 4))


def _plain(example: Example) -> dict[str, Any]:
    """The example's activation, without its direction and lengths."""
    return {k: v for k, v in example.attrs.items() if k not in ("reverse", "lengths")}


@pytest.mark.experiment
def test_the_adding_problem_is_solved_by_the_gated_layers_and_not_by_the_plain_one() -> None:
    """The LSTM and the GRU solve the adding problem where a tanh RNN does not.

    At T = 20 and a budget of 400 Adam steps, the LSTM and the GRU get below 0.02 while a
    tanh RNN stays above 0.1 (predicting the mean gives 1/6).

    Hochreiter and Schmidhuber's adding problem in Le et al.'s form; 1 280 training sequences,
    16 units, lr 0.01, batch 32, gradients clipped to norm 1; seeds 0 (data), 1 (weights),
    2 (order). The page's figure runs the same at T = 50.
    """
    rng = np.random.default_rng(0)
    X, y = rnn.adding_problem(1280, 20, rng)
    X_val, y_val = rnn.adding_problem(500, 20, rng)
    final = {}
    for cell in rnn.CELLS:
        params = rnn.init_sequence_regressor(cell, 2, 16, np.random.default_rng(1))
        _, losses = rnn.train_sequence_regressor(
            X,
            y,
            params,
            cell=cell,
            lr=0.01,
            batch_size=32,
            epochs=10,
            rng=np.random.default_rng(2),
            max_grad_norm=1.0,
            validation=(X_val, y_val),
        )
        final[cell] = losses[-1, 1]
    assert final["lstm"] < 0.02
    assert final["gru"] < 0.02
    assert final["rnn"] > 0.1
    assert abs(np.var(y_val) - 1 / 6) < 0.03  # the baseline is what the text says


def test_adding_problem_data_is_as_described() -> None:
    """Two markers, one in each half; the target is the sum of the two marked values."""
    X, y = rnn.adding_problem(200, 9, np.random.default_rng(4))
    assert X.shape == (9, 200, 2)
    assert np.all(X[:, :, 1].sum(axis=0) == 2)
    assert np.all(X[:4, :, 1].sum(axis=0) == 1)
    assert np.all((X[:, :, 0] >= 0) & (X[:, :, 0] <= 1))
    assert np.array_equal(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=0))


def test_bad_input_of_the_sequence_tools_gets_a_clear_error() -> None:
    """ONNX's attributes, the trainer's cell and data, the adding problem: named refusals."""
    x = np.zeros((3, 2, 1))
    W, R = np.zeros((1, 2, 1)), np.zeros((1, 2, 2))
    with pytest.raises(ValueError, match=r"^onnx_rnn: direction must be one of"):
        rnn.onnx_rnn(x, W, R, direction="both")
    with pytest.raises(ValueError, match=r"^onnx_rnn: layout must be 0 \(T, N, F\) or 1"):
        rnn.onnx_rnn(x, W, R, layout=2)
    with pytest.raises(
        ValueError, match=r"^onnx_rnn: hidden_size is 3 but R holds states of size 2"
    ):
        rnn.onnx_rnn(x, W, R, hidden_size=3)
    with pytest.raises(
        ValueError, match=r"^onnx_rnn: R must have shape \(num_directions, 1 H, H\)"
    ):
        rnn.onnx_rnn(x, W, R, direction="bidirectional")
    with pytest.raises(ValueError, match=r"^onnx_rnn: every entry of sequence_lens must be in"):
        rnn.onnx_rnn(x, W, R, sequence_lens=np.array([0, 3]))
    with pytest.raises(ValueError, match=r"^onnx_rnn: activations must be among"):
        rnn.onnx_rnn(x, W, R, activations=["tanh_"])
    with pytest.raises(ValueError, match=r"^onnx_rnn: activations must list 2 names"):
        rnn.onnx_rnn(
            x,
            np.zeros((2, 2, 1)),
            np.zeros((2, 2, 2)),
            direction="bidirectional",
            activations=["Tanh"],
        )
    with pytest.raises(ValueError, match=r"^rnn_backward: truncate must be a positive integer"):
        rnn.rnn_backward(
            np.zeros((3, 2, 2)),
            np.zeros((2, 2)),
            x,
            np.zeros((2, 2)),
            np.zeros((1, 2)),
            np.zeros((2, 2)),
            np.zeros(2),
            truncate=0,
        )
    with pytest.raises(ValueError, match=r"^train_sequence_regressor: cell must be one of"):
        rnn.train_sequence_regressor(
            x,
            np.zeros(2),
            [],
            cell="transformer",
            lr=0.1,
            batch_size=1,
            epochs=1,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ValueError, match=r"^train_sequence_regressor: y must have shape \(2,\)"):
        rnn.train_sequence_regressor(
            x,
            np.zeros(3),
            [],
            cell="rnn",
            lr=0.1,
            batch_size=1,
            epochs=1,
            rng=np.random.default_rng(0),
        )
    with pytest.raises(ValueError, match=r"^adding_problem: steps must be at least 2"):
        rnn.adding_problem(3, 1, np.random.default_rng(0))
    with pytest.raises(TypeError, match=r"^adding_problem: rng must be a numpy.random.Generator"):
        rnn.adding_problem(3, 4, 0)
