"""reviewflow: systematic reviews with qualitative evidence synthesis, reproducibly."""

__version__ = "0.1.0"
