"""Laws of the restricted Boltzmann machine, with exact enumeration of tiny models as the oracle.

The catalog's generic laws (``tests/test_catalog.py``) hold ``free_energy`` to its gradient, to
an independent NumPy computation, to its inputs left untouched and to its bad calls. Here every
stochastic algorithm (Gibbs sampling, CD-k, persistent CD, annealed importance sampling) is
held to the exact value it approximates, computed by summing over every state.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from numerics import assert_close, assert_gradient, gamma
from numerics import strategies as nst
from numerics.catalog.rbm import slowly_mixing
from reference import rbm

Model = tuple[np.ndarray, np.ndarray, np.ndarray]


def _all_states(units: int) -> np.ndarray:
    """Every binary vector of ``units`` bits, one per row (2**units rows)."""
    return np.array(list(itertools.product([0.0, 1.0], repeat=units))).reshape(-1, units)


@st.composite
def models(draw: st.DrawFn, max_visible: int = 6, max_hidden: int = 6, scale: float = 2.0) -> Model:
    """A tiny RBM: W (n_v, n_h), b_v, b_h with entries in [-scale, scale]."""
    visible, hidden = draw(st.integers(1, max_visible)), draw(st.integers(1, max_hidden))
    return (
        draw(nst.arrays((visible, hidden), scale=scale)),
        draw(nst.arrays((visible,), scale=scale)),
        draw(nst.arrays((hidden,), scale=scale)),
    )


@st.composite
def models_and_data(draw: st.DrawFn, rows: int = 4) -> tuple[np.ndarray, Model]:
    """A tiny RBM and a few binary rows of its visible layer."""
    W, b_v, b_h = draw(models())
    bits = draw(st.lists(st.booleans(), min_size=rows * W.shape[0], max_size=rows * W.shape[0]))
    return np.array(bits, float).reshape(rows, W.shape[0]), (W, b_v, b_h)


def _energies(V: np.ndarray, H: np.ndarray, W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray):
    """E(v, h) for every row v of V and every row h of H: shape (len(V), len(H))."""
    return -(V @ b_v)[:, None] - (H @ b_h)[None, :] - V @ W @ H.T


def _energy_gauge(W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> float:
    """A bound on |v||b_v| + |h||b_h| + |v||W||h| over every binary v and h."""
    return float(np.abs(b_v).sum() + np.abs(b_h).sum() + np.abs(W).sum())


def _terms(W: np.ndarray) -> int:
    """Rounded operations behind one energy and a log-sum-exp over the smaller layer's states.

    n_v n_h products, n_v + n_h sums, softplus' exp, log1p and max, and 2^n terms summed.
    """
    visible, hidden = W.shape
    return visible * hidden + visible + hidden + 2 ** min(visible, hidden) + 8


@given(models_and_data())
def test_free_energy_is_minus_the_log_of_the_energies_summed_over_the_hidden_states(
    case: tuple[np.ndarray, Model],
) -> None:
    """F(v) = -log sum_h exp(-E(v, h)), the hidden units summed out by brute force.

    Both sides are rounded: within gamma_2n of the energies' gauge plus 1 (the log-sum-exp's
    own rounding), n the operations behind one energy and the sum over 2^n_h states.
    """
    v, (W, b_v, b_h) = case
    brute = -special.logsumexp(-_energies(v, _all_states(W.shape[1]), W, b_v, b_h), axis=1)
    assert_close(
        rbm.free_energy(v, W, b_v, b_h),
        brute,
        gauge=_energy_gauge(W, b_v, b_h) + 1.0,
        terms=2 * (_terms(W) + 2 ** W.shape[1]),
    )


@given(models())
def test_log_z_by_enumerating_the_hidden_layer_equals_enumerating_the_visible_layer(
    model: Model,
) -> None:
    """log_partition, which enumerates the smaller layer, equals log sum_v exp(-F(v)) over every v.

    Whichever layer the function enumerates, the test enumerates the visible layer (by the
    public free energy), and the joint sum over (v, h) as a third route when it is small.
    Within gamma_2n of the energy gauge plus 1.
    """
    W, b_v, b_h = model
    by_visible = special.logsumexp(-rbm.free_energy(_all_states(W.shape[0]), W, b_v, b_h))
    terms = 2 * (_terms(W) + 2 ** W.shape[0])
    gauge = _energy_gauge(W, b_v, b_h) + 1.0
    log_z = rbm.log_partition(W, b_v, b_h)
    assert_close(log_z, by_visible, gauge=gauge, terms=terms)
    joint = _energies(_all_states(W.shape[0]), _all_states(W.shape[1]), W, b_v, b_h)
    assert_close(log_z, special.logsumexp(-joint), gauge=gauge, terms=terms + 2**W.size)


@given(models())
def test_the_exact_probabilities_of_every_visible_vector_sum_to_one(model: Model) -> None:
    """Summed over all 2^n_v vectors, exp(log_likelihood(v)) is 1.

    Each log p(v) errs by at most eps = gamma_n (energy gauge + |log Z| + 1), so each p(v) by
    about eps p(v) and the sum by eps plus the sum's own gamma_(2^n_v).
    """
    W, b_v, b_h = model
    log_p = rbm.log_likelihood(_all_states(W.shape[0]), W, b_v, b_h)
    log_z = rbm.log_partition(W, b_v, b_h)
    eps = gamma(_terms(W)) * (_energy_gauge(W, b_v, b_h) + abs(log_z) + 1.0)
    assert abs(np.exp(log_p).sum() - 1.0) <= 2.0 * eps + gamma(2 ** W.shape[0])


@given(models(max_hidden=5), nst.scalars(4.0))
def test_a_hidden_unit_with_no_weights_adds_its_softplus_to_log_z_and_leaves_p_v_alone(
    model: Model, bias: float
) -> None:
    """A hidden unit with zero weights and bias b multiplies Z by 1 + e^b and changes no p(v).

    Summing the new unit out gives a factor sum_h e^(h b) = 1 + e^b on every state; log Z gains
    log(1 + e^b) and log p(v) = -F(v) - log Z is unchanged. Within gamma_2n of the gauges.
    """
    W, b_v, b_h = model
    wider = (np.hstack([W, np.zeros((W.shape[0], 1))]), b_v, np.append(b_h, bias))
    gauge = _energy_gauge(*wider) + 1.0
    terms = 2 * _terms(wider[0])
    assert_close(
        rbm.log_partition(*wider),
        rbm.log_partition(W, b_v, b_h) + np.logaddexp(0.0, bias),
        gauge=gauge + abs(bias),
        terms=terms,
    )
    states = _all_states(W.shape[0])
    assert_close(
        rbm.log_likelihood(states, *wider),
        rbm.log_likelihood(states, W, b_v, b_h),
        gauge=2.0 * gauge + abs(bias),
        terms=terms,
    )


@given(models_and_data())
def test_the_conditionals_factorise_into_sigmoids(case: tuple[np.ndarray, Model]) -> None:
    """p(h | v) by brute force is the product over units of sigmoid(b_h + vW)^h (1 - ...)^(1 - h).

    The brute force normalises exp(-E(v, h)) over every h; the product is formed from
    hidden_probabilities. The same for p(v | h) with visible_probabilities and the rows of v as
    hidden states' partners. A probability errs by at most its size times the log's error:
    within gamma_2n of the energy gauge plus 1.
    """
    v, (W, b_v, b_h) = case
    gauge, terms = _energy_gauge(W, b_v, b_h) + 1.0, 2 * (_terms(W) + 2 ** W.shape[1])
    hidden_states = _all_states(W.shape[1])
    joint = np.exp(-_energies(v, hidden_states, W, b_v, b_h))
    brute = joint / joint.sum(axis=1, keepdims=True)
    p = rbm.hidden_probabilities(v, W, b_h)
    product = np.prod(np.where(hidden_states[None], p[:, None], 1.0 - p[:, None]), axis=2)
    assert_close(product, brute, gauge=gauge, terms=terms)
    visible_states = _all_states(W.shape[0])
    h = hidden_states[: min(len(hidden_states), 4)]
    joint = np.exp(-_energies(visible_states, h, W, b_v, b_h)).T
    brute = joint / joint.sum(axis=1, keepdims=True)
    q = rbm.visible_probabilities(h, W, b_v)
    product = np.prod(np.where(visible_states[None], q[:, None], 1.0 - q[:, None]), axis=2)
    assert_close(product, brute, gauge=gauge, terms=2 * (_terms(W) + 2 ** W.shape[0]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gibbs_chains_visit_each_visible_vector_as_often_as_its_exact_probability(
    seed: int,
) -> None:
    """The visible states of 20 000 independent chains after 100 Gibbs steps follow p(v).

    A model of 4 visible and 3 hidden units (entries of W normal with sd 1): the counts of
    the 16 visible vectors against 20 000 p(v) by Pearson's chi-square, 15 degrees of
    freedom; the threshold is its 1 - 1e-6 quantile, so a correct sampler fails once in a
    million seeds (each seed fixed here). 100 steps: the chain forgets its start long before
    (the second-largest eigenvalue of this tiny chain is far below 0.9, and 0.9^100 = 3e-5).
    """
    generator = np.random.default_rng(seed)
    W = generator.standard_normal((4, 3))
    b_v, b_h = generator.standard_normal(4), generator.standard_normal(3)
    v = np.zeros((20_000, 4))
    for _ in range(100):
        v, _ = rbm.gibbs_step(v, W, b_v, b_h, generator)
    counts = np.bincount((v @ (2 ** np.arange(3, -1, -1))).astype(int), minlength=16)
    expected = 20_000 * np.exp(rbm.log_likelihood(_all_states(4), W, b_v, b_h))
    statistic = float(((counts - expected) ** 2 / expected).sum())
    assert statistic <= stats.chi2.ppf(1.0 - 1e-6, 15), (statistic, counts, expected)


@given(models_and_data())
@settings(max_examples=30)
def test_the_exact_log_likelihood_gradient_passes_the_gradient_check(
    case: tuple[np.ndarray, Model],
) -> None:
    """log_likelihood_gradient is the gradient of the mean of log_likelihood (check_gradient).

    Drawn models are both wider and narrower than their data, so both enumerations are checked.
    """
    v, model = case

    def mean_log_likelihood(W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> float:
        return float(rbm.log_likelihood(v, W, b_v, b_h).mean())

    def backward(d_out: float, W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> tuple:
        return tuple(d_out * g for g in rbm.log_likelihood_gradient(v, W, b_v, b_h))

    assert_gradient(mean_log_likelihood, backward, list(model))


def _cd_bias(k: int, model: Model, data: np.ndarray, groups: int, per_group: int):
    """(|mean CD-k estimate - exact gradient|, the norm of the mean's standard errors)."""
    exact = np.concatenate([g.ravel() for g in rbm.log_likelihood_gradient(data, *model)])
    estimates = []
    for group in range(groups):
        dW, db_v, db_h, _ = rbm.cd_gradient(
            np.tile(data, (per_group, 1)), *model, k=k, rng=np.random.default_rng([k, group])
        )
        estimates.append(np.concatenate([dW.ravel(), db_v, db_h]))
    estimates = np.array(estimates)
    errors = estimates.std(axis=0, ddof=1) / math.sqrt(groups)
    return float(np.linalg.norm(estimates.mean(axis=0) - exact)), float(np.linalg.norm(errors))


def test_the_bias_of_cd_k_shrinks_as_k_grows_and_vanishes_for_a_long_chain() -> None:
    """Against the exact gradient: CD-1's bias > CD-2's > CD-4's, and CD-64 is unbiased.

    A slowly mixing model (6 visible, 4 hidden, W with sd 2.5) and 4 data rows; each estimate
    averages 50 groups of 400 copies of the data (80 000 chains). The noise in a mean is
    measured by its standard errors (norm s); an unbiased estimate's error norm exceeds 2 s
    with probability below 1e-12 (chi-square with 34 degrees of freedom beyond 4 x 34), so each
    step down must exceed 4 s, and CD-64 must stay within 2 s.
    """
    model, data = slowly_mixing()
    biases, noise = zip(*(_cd_bias(k, model, data, 50, 400) for k in (1, 2, 4, 64)), strict=True)
    for shorter, longer, error in zip(biases, biases[1:3], noise, strict=False):
        assert shorter - longer > 4.0 * error, (biases, noise)
    assert biases[3] <= 2.0 * noise[3], (biases, noise)


def test_persistent_chains_are_advanced_by_k_gibbs_steps_of_their_own() -> None:
    """With ``chain`` given, the negative phase is k Gibbs steps from the chains, not the data.

    The returned chains equal k calls of gibbs_step on the chains with the same generator, bit
    for bit (the positive phase draws nothing); their row count is the chains', not the batch's;
    and the estimate is the data's mean (4 rows) minus the chains' mean (7 rows).
    """
    generator = np.random.default_rng(5)
    model = (generator.standard_normal((5, 3)), generator.standard_normal(5), np.zeros(3))
    data = (generator.random((4, 5)) < 0.5).astype(float)
    chain = (generator.random((7, 5)) < 0.5).astype(float)
    *_, advanced = rbm.cd_gradient(data, *model, k=3, rng=np.random.default_rng(9), chain=chain)
    replay, stepper = chain, np.random.default_rng(9)
    for _ in range(3):
        replay, _ = rbm.gibbs_step(replay, *model, stepper)
    assert advanced.shape == (7, 5)
    assert np.array_equal(advanced, replay)
    dW, db_v, db_h, _ = rbm.cd_gradient(
        data, *model, k=3, rng=np.random.default_rng(9), chain=chain
    )
    positive = rbm.hidden_probabilities(data, model[0], model[2])
    negative = rbm.hidden_probabilities(replay, model[0], model[2])
    # each side a mean of at most 7 products: gamma_16 of the same means on absolute values
    for estimate, expected in (
        (dW, data.T @ positive / 4 - replay.T @ negative / 7),
        (db_v, data.mean(axis=0) - replay.mean(axis=0)),
        (db_h, positive.mean(axis=0) - negative.mean(axis=0)),
    ):
        assert_close(estimate, expected, gauge=1.0, terms=16)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cd10_ends_closer_to_the_best_log_likelihood_than_cd1_on_bars_and_stripes(
    seed: int,
) -> None:
    """On the 14 bars-and-stripes images of 3 x 3, CD-10 learns a likelier model than CD-1.

    16 hidden units, lr 0.1, the whole set as one batch, 4 000 updates, the same seed for
    both; the exact mean log-likelihood averaged over the last 800 epochs. No model exceeds
    -log 14 = -2.639 (Gibbs' inequality: the data's own distribution is the best), and the
    uniform start is -9 log 2 = -6.238. Measured here: CD-1 about -3.2, CD-10 about -2.86.
    """
    images = rbm.bars_and_stripes(3)
    best = -math.log(14)

    def mean_log_likelihood(W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> float:
        return float(rbm.log_likelihood(images, W, b_v, b_h).mean())

    ends = []
    for k in (1, 10):
        *_, history = rbm.train_rbm(
            images,
            16,
            lr=0.1,
            epochs=4000,
            batch_size=14,
            k=k,
            rng=np.random.default_rng(seed),
            monitor=mean_log_likelihood,
        )
        assert history.max() <= best + 1e-12
        ends.append(history[-800:].mean())
    assert best - ends[1] < best - ends[0], ends
    assert ends[0] > history[0] + 2.0  # both learned: the start is -6.238


@given(models_and_data())
def test_the_pseudo_likelihood_is_the_likelihood_for_independent_units_only(
    case: tuple[np.ndarray, Model],
) -> None:
    """The pseudo-log-likelihood equals log p(v) when W = 0, and is another number otherwise.

    With W = 0 the units are independent and sum_i log p(v_i | v_-i) = log p(v); with W != 0
    it is another number (on the fixed model below, by far more than the bound).

    Within gamma_2n of the energy gauge plus 1.
    """
    v, (W, b_v, b_h) = case
    none = np.zeros_like(W)
    gauge, terms = _energy_gauge(none, b_v, b_h) + 1.0, 2 * _terms(W)
    assert_close(
        rbm.pseudo_log_likelihood(v, none, b_v, b_h),
        rbm.log_likelihood(v, none, b_v, b_h),
        gauge=gauge * W.shape[0],
        terms=terms,
    )
    coupled = np.array([[2.0, -1.0], [1.5, 0.5], [-2.0, 1.0]])
    rows = _all_states(3)
    difference = rbm.pseudo_log_likelihood(rows, coupled, np.zeros(3), np.zeros(2)) - (
        rbm.log_likelihood(rows, coupled, np.zeros(3), np.zeros(2))
    )
    assert np.abs(difference).max() > 0.1


def test_the_exact_pseudo_likelihood_is_the_mean_of_scikit_learns_one_bit_estimates() -> None:
    """Averaged over every bit position, scikit-learn's one-bit estimate is the exact sum.

    scikit-learn's score_samples flips one random bit i and returns n_v log p(v_i | v_-i);
    averaged over every bit position it is pseudo_log_likelihood.

    Each row is repeated 400 times (so every one of its 6 bits is drawn); the bit each copy used
    is the one scikit-learn's own RandomState(random_state).randint draws. Within gamma_2n of
    n_v times both free energies' gauge.
    """
    neural_network = pytest.importorskip("sklearn.neural_network", reason="needs scikit-learn")
    generator = np.random.default_rng(2)
    W, b_v, b_h = generator.standard_normal((6, 3)), generator.standard_normal(6), np.ones(3)
    rows = (generator.random((5, 6)) < 0.5).astype(float)
    machine = neural_network.BernoulliRBM(n_components=3, random_state=11)
    machine.components_, machine.intercept_visible_, machine.intercept_hidden_ = W.T, b_v, b_h
    machine.n_features_in_ = 6
    copies = np.repeat(rows, 400, axis=0)
    scores = machine.score_samples(copies)
    bits = np.random.RandomState(11).randint(0, 6, len(copies))
    per_bit = np.full((len(rows), 6), np.nan)
    per_bit[np.repeat(np.arange(5), 400), bits] = scores
    assert not np.isnan(per_bit).any()
    gauge = 6 * 2 * (_energy_gauge(W, b_v, b_h) + 1.0)
    assert_close(
        per_bit.mean(axis=1),
        rbm.pseudo_log_likelihood(rows, W, b_v, b_h),
        gauge=gauge,
        terms=2 * _terms(W),
    )


def _small_model(seed: int) -> Model:
    generator = np.random.default_rng(seed)
    return (
        generator.standard_normal((10, 6)),
        generator.standard_normal(10),
        generator.standard_normal(6),
    )


def _ais(model: Model, temperatures: int, repeats: int) -> np.ndarray:
    """``repeats`` independent AIS estimates (estimate, std) with 20 runs each."""
    return np.array(
        [
            rbm.ais_log_partition(
                *model,
                betas=np.linspace(0.0, 1.0, temperatures + 1),
                runs=20,
                rng=np.random.default_rng([temperatures, repeat]),
            )
            for repeat in range(repeats)
        ]
    )


@pytest.mark.parametrize("temperatures", [3, 10, 100])
def test_ais_is_on_average_at_most_log_z(temperatures: int) -> None:
    """E[log Z-hat] <= log Z (Jensen: the mean weight is unbiased for Z/Z_A, its log is not).

    30 independent estimates of a 10 x 6 model's log Z (20 runs each): their mean is at most
    the exact log Z plus 3 standard errors of that mean (a normal approximation; a correct
    estimator exceeds it with probability below 0.0014).
    """
    model = _small_model(3)
    estimates = _ais(model, temperatures, 30)[:, 0]
    error = estimates.std(ddof=1) / math.sqrt(len(estimates))
    assert estimates.mean() <= rbm.log_partition(*model) + 3.0 * error


def test_ais_converges_to_log_z_as_the_temperatures_grow_and_its_error_bar_is_honest() -> None:
    """AIS tends to log Z as the temperatures grow, and its reported error bar is the spread.

    With more intermediate temperatures the estimate's spread shrinks, and at 300 the exact
    log Z lies within 3 standard errors of the mean of 30 estimates; the std each estimate
    reports matches the spread of the 30 within a factor of 2 (the delta method's accuracy).
    """
    model = _small_model(3)
    log_z = rbm.log_partition(*model)
    spreads = []
    for temperatures in (10, 300):
        estimates = _ais(model, temperatures, 30)
        spread = estimates[:, 0].std(ddof=1)
        spreads.append(spread)
        assert 0.5 * spread <= estimates[:, 1].mean() <= 2.0 * spread
    assert spreads[1] < 0.5 * spreads[0], spreads
    assert abs(estimates[:, 0].mean() - log_z) <= 3.0 * spreads[1] / math.sqrt(30)


@given(models(), nst.seeds())
def test_ais_is_exact_when_the_base_model_is_the_model(model: Model, seed: int) -> None:
    """AIS from the model itself as its base is exact: log Z, with an error bar of 0.

    With W = 0 and the base rates b_A = b_v, every intermediate ratio is the same for every
    v: each run's weight is exactly Z / Z_A, so the estimate is log Z and the std 0 (up to the
    rounding of the K terms summed into each log-weight: gamma_n of the energy gauge).
    """
    W, b_v, b_h = model
    none = np.zeros_like(W)
    estimate, std = rbm.ais_log_partition(
        none,
        b_v,
        b_h,
        betas=np.linspace(0.0, 1.0, 11),
        runs=3,
        rng=np.random.default_rng(seed),
        base_bias=b_v,
    )
    terms = 2 * (_terms(W) + 10 * (W.shape[1] + 4))
    assert_close(
        estimate,
        rbm.log_partition(none, b_v, b_h),
        gauge=_energy_gauge(none, b_v, b_h) + 1.0,
        terms=terms,
    )
    assert std <= gamma(terms) * (_energy_gauge(none, b_v, b_h) + 1.0)


def test_bars_and_stripes_has_the_images_its_definition_counts() -> None:
    """2^(n+1) - 2 distinct images of n x n, each all rows or all columns of one value."""
    for side in (1, 2, 3, 4):
        images = rbm.bars_and_stripes(side)
        assert images.shape == (2 ** (side + 1) - 2, side * side)
        assert len(np.unique(images, axis=0)) == len(images)
        squares = images.reshape(-1, side, side)
        stripes = (squares == squares[:, :, :1]).all(axis=(1, 2))
        bars = (squares == squares[:, :1, :]).all(axis=(1, 2))
        assert (stripes | bars).all()


def test_a_training_run_is_reproducible_and_never_changes_its_data() -> None:
    """The same seed gives the same RBM bit for bit, and V is left as it was.

    The history has epochs + 1 entries, the reconstruction error by default, and it falls.
    """
    images = rbm.bars_and_stripes(3)
    before = images.copy()
    runs = [
        rbm.train_rbm(
            images,
            8,
            lr=0.1,
            epochs=50,
            batch_size=5,
            momentum=0.5,
            persistent=True,
            weight_decay=1e-4,
            rng=np.random.default_rng(4),
        )
        for _ in range(2)
    ]
    for first, second in zip(*runs, strict=True):
        assert np.array_equal(first, second)
    history = runs[0][3]
    assert history.shape == (51,)
    assert history[-1] < history[0]
    assert np.array_equal(images, before)


def test_sampling_never_changes_its_inputs() -> None:
    """gibbs_step and cd_gradient leave v, the chain and the parameters untouched."""
    generator = np.random.default_rng(0)
    model = (generator.standard_normal((4, 3)), generator.standard_normal(4), np.zeros(3))
    data = (generator.random((3, 4)) < 0.5).astype(float)
    chain = (generator.random((2, 4)) < 0.5).astype(float)
    copies = [array.copy() for array in (data, chain, *model)]
    rbm.gibbs_step(data, *model, generator)
    rbm.cd_gradient(data, *model, k=2, rng=generator, chain=chain)
    for original, array in zip(copies, (data, chain, *model), strict=True):
        assert np.array_equal(original, array)


BAD_CALLS = [
    (
        "non-binary data for CD",
        lambda: rbm.cd_gradient(
            np.full((1, 2), 0.5),
            np.zeros((2, 1)),
            np.zeros(2),
            np.zeros(1),
            rng=np.random.default_rng(0),
        ),
        ValueError,
        r"cd_gradient: v must hold only 0 and 1 .* got 0\.5 at index \(0, 0\)",
    ),
    (
        "non-binary data for the likelihood",
        lambda: rbm.log_likelihood(
            np.array([[1.0, 2.0]]), np.zeros((2, 1)), np.zeros(2), np.zeros(1)
        ),
        ValueError,
        r"log_likelihood: v must hold only 0 and 1 .* got 2\.0 at index \(0, 1\)",
    ),
    (
        "non-binary training data",
        lambda: rbm.train_rbm(
            np.array([[0.0, 0.3]]), 2, lr=0.1, epochs=1, batch_size=1, rng=np.random.default_rng(0)
        ),
        ValueError,
        r"train_rbm: V must hold only 0 and 1",
    ),
    (
        "too many units to enumerate",
        lambda: rbm.log_partition(np.zeros((30, 25)), np.zeros(30), np.zeros(25)),
        ValueError,
        r"log_partition: the exact value enumerates the 2\*\*25 states .* at most 24",
    ),
    (
        "a chain of the wrong width",
        lambda: rbm.cd_gradient(
            np.ones((1, 2)),
            np.zeros((2, 1)),
            np.zeros(2),
            np.zeros(1),
            rng=np.random.default_rng(0),
            chain=np.ones((3, 4)),
        ),
        ValueError,
        r"cd_gradient: chain must have 2 columns \(n_visible of W\); got shape \(3, 4\)",
    ),
    (
        "temperatures that do not end at 1",
        lambda: rbm.ais_log_partition(
            np.zeros((2, 1)),
            np.zeros(2),
            np.zeros(1),
            betas=np.linspace(0.0, 0.9, 5),
            runs=4,
            rng=np.random.default_rng(0),
        ),
        ValueError,
        r"ais_log_partition: betas must increase strictly from exactly 0 to exactly 1",
    ),
    (
        "one AIS run",
        lambda: rbm.ais_log_partition(
            np.zeros((2, 1)),
            np.zeros(2),
            np.zeros(1),
            betas=np.linspace(0.0, 1.0, 5),
            runs=1,
            rng=np.random.default_rng(0),
        ),
        ValueError,
        r"ais_log_partition: runs must be at least 2",
    ),
    (
        "a NaN weight for sampling",
        lambda: rbm.gibbs_step(
            np.ones((1, 2)),
            np.array([[np.nan], [0.0]]),
            np.zeros(2),
            np.zeros(1),
            np.random.default_rng(0),
        ),
        ValueError,
        r"gibbs_step: W must be finite; got nan at index \(0, 0\)",
    ),
    (
        "momentum of 1",
        lambda: rbm.train_rbm(
            np.ones((2, 2)),
            2,
            lr=0.1,
            epochs=1,
            batch_size=1,
            momentum=1.0,
            rng=np.random.default_rng(0),
        ),
        ValueError,
        r"train_rbm: momentum must be in \[0, 1\)",
    ),
    (
        "no generator",
        lambda: rbm.gibbs_step(np.ones((1, 2)), np.zeros((2, 1)), np.zeros(2), np.zeros(1), 0),
        TypeError,
        r"gibbs_step: rng must be a numpy.random.Generator",
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "error", "match"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS]
)
def test_bad_input_is_refused_with_a_message_that_names_it(case, call, error, match) -> None:
    """Each bad call raises a ValueError or TypeError that names the function and the argument.

    Non-binary data, layers that do not fit, too many units to enumerate, temperatures that do
    not run from 0 to 1, NaN weights for a sampler, a generator that is not one.
    """
    with pytest.raises(error, match=match):
        call()


def test_the_exact_sums_hold_past_one_block_of_states() -> None:
    """The exact sums hold when the enumeration spans more than one block of 4096 states.

    With 13 hidden units (8 192 states: two blocks of the enumeration) and 14 visible ones,
    log Z equals the sum over all 16 384 visible vectors, and the exact gradient passes the
    gradient check: the blocks are joined at their own maxima without loss.

    The last hidden unit's bias, +4 or -4, puts the larger block maximum in the second block
    or in the first. Within gamma_2n of the energy gauge + 1.
    """
    generator = np.random.default_rng(8)
    W = generator.standard_normal((14, 13))
    b_v, b_h = generator.standard_normal(14), generator.standard_normal(13)
    for last in (4.0, -4.0):
        b_h[-1] = last
        by_visible = special.logsumexp(-rbm.free_energy(_all_states(14), W, b_v, b_h))
        assert_close(
            rbm.log_partition(W, b_v, b_h),
            by_visible,
            gauge=_energy_gauge(W, b_v, b_h) + 1.0,
            terms=2 * (_terms(W) + 2**14),
        )
    data = (generator.random((3, 14)) < 0.5).astype(float)

    def mean_log_likelihood(W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> float:
        return float(rbm.log_likelihood(data, W, b_v, b_h).mean())

    def backward(d_out: float, W: np.ndarray, b_v: np.ndarray, b_h: np.ndarray) -> tuple:
        return tuple(d_out * g for g in rbm.log_likelihood_gradient(data, W, b_v, b_h))

    assert_gradient(mean_log_likelihood, backward, [W, b_v, b_h])


def test_train_rbm_is_the_loop_its_docstring_describes() -> None:
    """Training replayed by hand from the public functions gives the same RBM bit for bit.

    Three epochs of persistent CD-2 with momentum and weight decay, with the same generator.

    The replay: the chains are rows of V drawn at random; each epoch a permutation cut into
    minibatches; each minibatch one cd_gradient from the chains, g = lambda W - dW (and -db for
    the biases), u = mu u - lr g, theta = theta + u. It starts from an RBM with W of sd 2
    (given as ``init``): from the guide's W of sd 0.01 every chain forgets its state in one
    step, and a trainer that dropped its chains would pass. A second replay checks the
    guide's start: W ~ 0.01 N(0, 1), b_v the clipped log-odds, b_h = 0.
    """
    images = rbm.bars_and_stripes(3)
    lr, mu, lam, size = 0.1, 0.5, 0.01, 4
    generator = np.random.default_rng(7)
    init = (2.0 * generator.standard_normal((9, 5)), generator.standard_normal(9), np.zeros(5))
    W, b_v, b_h, _ = rbm.train_rbm(
        images,
        5,
        lr=lr,
        epochs=3,
        batch_size=size,
        k=2,
        persistent=True,
        momentum=mu,
        weight_decay=lam,
        rng=np.random.default_rng(6),
        init=init,
    )
    generator = np.random.default_rng(6)
    params = list(init)
    chain = images[generator.integers(0, 14, size)]
    velocity = [np.zeros_like(p) for p in params]
    for _ in range(3):
        order = generator.permutation(14)
        for start in range(0, 14, size):
            dW, db_v, db_h, chain = rbm.cd_gradient(
                images[order[start : start + size]], *params, k=2, rng=generator, chain=chain
            )
            for index, grad in enumerate([lam * params[0] - dW, -db_v, -db_h]):
                velocity[index] = mu * velocity[index] - lr * grad
                params[index] = params[index] + velocity[index]
    for trained, replayed in zip((W, b_v, b_h), params, strict=True):
        assert np.array_equal(trained, replayed)
    W, b_v, b_h, _ = rbm.train_rbm(
        images, 5, lr=lr, epochs=1, batch_size=14, rng=np.random.default_rng(6)
    )
    generator = np.random.default_rng(6)
    means = np.clip(images.mean(axis=0), 1e-3, 1.0 - 1e-3)
    params = [0.01 * generator.standard_normal((9, 5)), np.log(means / (1.0 - means)), np.zeros(5)]
    dW, db_v, db_h, _ = rbm.cd_gradient(images[generator.permutation(14)], *params, rng=generator)
    for trained, start, step in zip((W, b_v, b_h), params, (dW, db_v, db_h), strict=True):
        assert np.array_equal(trained, start - lr * -step)
