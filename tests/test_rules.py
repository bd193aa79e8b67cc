"""The "by hand" bans the hidden tests share (autograder/rules.py) catch real uses and only those."""

from types import SimpleNamespace

import pytest
import torch

from autograder.rules import check_by_hand, check_close, forbidden_uses

AUTOGRAD = {"autograd", "backward", "grad"}

ANSWER = '''
from torch import autograd as ag

def helper(x):
    return ag.grad(x.sum(), x)

def answer(x):
    grad = 2 * x  # an honest variable name
    return helper(x)

def scratch(x):
    x.sum().backward()  # a check outside the answer costs nothing
'''


def test_an_alias_reached_through_a_helper_is_found():
    assert forbidden_uses(ANSWER, "answer", AUTOGRAD) == ["ag", "grad"]


def test_a_variable_named_like_a_ban_and_a_scratch_cell_cost_nothing():
    honest = "def answer(x):\n    grad = 2 * x\n    return grad\n"
    assert forbidden_uses(honest + "\ndef scratch(x):\n    x.backward()\n", "answer", AUTOGRAD) == []


def test_bare_names_catch_a_builtin():
    source = "def answer(path):\n    return open(path).read()\n"
    assert forbidden_uses(source, "answer", {"open"}) == []
    assert forbidden_uses(source, "answer", {"open"}, bare_names=True) == ["open"]


def test_source_that_does_not_parse_is_searched_as_text():
    assert forbidden_uses("def answer(x):\n    return x.backward(\n", "answer", AUTOGRAD) == ["backward"]


def test_check_by_hand_names_the_function_and_what_it_used():
    student = SimpleNamespace(source=ANSWER)
    with pytest.raises(AssertionError, match="answer must compute it by hand, but it uses ag, grad"):
        check_by_hand(student, "answer", AUTOGRAD, "compute it by hand")


def test_check_close_is_relative_to_each_entry():
    expected = torch.tensor([1000.0, 0.001])
    check_close("f(x)", expected * (1 + 1e-5), expected, rtol=1e-4)
    with pytest.raises(AssertionError, match=r"f\(x\): 1 of 2 entries differ.*index \(1,\)"):
        check_close("f(x)", torch.tensor([1000.0, 0.002]), expected, rtol=1e-4)
