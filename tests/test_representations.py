"""Unit tests of hiddenrep.representations: feature extraction, linear probes, receptive fields."""

import pytest
import torch
from torch import nn

from hiddenrep.representations import layer_outputs, linear_probe_accuracy, receptive_field_box


def small_net() -> nn.Sequential:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Sequential(nn.Linear(4, 2), nn.ReLU()))


def test_layer_outputs_match_the_model_and_leave_no_hooks():
    net, x = small_net(), torch.randn(5, 3)
    outputs = layer_outputs(net, x)
    assert list(outputs) == ["0", "1", "2.0", "2.1"]  # every leaf, in call order
    assert torch.equal(outputs["1"], net[:2](x))
    assert torch.equal(outputs["2.1"], net(x))
    assert not outputs["2.1"].requires_grad
    assert all(not m._forward_hooks for m in net.modules())


def test_layer_outputs_selected_names_and_errors():
    net, x = small_net(), torch.randn(2, 3)
    assert list(layer_outputs(net, x, ["2"])) == ["2"]
    with pytest.raises(KeyError):
        layer_outputs(net, x, ["nope"])
    with pytest.raises(RuntimeError):
        layer_outputs(net, torch.randn(2, 7))  # wrong input size: hooks must still go away
    assert all(not m._forward_hooks for m in net.modules())


def test_linear_probe_separates_separable_classes_and_not_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 5, generator=g)
    y = (x[:, 0] - x[:, 2] > 0).long()
    assert linear_probe_accuracy(x[:300], y[:300], x[300:], y[300:]) > 0.95
    noise = torch.randint(0, 2, (400,), generator=g)
    assert linear_probe_accuracy(x[:300], noise[:300], x[300:], noise[300:]) < 0.7


def test_receptive_field_box_of_a_conv_stack():
    # two 3x3 convolutions (stride 1) then a 2x2 average pool: a unit sees 6x6 pixels
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Conv2d(2, 2, 3), nn.AvgPool2d(2))
    net[0].weight.data.abs_()
    net[2].weight.data.abs_()
    net[0].bias.data.fill_(0.1)
    assert receptive_field_box(net, (1, 20, 20), 3, 4) == (6, 11, 8, 13)

