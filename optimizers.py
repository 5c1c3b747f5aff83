"""The chapter's other spelling of :mod:`optimizer`: ``from optimizers import SGD``."""

from optimizer import SGD, Adam, Optimizer  # noqa: F401

__all__ = ["Optimizer", "SGD", "Adam"]
