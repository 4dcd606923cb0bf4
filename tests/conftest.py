"""Hypothesis profiles, and the JIT warmed up before any timed example.

Profiles, chosen by the environment variable ``HYPOTHESIS_PROFILE``:

* ``dev`` (the default): few examples, for the edit-test loop;
* ``ci``: what CI runs, derandomized so that a run is reproducible;
* ``thorough``: many examples, for a nightly run or a release.

Deadlines stay on in every profile: a law that suddenly takes ten times
longer is a finding. (A run as plain Python, ``NUMBA_DISABLE_JIT=1``, scales
them by the measured slowdown of plain Python, ``PLAIN_PYTHON_SLOWDOWN``.) Compiling a
Numba kernel takes far longer than running it, so every kernel is compiled
(or loaded from its on-disk cache) once, by the session fixture below, before
the first example is timed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from numerics import assert_close, catalog
from reference import batchnorm, dbn, perceptron, pooling, rbm, regression

settings.register_profile("dev", max_examples=25, deadline=timedelta(milliseconds=500))
settings.register_profile(
    "ci",
    max_examples=100,
    derandomize=True,
    print_blob=True,
    deadline=timedelta(milliseconds=1000),
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=1000,
    deadline=timedelta(milliseconds=2000),
    suppress_health_check=[HealthCheck.too_slow],
)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
#: How much slower the slowest law's example runs as plain Python than compiled, measured: the
#: largest drawn twenty-step GRU's gradient check takes 14 ms compiled and 322 ms as plain
#: Python (23 times), which missed the 500 ms deadline. There is no JIT to warm up there.
PLAIN_PYTHON_SLOWDOWN = 25
if os.environ.get("NUMBA_DISABLE_JIT") == "1":
    # the same deadline, in the units of plain Python: a law ten times slower is still a finding
    profile = settings.get_profile(_PROFILE)
    assert profile.deadline is not None  # every profile has one (see above)
    settings.register_profile(
        f"{_PROFILE}-plain", profile, deadline=profile.deadline * PLAIN_PYTHON_SLOWDOWN
    )
    _PROFILE = f"{_PROFILE}-plain"
settings.load_profile(_PROFILE)

_WARM_UP_SECONDS: list[float] = []

ROOT = Path(__file__).resolve().parents[1]


def _drop_kernels_compiled_against_other_helpers() -> None:
    """Empty Numba's cache of the reference's kernels when a shared helper module changed.

    Numba keys a kernel's cache on the kernel's own source file: a kernel in ``rnn.py`` that
    calls a compiled helper of ``_recurrent.py`` is loaded from the cache unchanged after
    the helper is edited, so the laws would judge the old helper. (Planting a bug in
    ``_recurrent.passes`` showed it: the laws passed until the cache was emptied.) A digest
    of the helpers ``reference/_*.py`` kept beside the cache says when to empty it.
    """
    helpers = sorted((ROOT / "reference").glob("_*.py"))
    digest = hashlib.sha256(b"".join(path.read_bytes() for path in helpers)).hexdigest()
    directory = os.environ.get("NUMBA_CACHE_DIR")
    cache = Path(directory) if directory else ROOT / "reference" / "__pycache__"
    stamp = cache / "deepref-helpers.sha256"
    if stamp.is_file() and stamp.read_text(encoding="utf-8") == digest:
        return
    for compiled in [*cache.rglob("*.nbi"), *cache.rglob("*.nbc")]:
        compiled.unlink()
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest, encoding="utf-8")


def _warm_up_calls() -> list[Callable[[], object]]:
    """One call of every kernel on a tiny input, each of which compiles it or loads it."""
    calls: list[Callable[[], object]] = []
    for entry in catalog.OPS.values():
        for case in (entry.sample, *(case for _, case in entry.cases())):

            def forward_and_backward(entry: Any = entry, case: Any = case) -> None:
                example = entry.prepared(case)
                output = entry.call_forward(example)
                entry.call_backward(np.ones_like(output) if np.ndim(output) else 1.0, example)

            calls.append(forward_and_backward)
    X = np.array([[1.0, 2.0], [3.0, 5.0], [4.0, 1.0]])
    calls += [
        lambda: regression.fit_sgd(
            X, X[:, 0], lr=0.01, batch_size=2, epochs=1, rng=np.random.default_rng(0)
        ),
        lambda: perceptron.perceptron_learn(
            X, np.array([0.0, 1.0, 1.0]), max_epochs=1, rng=np.random.default_rng(0)
        ),
        lambda: perceptron.threshold_network(X, perceptron.xor_network()),
    ]
    # the 2x2 fast path of pooling (the catalog's samples take the general kernels)
    maps = np.arange(16.0).reshape(1, 1, 4, 4)
    calls += [
        lambda: pooling.max_pool2d_backward(pooling.max_pool2d(maps, 2), maps, 2),
        lambda: pooling.avg_pool2d_backward(pooling.avg_pool2d(maps, 2), maps, 2),
    ]
    # batch normalisation of (N, C, H, W) input (the catalog's sample is (N, F))
    images, channels = np.arange(16.0).reshape(2, 2, 2, 2), np.ones(2)
    calls += [
        lambda: batchnorm.batchnorm_backward(images, images, channels, channels),
        lambda: batchnorm.batchnorm_infer(images, channels, channels, channels, channels),
    ]
    # the RBM's exact sums and samplers (the catalog holds only its free energy)
    visible = np.array([[1.0, 0.0, 1.0]])
    W, b_v, b_h = np.full((3, 2), 0.5), np.zeros(3), np.zeros(2)
    calls += [
        lambda: rbm.log_likelihood_gradient(visible, W, b_v, b_h),
        lambda: rbm.pseudo_log_likelihood(visible, W, b_v, b_h),
        lambda: rbm.cd_gradient(visible, W, b_v, b_h, rng=np.random.default_rng(0)),
        lambda: rbm.ais_log_partition(
            W, b_v, b_h, betas=np.array([0.0, 0.5, 1.0]), runs=2, rng=np.random.default_rng(0)
        ),
    ]

    # wake-sleep (the training loop, one step, the dreams, the exact log-likelihood), up-down
    def wake_sleep() -> None:
        generator = np.random.default_rng(0)
        machine, _ = dbn.train_wake_sleep(visible, [3, 2], lr=0.1, steps=1, rng=generator)
        dbn.wake_sleep_step(machine, visible, lr=0.1, rng=generator)
        dbn.sample(machine, 1, rng=generator)
        dbn.log_likelihood(machine, visible)

    def up_down() -> None:
        net = dbn.untie([(W, b_v, b_h), (np.full((2, 2), 0.5), b_h, b_h)])
        dbn.train_up_down(net, visible, lr=0.1, steps=1, rng=np.random.default_rng(0))

    return [*calls, wake_sleep, up_down]


def _warm_up(*, from_the_end: bool = False) -> None:
    """Call every kernel once on a tiny input, so that it is compiled or loaded from cache."""
    calls = _warm_up_calls()
    for call in reversed(calls) if from_the_end else calls:
        call()


#: What the helper process of the warm-up runs: the same calls, from the last one back.
_HELPER = (
    "import sys; sys.path.insert(0, sys.argv[1]); import conftest; "
    "conftest._warm_up(from_the_end=True)"
)


@pytest.fixture(scope="session", autouse=True)
def warm_jit() -> None:
    """Compile (or load) every kernel before the first timed example, on two cores.

    A second process makes the same calls from the other end of the list; each saves what it
    compiles to Numba's on-disk cache, where the other one finds it, so from a cold cache the
    two meet in the middle in about half the time (a minute and a half for one). With a warm
    cache both only load.
    """
    _drop_kernels_compiled_against_other_helpers()
    start = time.perf_counter()
    helper = None
    if os.environ.get("NUMBA_DISABLE_JIT") != "1":  # as plain Python there is nothing to compile
        helper = subprocess.Popen(
            [sys.executable, "-c", _HELPER, str(Path(__file__).parent)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
    _warm_up()
    if helper is not None:
        _, errors = helper.communicate()
        if helper.returncode != 0:
            raise RuntimeError(f"the warm-up's helper process failed:\n{errors}")
    _WARM_UP_SECONDS.append(time.perf_counter() - start)


#: Set by ``test_catalog.py``'s timing law for the run it starts: seconds a hostile call may take.
CALL_LIMIT_VARIABLE = "DEEPREF_CALL_LIMIT"

#: A first call may compile a specialisation the warm-up did not reach: a few seconds (the
#: warm-up compiles every kernel in about 90 s from a cold cache in one process, so the slowest
#: of them takes some seconds), where a call that loops over 10**11 taps runs for minutes.
_FIRST_CALL_LIMIT = 30.0


@pytest.fixture
def bounded() -> Callable[[Callable[[], object], str], object]:
    """Run a call and return its result; under a time limit when the timing law asks for one.

    With ``DEEPREF_CALL_LIMIT`` set (in the process that ``test_catalog.py`` starts), each call
    runs twice: once to compile what it needs, within half a minute, then again within the
    limit. The limit is a timer signal left at its default action, which ends the process
    whatever it is running (a compiled loop holds the interpreter lock, so no Python handler
    could); the call's description, written to stderr just before, says which call it was.
    """
    limit = os.environ.get(CALL_LIMIT_VARIABLE)
    if limit is None:
        return lambda call, where: call()

    def timed(call: Callable[[], object], where: str) -> object:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        print(f"\ncalling {where}", file=sys.stderr, flush=True)
        signal.setitimer(signal.ITIMER_REAL, _FIRST_CALL_LIMIT)
        with contextlib.suppress(Exception):  # the timed call below raises it again, to be judged
            call()
        signal.setitimer(signal.ITIMER_REAL, float(limit))  # replaces the first timer
        try:
            return call()
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0.0)

    return timed


class OnnxVectors:
    """ONNX's node test vectors of the recurrent operators, run through ours (the fixture below).

    ONNX's generators compute in NumPy at the vectors' precision, float32: each output must
    agree within gamma_{2 terms} in float32 of its first-order gauge (the catalog entry's,
    direction by direction), computed in float64 from the same float32 inputs.
    """

    @staticmethod
    def vectors(op_type: str) -> list[tuple[str, dict, list, list, list]]:
        """(name, attributes, inputs by position (None where absent), outputs asked, outputs)."""
        onnx_cases = pytest.importorskip(
            "onnx.backend.test.case.node",
            reason="ONNX's node vectors need the onnx package (the test extra installs it)",
        )
        from onnx import helper

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ONNX's generators divide by zero on purpose
            cases = onnx_cases.collect_testcases()
        found = []
        for case in cases:
            nodes = case.model.graph.node
            if len(nodes) != 1 or nodes[0].op_type != op_type:
                continue
            ((inputs, outputs),) = case.data_sets
            attrs = {a.name: helper.get_attribute_value(a) for a in nodes[0].attribute}
            attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
            named = dict(zip([n for n in nodes[0].input if n], inputs, strict=True))
            given = [named.get(n) if n else None for n in nodes[0].input]
            asked = [n != "" for n in nodes[0].output]
            found.append((case.name, attrs, given, asked, outputs))
        return found

    @staticmethod
    def initial(value: Any, d: int, layout: int, count: int, hidden: int) -> np.ndarray:
        """Direction d's initial state (N, H) from ONNX's input, zeros when absent."""
        if value is None:
            return np.zeros((count, hidden))
        return value[d] if layout == 0 else value[:, d]

    def gauges(
        self,
        native: Callable[..., np.ndarray],
        states: int,
        X: np.ndarray,
        *inputs: Any,
        **attrs: Any,
    ) -> list[np.ndarray]:
        """The gauges of Y and the last states, from ``native``'s stacked gauge per direction.

        ``native(x, d, reverse, self, inputs, attrs)`` gives direction d's (T + states, N, H).
        """
        layout = attrs.get("layout", 0)
        x = X if layout == 0 else X.transpose(1, 0, 2)
        direction = attrs.get("direction", "forward")
        reverses = {"forward": [False], "reverse": [True], "bidirectional": [False, True]}
        steps = x.shape[0]
        each = [native(x, d, rev, self, inputs, attrs) for d, rev in enumerate(reverses[direction])]
        Y = np.stack([g[:steps] for g in each], axis=1)
        lasts = [np.stack([g[steps + k] for g in each]) for k in range(states)]
        if layout == 1:
            Y = Y.transpose(2, 0, 1, 3)
            lasts = [last.transpose(1, 0, 2) for last in lasts]
        return [Y, *lasts]

    def check(
        self,
        op_type: str,
        run: Callable[..., Any],
        native: Callable[..., np.ndarray],
        states: int,
        terms: int,
    ) -> list[str]:
        """Run every vector of ``op_type`` through ``run``; the names of those that passed."""
        names = []
        for name, attrs, inputs, asked, outputs in self.vectors(op_type):
            arguments = [
                v.astype(np.float64) if v is not None and v.dtype.kind == "f" else v for v in inputs
            ]
            got = run(*arguments, **attrs)
            bounds = self.gauges(native, states, *arguments, **attrs)
            present = [(g, b) for g, b, wanted in zip(got, bounds, asked, strict=False) if wanted]
            assert len(present) == len(outputs), name
            for (ours, bound), theirs in zip(present, outputs, strict=True):
                assert ours.shape == theirs.shape, name
                assert_close(
                    ours,
                    theirs.astype(np.float64),
                    gauge=bound,
                    terms=2 * terms,
                    dtype=np.float32,
                    err_msg=name,
                )
            names.append(name)
        return names


@pytest.fixture
def onnx_vectors() -> OnnxVectors:
    """ONNX's node vectors of RNN, LSTM and GRU, and how to check ours against them."""
    return OnnxVectors()


def pytest_configure(config: pytest.Config) -> None:
    for concept, modules in catalog.CONCEPTS.items():
        names = ", ".join(f"reference.{module}" for module in modules)
        config.addinivalue_line("markers", f"{concept}: every law of {concept} ({names})")
    config.addinivalue_line("markers", "numerics: the laws of the verification toolkit itself")
    config.addinivalue_line(
        "markers",
        "witnesses: the checker judging other implementations (numerics.candidates), which run "
        "no kernel of deepref's but to confirm a point (CI's bounds-checked and plain-Python "
        "runs leave them to the compiled one)",
    )
    config.addinivalue_line(
        "markers",
        "experiment: a training run of hundreds of steps, a law about what learning reaches "
        "(compiled it takes seconds; as plain Python, NUMBA_DISABLE_JIT=1, minutes)",
    )


def _concept(item: pytest.Item) -> str | None:
    """The concept a collected test checks: by its file, its catalog op or its module."""
    path = Path(str(item.fspath))
    if path.parent.name == "reference":
        return catalog.concept_of(path.stem) if not path.stem.startswith("_") else None
    if path.parent.name == "numerics" or path.stem.startswith("test_numerics_"):
        return "numerics"
    stem = path.stem.removeprefix("test_")
    if stem in catalog.CONCEPTS:
        return stem
    name = getattr(item, "callspec", None) and item.callspec.params.get("name")
    return catalog.get(name).concept if name in catalog.OPS else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test with its concept, so that ``pytest -m conv`` runs all the laws of conv."""
    for item in items:
        concept = _concept(item)
        if concept:
            item.add_marker(getattr(pytest.mark, concept))


def pytest_report_header() -> str:
    profile = settings.get_current_profile_name()
    jit = "disabled (NUMBA_DISABLE_JIT=1)" if os.environ.get("NUMBA_DISABLE_JIT") == "1" else "on"
    checks = "on" if os.environ.get("NUMBA_BOUNDSCHECK") == "1" else "off"
    return f"hypothesis profile: {profile}; numba JIT: {jit}; bounds checks: {checks}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _WARM_UP_SECONDS:
        terminalreporter.write_line(
            f"JIT warm-up (compiling or loading every kernel): {_WARM_UP_SECONDS[0]:.2f} s"
        )
