"""RevOps Lab: the helper package of a Revenue Operations notebook curriculum."""

__version__ = "0.1.0"
