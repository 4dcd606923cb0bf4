"""Other implementations of the catalog's ops, in deepref's signatures: witnesses for the checker.

Each module holds ``OPS``, a mapping from catalog names to ``(forward, backward)``
callables that take the arguments the catalog entry's ``forward`` and ``backward``
take (``forward(*inputs, **attrs)``, ``backward(d_out, *inputs, **attrs)``) and
return what they return:

* :mod:`numerics.candidates.textbook`: each op written the way tutorials and other
  libraries write it (log_softmax as ``x - m - log sum exp(x - m)``, batch norm with
  ``np.var``, convolution and pooling by loops over the kernel's taps), correct but
  computed by other algorithms than the reference's;
* ``numerics.candidates.torch``: PyTorch's functional ops, where PyTorch is installed.

Both compute in their inputs' precision (float64 or float32; the PyTorch ones also
float16 and bfloat16), so the checker judges them in float32 as well.

The checker is held to them: a correct backward is never judged "failed"
(``tests/test_numerics_verdicts.py``).
"""
