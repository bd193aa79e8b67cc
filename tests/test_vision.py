"""Unit tests for hiddenrep.vision: the pretrained CNN, its inputs and the Animal-MNIST loader."""

from __future__ import annotations

import gzip
import pickle

import numpy as np
import pytest
import torch

from hiddenrep.vision import (ANIMAL_CLASSES, EfficientNetLite0, imagenet_classes,
                              load_animal_mnist, load_efficientnet_lite0, load_numpy_pickle,
                              load_photo, preprocess)


@pytest.fixture(scope="module")
def model() -> EfficientNetLite0:
    return load_efficientnet_lite0()


def test_pretrained_network_recognises_the_packaged_photos(model):
    names = imagenet_classes()
    assert len(names) == 1000 and names[285] == "Egyptian cat" and names[967] == "espresso"
    batch = torch.stack([preprocess(load_photo("photo_chelsea")),
                         preprocess(load_photo("photo_coffee"))])
    with torch.no_grad():
        top = model(batch).argmax(dim=1).tolist()
    assert [names[i] for i in top] == ["Egyptian cat", "espresso"]
    assert not model.training


def test_feature_maps_have_the_expected_shapes(model):
    x = torch.zeros(1, 3, 224, 224)
    with torch.no_grad():
        assert model.features(x, upto=0).shape == (1, 16, 112, 112)
        assert model.features(x, upto=4).shape == (1, 40, 28, 28)
        assert model.features(x, upto=15).shape == (1, 320, 7, 7)
        assert model.features(x).shape == (1, 1280, 7, 7)
        assert model.embed(x).shape == (1, 1280)
    assert len(model.blocks) == 16


def test_same_padding_handles_odd_sizes():
    # TF "same" padding: output side = ceil(input side / 32) whatever the input size.
    with torch.no_grad():
        out = EfficientNetLite0().eval().features(torch.zeros(1, 3, 97, 61))
    assert out.shape == (1, 1280, 4, 2)


def test_preprocess_accepts_grey_uint8_and_rgba():
    grey = np.full((30, 50), 255, dtype=np.uint8)
    rgba = np.ones((50, 30, 4), dtype=np.float32)
    for image in (grey, rgba):
        x = preprocess(image, size=32)
        assert x.shape == (3, 32, 32) and x.dtype == torch.float32
        # white normalises to (1 - mean) / std in every channel
        expected = (1 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])
        assert torch.allclose(x[:, 16, 16], expected, atol=1e-4)
    assert preprocess(grey, size=32, crop=False).shape == (3, 32, 32)


def test_photos_are_rgb_floats_in_unit_range():
    for name in ("photo_camera", "photo_rocket"):  # a grey PNG and a JPEG
        image = load_photo(name)
        assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.float32
        assert 0.0 <= image.min() and image.max() <= 1.0


def test_animal_mnist_has_ten_balanced_classes():
    images, labels = load_animal_mnist()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.int64 and np.bincount(labels).tolist() == [1000] * 10
    assert len(ANIMAL_CLASSES) == 10


class _Evil:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_numpy_pickles_refuse_other_globals(tmp_path):
    good, bad = tmp_path / "good.gz", tmp_path / "bad.gz"
    with gzip.open(good, "wb") as f:
        pickle.dump(np.arange(5), f)
    with gzip.open(bad, "wb") as f:
        pickle.dump(_Evil(), f)
    assert load_numpy_pickle(good).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(pickle.UnpicklingError):
        load_numpy_pickle(bad)
