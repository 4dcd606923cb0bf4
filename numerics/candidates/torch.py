"""PyTorch's functional ops in deepref's signatures (importing this needs PyTorch).

Each forward converts its arrays to tensors of their own precision (float64,
float32, float16, or bfloat16 from ``ml_dtypes``; anything else becomes float64)
and calls ``torch.nn.functional``; each backward runs the same call under autograd
with ``d_out`` as the output's gradient. Results come back in the same precision.
Explicit pads are resolved by the attributes' definitions
(:func:`numerics.catalog.independent.pads_and_size`) and applied with ``functional.pad``
where PyTorch's own ``padding`` cannot say them (asymmetric or "same_lower").
An attribute PyTorch has no way to express (dilated average pooling, uneven
pooling pads) raises ``NotImplementedError`` naming it.

Arrays reach PyTorch as C-ordered copies. Passed in their own strides, they
met a bug: PyTorch 2.13's ``batch_norm`` backward on CPU, for an input whose
strides also read as channels-last (N = H = 1, channel stride 1), gives d gamma
and d beta to the wrong channel (``tests/test_numerics_verdicts.py`` keeps the
case, and the gradient checker's verdict on it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from numerics.catalog.independent import pads_and_size

__all__ = ["OPS"]


_TORCH_DTYPES = {"float16": torch.float16, "float32": torch.float32, "bfloat16": torch.bfloat16}


def _tensor(value: Any) -> torch.Tensor:
    """A tensor of a C-ordered copy (see the module's note on layouts), in its own precision."""
    array = np.asarray(value)
    precision = _TORCH_DTYPES.get(array.dtype.name, torch.float64)
    # through float64, which holds every value of the three narrower formats exactly
    return torch.from_numpy(np.array(array, dtype=np.float64, order="C")).to(precision)


def _numpy(tensor: torch.Tensor) -> Any:
    """A tensor's values as a NumPy array (a scalar for a 0-d one), in the same precision."""
    values = tensor.detach()
    if values.dtype == torch.bfloat16:
        import ml_dtypes

        array = values.to(torch.float64).numpy().astype(ml_dtypes.bfloat16)
    else:
        array = values.numpy()
    return array[()] if array.ndim == 0 else array


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if np.ndim(value) == 0 else (int(value[0]), int(value[1]))


def _grad(tensor: torch.Tensor) -> np.ndarray:
    """The gradient autograd left in a leaf (zeros where the output did not depend on it)."""
    grad = tensor.grad
    return _numpy(torch.zeros_like(tensor) if grad is None else grad)


def _differentiated(
    call: Callable[..., torch.Tensor], differentiable: tuple[int, ...]
) -> Callable[..., Any]:
    """The backward of ``call(*inputs, **attrs)``: autograd's gradient of <d_out, output>."""

    def backward(d_out: Any, *inputs: Any, **attrs: Any) -> Any:
        tensors = [
            _tensor(value).requires_grad_() if i in differentiable else value
            for i, value in enumerate(inputs)
        ]
        output = call(*tensors, **attrs)
        torch.autograd.backward([output], [_tensor(d_out).to(output.dtype)])
        grads = tuple(_grad(tensors[i]) for i in differentiable)
        return grads[0] if len(grads) == 1 else grads

    return backward


def _forward(call: Callable[..., torch.Tensor], differentiable: tuple[int, ...]) -> Any:
    def forward(*inputs: Any, **attrs: Any) -> Any:
        tensors = [_tensor(v) if i in differentiable else v for i, v in enumerate(inputs)]
        with torch.no_grad():
            output = call(*tensors, **attrs)
        return _numpy(output)

    return forward


def _pair_of(call: Callable[..., torch.Tensor], *differentiable: int) -> tuple[Any, Any]:
    return _forward(call, differentiable), _differentiated(call, differentiable)


def _targets(z: torch.Tensor, labels: Any) -> torch.Tensor:
    labels = np.asarray(labels)
    if labels.ndim == 1:
        return functional.one_hot(torch.from_numpy(labels.astype(np.int64)), z.shape[1]).to(z.dtype)
    return _tensor(labels)


def _cross_entropy(z: torch.Tensor, labels: Any) -> torch.Tensor:
    return functional.cross_entropy(z, _targets(z, labels))


def _batchnorm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, *, eps: float) -> Any:
    return functional.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def _batchnorm_forward(x: Any, gamma: Any, beta: Any, *, eps: float = 1e-5) -> Any:
    """(y, mean, var) as the reference returns them: the batch's own statistics."""
    axes = (0,) if np.ndim(x) == 2 else (0, 2, 3)
    with torch.no_grad():
        y = _batchnorm(_tensor(x), _tensor(gamma), _tensor(beta), eps=eps)
    xt = _tensor(x)
    return _numpy(y), _numpy(xt.mean(dim=axes)), _numpy(xt.var(dim=axes, unbiased=False))


def _explicit_pads(x: torch.Tensor, kernel: tuple[int, int], attrs: dict[str, Any]) -> list[int]:
    """functional.pad's (left, right, top, bottom) for the attributes' padding."""
    strides, dilations = _pair(attrs.get("stride", 1)), _pair(attrs.get("dilation", 1))
    padding = attrs.get("padding", "valid")
    (top, bottom, _), (left, right, _) = (
        pads_and_size(x.shape[2 + a], kernel[a], strides[a], dilations[a], padding, a)
        for a in range(2)
    )
    return [left, right, top, bottom]


def _conv2d(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None = None, **attrs: Any) -> Any:
    padded = functional.pad(x, _explicit_pads(x, (w.shape[2], w.shape[3]), attrs))
    return functional.conv2d(
        padded,
        w,
        b,
        stride=_pair(attrs.get("stride", 1)),
        dilation=_pair(attrs.get("dilation", 1)),
        groups=attrs.get("groups", 1),
    )


def _pool_padding(kernel: tuple[int, int], padding: Any) -> tuple[int, int]:
    """PyTorch's symmetric padding, or NotImplementedError for what it cannot say."""
    if np.ndim(padding) == 0:
        pads = (int(padding), int(padding))
    elif all(before == after for before, after in padding):
        pads = (int(padding[0][0]), int(padding[1][0]))
    else:
        raise NotImplementedError(f"PyTorch's pooling pads both sides alike; got {padding}")
    if any(2 * pad > size for pad, size in zip(pads, kernel, strict=True)):
        raise NotImplementedError(f"PyTorch's pooling pads at most half the kernel; got {pads}")
    return pads


def _max_pool2d(x: torch.Tensor, kernel: Any, **attrs: Any) -> torch.Tensor:
    kernels = _pair(kernel)
    return functional.max_pool2d(
        x,
        kernels,
        stride=kernels if attrs.get("stride") is None else _pair(attrs["stride"]),
        padding=_pool_padding(kernels, attrs.get("padding", 0)),
        dilation=_pair(attrs.get("dilation", 1)),
        ceil_mode=attrs.get("ceil_mode", False),
    )


def _avg_pool2d(x: torch.Tensor, kernel: Any, **attrs: Any) -> torch.Tensor:
    kernels = _pair(kernel)
    if _pair(attrs.get("dilation", 1)) != (1, 1):
        raise NotImplementedError("PyTorch's avg_pool2d has no dilation")
    return functional.avg_pool2d(
        x,
        kernels,
        stride=kernels if attrs.get("stride") is None else _pair(attrs["stride"]),
        padding=_pool_padding(kernels, attrs.get("padding", 0)),
        ceil_mode=attrs.get("ceil_mode", False),
        count_include_pad=attrs.get("count_include_pad", True),
    )


#: Catalog name -> (forward, backward), in the catalog entries' signatures.
OPS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "log_softmax": _pair_of(lambda x, *, axis=-1: functional.log_softmax(x, dim=axis), 0),
    "softmax": _pair_of(lambda x, *, axis=-1: functional.softmax(x, dim=axis), 0),
    "cross_entropy_with_logits": _pair_of(_cross_entropy, 0),
    "binary_cross_entropy_with_logits": _pair_of(
        lambda z, y: functional.binary_cross_entropy_with_logits(z, _tensor(y)), 0
    ),
    "squared_error": _pair_of(lambda y_hat, y: functional.mse_loss(y_hat, _tensor(y)), 0),
    "sigmoid": _pair_of(torch.sigmoid, 0),
    "tanh": _pair_of(torch.tanh, 0),
    "batchnorm_train": (_batchnorm_forward, _differentiated(_batchnorm, (0, 1, 2))),
    "dense": _pair_of(lambda x, W, b: functional.linear(x, W.T, b), 0, 1, 2),
    "linear": _pair_of(lambda X, w, b: X @ w + b, 0, 1, 2),
    "conv2d": _pair_of(_conv2d, 0, 1, 2),
    "conv2d_direct": _pair_of(_conv2d, 0, 1, 2),
    "max_pool2d": _pair_of(_max_pool2d, 0),
    "avg_pool2d": _pair_of(_avg_pool2d, 0),
}
