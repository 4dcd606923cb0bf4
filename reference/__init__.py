"""deepref's reference implementations: one small module per concept.

Import the concept you need, ``from reference import regression``; each module
reads on its own, and each has a page in the documentation.

:class:`NonFiniteLossError` (a ``FloatingPointError``) is what every training
loop raises when its loss stops being finite: it names the step and the
learning rate.
"""

from reference._validation import NonFiniteLossError

__version__ = "0.1.0"

__all__ = ["NonFiniteLossError"]
