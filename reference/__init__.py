"""deepref's reference implementations: one small module per concept.

Import the concept you need, ``from reference import regression``; each module
reads on its own, and each has a page in the documentation.
"""

__version__ = "0.1.0"
