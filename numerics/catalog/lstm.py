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


def _lstm_bounded_step(example: Example) -> Any:
    """One LSTM step with a first-order bound of each value it computes, in units of gamma.

    ``step(x_t, h, c, e_h, e_c)`` (one sequence's vectors, and the bounds of the states it
    receives) returns a dict of the pre-activations ``a_i``, ``a_f``, ``a_g``, ``a_o`` and the
    values ``i``, ``f``, ``g``, ``o``, ``shown`` (h(c_t)), ``c``, ``h``, each with its bound
    under ``e_`` and its name (``f``'s input bound is 0 with coupled gates: it has no input).
    """
    w_x, w_h, b, p = (np.asarray(v, dtype=np.float64) for v in example.inputs[3:])
    attrs = example.attrs
    (f, df), (g, dg), (h_act, dh_act) = (
        independent.clipped_activation(*setting, attrs.get("clip"))
        for setting in _settings(attrs, 3)
    )
    i_, f_, g_, o_ = np.split(np.arange(w_x.shape[1]), 4)
    abs_wx, abs_wh, abs_p = np.abs(w_x), np.abs(w_h), np.abs(p)

    def step(x_t: np.ndarray, h: np.ndarray, c: np.ndarray, e_h: np.ndarray, e_c: np.ndarray):  # type: ignore[no-untyped-def]
        a = x_t @ w_x + h @ w_h + b
        local = np.abs(x_t) @ abs_wx + np.abs(h) @ abs_wh + np.abs(b)
        received = e_h @ abs_wh
        a_i, a_f, a_g = a[i_] + p[0] * c, a[f_] + p[1] * c, a[g_]
        e_ai = local[i_] + received[i_] + abs_p[0] * (np.abs(c) + e_c)
        e_af = local[f_] + received[f_] + abs_p[1] * (np.abs(c) + e_c)
        e_ag = local[g_] + received[g_]
        gate_i, gate_g = f(a_i), g(a_g)
        # each gate: its input's error through the slope, and its own rounding
        d_i = df(a_i) * e_ai + gate_i
        d_g = dg(a_g) * e_ag + np.abs(gate_g)
        if attrs.get("input_forget"):
            gate_f, d_f, e_af = 1.0 - gate_i, d_i + np.abs(1.0 - gate_i), np.zeros_like(e_af)
        else:
            gate_f = f(a_f)
            d_f = df(a_f) * e_af + gate_f
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
        e_ao = local[o_] + received[o_] + abs_p[2] * (np.abs(c_new) + e_c_new)
        gate_o = f(a_o)
        d_o = df(a_o) * e_ao + gate_o
        shown = h_act(c_new)
        e_shown = dh_act(c_new) * e_c_new + np.abs(shown)
        h_new = gate_o * shown
        # h_t = o h(c_t): the gate's error, the cell's through h's slope, and the product's
        e_h_new = np.abs(shown) * d_o + np.abs(gate_o) * e_shown + np.abs(h_new)
        return {
            "a_i": a_i, "e_a_i": e_ai, "a_f": a_f, "e_a_f": e_af, "a_g": a_g, "e_a_g": e_ag,
            "a_o": a_o, "e_a_o": e_ao, "i": gate_i, "e_i": d_i, "f": gate_f, "e_f": d_f,
            "g": gate_g, "e_g": d_g, "o": gate_o, "e_o": d_o, "shown": shown,
            "e_shown": e_shown, "c": c_new, "e_c": e_c_new, "h": h_new, "e_h": e_h_new,
        }  # fmt: skip

    return step


def lstm_gauge(example: Example) -> np.ndarray:
    """A first-order bound on the error of each stacked LSTM output, in units of gamma."""
    step = _lstm_bounded_step(example)

    def cell(x_t: np.ndarray, h: np.ndarray, c: np.ndarray, e_h: np.ndarray, e_c: np.ndarray):  # type: ignore[no-untyped-def]
        new = step(x_t, h, c, e_h, e_c)
        return [new["h"], new["c"], new["e_h"], new["e_c"]]

    x, h0, c0 = (np.asarray(v, dtype=np.float64) for v in example.inputs[:3])
    return errors_along(x, example.attrs, [h0, c0], cell)


#: The largest |f''| of the activations a backward gauge knows: sigma'' <= 1 / (6 sqrt 3),
#: tanh'' <= 4 / (3 sqrt 3) (at the inflection points of their derivatives).
_SECOND_DERIVATIVE = {"sigmoid": 1 / (6 * np.sqrt(3)), "tanh": 4 / (3 * np.sqrt(3))}


def lstm_backward_gauge(example: Example, d_out: np.ndarray) -> tuple[np.ndarray, ...]:
    r"""A first-order bound on the error of each gradient of the stacked LSTM, in units of gamma.

    For :func:`lstm_stacked_backward` at ``example`` with the cotangent ``d_out``: one array
    per input (x, h0, c0, W_x, W_h, b, peepholes), to be multiplied by $\gamma_m$ with m the
    longest sum (T N terms for the weights). It is the backward through time run on
    magnitudes, as the forward gauge is: each product and sum adds its own magnitude, and
    each factor passes on its error times the magnitude of the others. The factors the
    forward computed carry its bounds: a gate's error is its input's times its slope plus its
    own rounding; a slope's is its input's times $\max|f''|$ plus two roundings and that of
    the value it may be computed from (PyTorch computes $\sigma' = \sigma(1 - \sigma)$).
    Any order of the same sums and products is within it, so it bounds two implementations'
    difference twice over. Sigmoid and tanh only (PyTorch's), without the clip or coupled
    gates.
    """
    x, h0, c0, w_x, w_h, b, p = (np.asarray(v, dtype=np.float64) for v in example.inputs)
    attrs = example.attrs
    settings = _settings(attrs, 3)
    if attrs.get("clip") is not None or attrs.get("input_forget"):
        raise ValueError("lstm_backward_gauge: no clip, no coupled gates")
    if any(name not in _SECOND_DERIVATIVE for name, _, _ in settings):
        raise ValueError("lstm_backward_gauge: sigmoid and tanh activations only")
    step = _lstm_bounded_step(example)
    derivatives = [independent.clipped_activation(*setting, None)[1] for setting in settings]
    bends = [_SECOND_DERIVATIVE[name] for name, _, _ in settings]
    # which activation computes each value, and from which input
    place = {"i": 0, "f": 0, "g": 1, "o": 0, "shown": 2}
    inputs_of = {"i": "a_i", "f": "a_f", "g": "a_g", "o": "a_o", "shown": "c"}
    steps, count, _ = x.shape
    abs_wx, abs_wh, abs_p = np.abs(w_x), np.abs(w_h), np.abs(p)
    d_hs, (d_h_last, d_c_last) = split_states(d_out, x, h0, 2)
    lengths = attrs.get("lengths", np.full(count, steps))
    e_x = np.zeros_like(x)
    e_h0, e_c0 = np.zeros_like(h0), np.zeros_like(c0)
    e_wx, e_wh, e_b, e_p = (np.zeros_like(v) for v in (w_x, w_h, b, p))
    for n in range(count):
        order = list(range(int(lengths[n])))[:: -1 if attrs.get("reverse") else 1]
        h, c, e_h, e_c = h0[n], c0[n], np.zeros_like(h0[n]), np.zeros_like(c0[n])
        kept = []
        for t in order:  # the forward, with its bounds
            new = step(x[t, n], h, c, e_h, e_c)
            slopes, e_slopes = [], []
            for k, which in place.items():
                slope = derivatives[which](new[inputs_of[k]])
                slopes.append(slope)
                # a slope's error: its input's times max |f''|, two roundings, its value's
                e_slopes.append(
                    bends[which] * new["e_" + inputs_of[k]] + 2 * slope + np.abs(new[k])
                )
            kept.append((t, h, e_h, c, e_c, new, slopes, e_slopes))
            h, c, e_h, e_c = new["h"], new["c"], new["e_h"], new["e_c"]
        dh, dc = d_h_last[n].copy(), d_c_last[n].copy()
        e_dh, e_dc = np.zeros_like(dh), np.zeros_like(dc)
        for t, h_prev, e_hp, c_prev, e_cp, new, slopes, e_s in kept[::-1]:
            gate_i, gate_f, gate_g, gate_o, shown = (new[k] for k in ("i", "f", "g", "o", "shown"))
            e_i, e_f, e_g, e_o, e_shown = (new["e_" + k] for k in ("i", "f", "g", "o", "shown"))
            c_t, e_ct = new["c"], new["e_c"]
            s_i, s_f, s_g, s_o, s_shown = slopes
            # h̄ = h̄ + ∂L/∂h_t, ā_o = h̄ h(c) f'(a_o)
            total_h = dh + d_hs[t, n]
            e_th = e_dh + np.abs(total_h)
            da_o = total_h * shown * s_o
            e_dao = (
                np.abs(shown) * s_o * e_th
                + np.abs(total_h) * (s_o * e_shown + np.abs(shown) * e_s[3])
                + 2 * np.abs(da_o)
            )
            # c̄ = c̄ + h̄ o h'(c) + ā_o p_o
            through = total_h * gate_o * s_shown
            total_c = dc + through + da_o * p[2]
            e_tc = (
                e_dc
                + gate_o * s_shown * e_th
                + np.abs(total_h) * (s_shown * e_o + gate_o * e_s[4])
                + abs_p[2] * e_dao
                + 2 * (np.abs(through) + np.abs(da_o * p[2]) + np.abs(total_c))
            )
            d_i, d_f = total_c * gate_g, total_c * c_prev
            e_di = np.abs(gate_g) * e_tc + np.abs(total_c) * e_g + np.abs(d_i)
            e_df = np.abs(c_prev) * e_tc + np.abs(total_c) * e_cp + np.abs(d_f)
            da_i, da_f, da_g = d_i * s_i, d_f * s_f, total_c * gate_i * s_g
            e_dai = s_i * e_di + np.abs(d_i) * e_s[0] + np.abs(da_i)
            e_daf = s_f * e_df + np.abs(d_f) * e_s[1] + np.abs(da_f)
            e_dag = (
                gate_i * s_g * e_tc
                + np.abs(total_c) * (s_g * e_i + gate_i * e_s[2])
                + 2 * np.abs(da_g)
            )
            # c̄_{t−1} = c̄ f + ā_i p_i + ā_f p_f
            dc = total_c * gate_f + da_i * p[0] + da_f * p[1]
            e_dc = (
                gate_f * e_tc
                + np.abs(total_c) * e_f
                + abs_p[0] * e_dai
                + abs_p[1] * e_daf
                + 2 * (np.abs(total_c * gate_f) + np.abs(da_i * p[0]) + np.abs(da_f * p[1]))
            )
            da = np.concatenate([da_i, da_f, da_g, da_o])
            e_da = np.concatenate([e_dai, e_daf, e_dag, e_dao])
            # the products with the weights: their errors and the sums' own
            dh = w_h @ da
            e_dh = abs_wh @ (e_da + np.abs(da))
            e_x[t, n] = abs_wx @ (e_da + np.abs(da))
            e_wx += np.outer(np.abs(x[t, n]), e_da + np.abs(da))
            e_wh += np.outer(np.abs(h_prev), e_da + np.abs(da)) + np.outer(e_hp, np.abs(da))
            e_b += e_da + np.abs(da)
            for peephole, (e_dak, dak, state, e_state) in enumerate(
                ((e_dai, da_i, c_prev, e_cp), (e_daf, da_f, c_prev, e_cp), (e_dao, da_o, c_t, e_ct))
            ):
                e_p[peephole] += np.abs(state) * (e_dak + np.abs(dak)) + e_state * np.abs(dak)
        e_h0[n], e_c0[n] = e_dh, e_dc
    return e_x, e_h0, e_c0, e_wx, e_wh, e_b, e_p


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


def gru_backward_gauge(example: Example, d_out: np.ndarray) -> tuple[np.ndarray, ...]:
    r"""A first-order bound on the error of each gradient of the stacked GRU, in units of gamma.

    As :func:`lstm_backward_gauge`, for :func:`gru_stacked_backward`: one array per input
    (x, h0, W_x, W_h, b_x, b_h). The reset-after variant (``linear_before_reset=True``,
    PyTorch's) with sigmoid gates and a tanh candidate, without the clip.
    """
    x, h0, w_x, w_h, b_x, b_h = (np.asarray(v, dtype=np.float64) for v in example.inputs)
    attrs = example.attrs
    settings = _settings(attrs, 2)
    if attrs.get("clip") is not None or not attrs.get("linear_before_reset"):
        raise ValueError("gru_backward_gauge: the reset-after variant only, without the clip")
    if any(name not in _SECOND_DERIVATIVE for name, _, _ in settings):
        raise ValueError("gru_backward_gauge: sigmoid and tanh activations only")
    (f, df), (g, dg) = (independent.clipped_activation(*setting, None) for setting in settings)
    bend_f, bend_g = (_SECOND_DERIVATIVE[name] for name, _, _ in settings)
    steps, count, _ = x.shape
    r_, z_, n_ = np.split(np.arange(w_x.shape[1]), 3)
    abs_wx, abs_wh = np.abs(w_x), np.abs(w_h)
    d_hs, (d_h_last,) = split_states(d_out, x, h0, 1)
    lengths = attrs.get("lengths", np.full(count, steps))
    e_x, e_h0 = np.zeros_like(x), np.zeros_like(h0)
    e_wx, e_wh, e_bx, e_bh = (np.zeros_like(v) for v in (w_x, w_h, b_x, b_h))
    for n in range(count):
        order = list(range(int(lengths[n])))[:: -1 if attrs.get("reverse") else 1]
        h, e_h = h0[n], np.zeros_like(h0[n])
        kept = []
        for t in order:  # the forward, with its bounds (as gru_gauge)
            ax = x[t, n] @ w_x + b_x
            local_x = np.abs(x[t, n]) @ abs_wx + np.abs(b_x)
            hw = h @ w_h + b_h
            e_hw = np.abs(h) @ abs_wh + np.abs(b_h) + e_h @ abs_wh
            a_r, a_z = ax[r_] + hw[r_], ax[z_] + hw[z_]
            e_ar, e_az = local_x[r_] + e_hw[r_], local_x[z_] + e_hw[z_]
            reset, update = f(a_r), f(a_z)
            e_r, e_z = df(a_r) * e_ar + reset, df(a_z) * e_az + update
            a_n = ax[n_] + reset * hw[n_]
            e_an = local_x[n_] + reset * e_hw[n_] + np.abs(hw[n_]) * e_r
            e_an = e_an + 2 * np.abs(reset * hw[n_])
            candidate = g(a_n)
            e_n = dg(a_n) * e_an + np.abs(candidate)
            slopes = (df(a_r), df(a_z), dg(a_n))
            # each slope: its input's error times max |f''|, two roundings, its value's
            e_slopes = tuple(
                bend * e_in + 2 * s_k + np.abs(v)
                for bend, e_in, s_k, v in zip(
                    (bend_f, bend_f, bend_g),
                    (e_ar, e_az, e_an),
                    slopes,
                    (reset, update, candidate),
                    strict=True,
                )
            )
            kept.append(
                (t, h, e_h, hw, e_hw, reset, update, candidate, e_r, e_z, e_n, slopes, e_slopes)
            )
            h_new = (1.0 - update) * candidate + update * h
            e_h = (
                np.abs(1.0 - update) * e_n
                + (np.abs(candidate) + np.abs(h)) * e_z
                + update * e_h
                + 2 * (np.abs((1.0 - update) * candidate) + np.abs(update * h))
            )
            h = h_new
        dh, e_dh = d_h_last[n].copy(), np.zeros_like(h0[n])
        for t, h_prev, e_hp, hw, e_hw, reset, update, cand, e_r, e_z, e_n, s, e_s in kept[::-1]:
            s_r, s_z, s_n = s
            # h̄ = h̄ + ∂L/∂h_t; z̄ = h̄ (h_{t−1} − n), n̄ = h̄ (1 − z)
            total = dh + d_hs[t, n]
            e_total = e_dh + np.abs(total)
            gap = h_prev - cand
            e_gap = e_hp + e_n + np.abs(gap)
            da_z = total * gap * s_z
            e_daz = np.abs(gap) * s_z * e_total + np.abs(total) * (
                s_z * e_gap + np.abs(gap) * e_s[1]
            )
            e_daz = e_daz + 2 * np.abs(da_z)
            keep = 1.0 - update
            e_keep = e_z + np.abs(keep)
            da_n = total * keep * s_n
            e_dan = np.abs(keep) * s_n * e_total + np.abs(total) * (
                s_n * e_keep + np.abs(keep) * e_s[2]
            )
            e_dan = e_dan + 2 * np.abs(da_n)
            # r̄ = ā_n (h W_h,n + b_h,n), and the state side's n-block gets ā_n r
            da_r = da_n * hw[n_] * s_r
            e_dar = np.abs(hw[n_]) * s_r * e_dan
            e_dar = (
                e_dar + np.abs(da_n) * (s_r * e_hw[n_] + np.abs(hw[n_]) * e_s[0]) + 2 * np.abs(da_r)
            )
            side = da_n * reset
            e_side = reset * e_dan + np.abs(da_n) * e_r + np.abs(side)
            d_input = np.concatenate([da_r, da_z, da_n])
            e_input = np.concatenate([e_dar, e_daz, e_dan]) + np.abs(d_input)
            d_state = np.concatenate([da_r, da_z, side])
            e_state = np.concatenate([e_dar, e_daz, e_side]) + np.abs(d_state)
            # h̄_{t−1} = h̄ z + (ā_r, ā_z, ā_n r) W_hᵀ
            dh = total * update + w_h @ d_state
            e_dh = update * e_total + np.abs(total) * e_z + np.abs(total * update)
            e_dh = e_dh + abs_wh @ e_state + np.abs(dh)
            e_x[t, n] = abs_wx @ e_input
            e_wx += np.outer(np.abs(x[t, n]), e_input)
            e_wh += np.outer(np.abs(h_prev), e_state) + np.outer(e_hp, np.abs(d_state))
            e_bx += e_input
            e_bh += e_state
        e_h0[n] = e_dh
    return e_x, e_h0, e_wx, e_wh, e_bx, e_bh


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
