"""Assertions for exercise tests that explain what went wrong, in words a student can act on.

Visible and hidden tests use these so that a failing check names the function, the input and the
difference, instead of a bare ``AssertionError``.
"""

from __future__ import annotations

from typing import Any

import torch


def check_equal(what: str, actual: Any, expected: Any) -> None:
    """Fail with a readable message unless ``actual == expected``."""
    if actual != expected:
        raise AssertionError(f"{what}: got {_short(actual)}, expected {_short(expected)}")


def check_tensor(what: str, actual: Any, expected: torch.Tensor, *, atol: float = 1e-6,
                 check_dtype: bool = True) -> None:
    """Fail unless ``actual`` is a tensor with ``expected``'s shape (and dtype) and values within ``atol``."""
    if not isinstance(actual, torch.Tensor):
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(actual).__name__}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"{what}: shape {tuple(actual.shape)}, expected {tuple(expected.shape)}")
    if check_dtype and actual.dtype != expected.dtype:
        raise AssertionError(f"{what}: dtype {actual.dtype}, expected {expected.dtype}")
    if expected.dtype.is_floating_point:
        bad = ~torch.isclose(actual.to(expected.dtype), expected, atol=atol, rtol=0)
    else:
        bad = actual.to(expected.dtype) != expected
    if bad.any():
        where = tuple(int(i) for i in bad.nonzero()[0])
        raise AssertionError(f"{what}: {int(bad.sum())} of {expected.numel()} entries differ, first at "
                             f"index {where}: got {actual[where].item()}, expected {expected[where].item()}")


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + " ..."
