"""``topologylayer.util`` names."""

from . import construction, process

__all__ = ["construction", "process"]
