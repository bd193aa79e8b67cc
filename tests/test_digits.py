"""Unit tests for hiddenrep.digits: the fixed digit split, the image grid, the training loop, the deep autoencoder."""

from __future__ import annotations

import functools

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from hiddenrep.digits import (N_PIXELS, DeepAutoencoder, Digits, load_digits, read_mnist5k,  # noqa: E402
                              show_images, train)


@functools.lru_cache(maxsize=None)
def digits() -> Digits:
    return load_digits()


def test_read_mnist5k_has_every_row_and_label():
    pixels, labels = read_mnist5k()
    assert pixels.shape == (5000, N_PIXELS) and labels.shape == (5000,)
    assert pixels.dtype.name == "uint8" and int(pixels.max()) == 255
    assert sorted(set(labels.tolist())) == list(range(10))


def test_split_sizes_types_and_range():
    d = digits()
    assert d.x_train.shape == (4000, N_PIXELS) and d.x_test.shape == (1000, N_PIXELS)
    assert d.y_train.shape == (4000,) and d.y_test.shape == (1000,)
    assert d.x_train.dtype == torch.float32 and d.y_train.dtype == torch.int64
    for x in (d.x_train, d.x_test):
        assert float(x.min()) == 0.0 and float(x.max()) == 1.0


def test_split_is_stratified_and_covers_the_file():
    d = digits()
    assert torch.bincount(d.y_train).tolist() == [400] * 10
    assert torch.bincount(d.y_test).tolist() == [100] * 10
    pixels, _ = read_mnist5k()
    # Together the two parts are the whole file, each image exactly once (compare sorted row sums
    # and pixel totals, which a duplicated or dropped row would change).
    everything = torch.cat([d.x_train, d.x_test])
    assert torch.allclose(everything.sum(), torch.tensor(pixels.sum() / 255.0, dtype=torch.float32), rtol=1e-5)
    assert torch.allclose(everything.sum(1).sort().values,
                          torch.from_numpy(pixels.sum(1) / 255.0).float().sort().values, atol=1e-3)


def test_split_is_fixed():
    a, b = digits(), load_digits()
    assert torch.equal(a.x_test, b.x_test) and torch.equal(a.y_train, b.y_train)


def test_pca30_reproduces_the_reference_error():
    from sklearn.decomposition import PCA

    d = digits()
    pca = PCA(n_components=30, svd_solver="full").fit(d.x_train.numpy())
    recon = pca.inverse_transform(pca.transform(d.x_test.numpy()))
    sse = ((d.x_test.numpy() - recon) ** 2).sum(1).mean()
    assert abs(sse - 14.4) <= 0.03 * 14.4, sse


def test_show_images_draws_one_axis_per_cell():
    fig = show_images([torch.rand(3, 784), torch.rand(2, 28, 28)], row_labels=["a", "b"], title="t")
    assert len(fig.axes) == 6
    assert len(fig.axes[5].images) == 0  # the second row has only two images
    assert fig.axes[0].get_ylabel() == "a"


def test_train_lowers_the_loss_and_is_reproducible():
    x = torch.randn(64, 5)

    def run():
        torch.manual_seed(0)
        model = torch.nn.Linear(5, 5)
        history = train(model, lambda m, b: ((m(b) - b) ** 2).mean(), x, epochs=30, batch_size=16, lr=0.05)
        return model, history

    model, history = run()
    _, again = run()
    assert len(history) == 30 and history[-1] < 0.1 * history[0]
    assert history == again
    assert not model.training


def test_deep_autoencoder_starts_as_clipped_pca():
    torch.manual_seed(0)
    x = torch.rand(20, 12)
    mean = x.mean(0)
    components = torch.linalg.svd(x - mean, full_matrices=False).Vh[:3]
    model = DeepAutoencoder(mean, components, hidden=(8, 4))
    with torch.no_grad():
        expected = ((x - mean) @ components.T @ components + mean).clamp(0, 1)
        assert model.encode(x).shape == (20, 3)
        assert torch.allclose(model(x), expected, atol=1e-5)
        assert torch.allclose(model.encode(x), (x - mean) @ components.T, atol=1e-5)
        random = DeepAutoencoder(mean, components, hidden=(8, 4), pca_init=False)
        assert not torch.allclose(random(x), expected, atol=1e-3)
        assert float(model(x * 5).max()) <= 1.0 and float(model(x * 5).min()) >= 0.0


@pytest.mark.parametrize("pca_init", [True, False])
def test_deep_autoencoder_trains(pca_init):
    torch.manual_seed(1)
    x = torch.rand(32, 10)
    components = torch.linalg.svd(x - x.mean(0), full_matrices=False).Vh[:2]
    model = DeepAutoencoder(x.mean(0), components, hidden=(16,), pca_init=pca_init)
    history = train(model, lambda m, b: ((m(b) - b) ** 2).sum(1).mean(), x, epochs=40, batch_size=8, lr=1e-2)
    assert history[-1] < history[0]
