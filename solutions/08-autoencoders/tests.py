"""Hidden tests of 08-autoencoders: run by the trusted grader, never shipped to students.

Each ``test_<part>(student, reference)`` checks one graded part: ``student.f(...)`` runs the
student's function in the sandbox, ``reference.f`` is the reference solution (see
``autograder/harness.py``). Every check compares with the reference on seeded random inputs and,
where one exists, with an independent oracle (numpy, scipy, ``torch.distributions``). What must
happen next to the student's objects (listing a module's layers, seeding, ``backward()``) happens
in a probe, which only gathers facts; the checks are made here.
"""

import functools

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from autograder.rules import check_by_hand
from hiddenrep.testing import check_equal, check_tensor


# Closed-form solutions that part 6 ("train, do not solve") rules out.
CLOSED_FORMS = {"svd", "svdvals", "svd_lowrank", "pca_lowrank", "eig", "eigh", "eigvals", "eigvalsh",
                "qr", "lstsq", "pinv", "inv", "solve", "cholesky", "pca_fit", "PCA", "TruncatedSVD"}
# What parts 4 and 5 ("do not use torch.distributions") rule out: the module and what
# it exports, which the tests use as oracles.
DISTRIBUTIONS = {"distributions", "Distribution", "Normal", "MultivariateNormal",
                 "LowRankMultivariateNormal", "Independent", "Bernoulli",
                 "ContinuousBernoulli", "RelaxedBernoulli", "kl_divergence", "rsample",
                 "log_prob"}


# --- helpers (trusted side) -------------------------------------------------------------------


@functools.lru_cache(maxsize=None)
def shrunk_digits(first: int, count: int) -> torch.Tensor:
    """Training digits first .. first + count - 1, average-pooled to 14 x 14 and flattened."""
    from hiddenrep.digits import load_digits

    x = load_digits().x_train[first:first + count]
    return F.avg_pool2d(x.reshape(-1, 1, 28, 28), 2).reshape(count, -1)


def pca_error(X: torch.Tensor, k: int) -> float:
    """Mean summed squared error of PCA with k components on its own training data X (float64)."""
    X = X.double()
    centred = X - X.mean(dim=0)
    top = torch.linalg.svd(centred, full_matrices=False).Vh[:k]
    return (centred - centred @ top.T @ top).pow(2).sum(dim=1).mean().item()


# --- probes (run in the sandbox: self-contained, no expected values) ---------------------------


def describe_layers(model, activation):
    """The layers of model.encoder and model.decoder by name, and how many activation modules of
    class ``activation`` there are and how many distinct objects they are."""
    from torch import nn

    def names(seq):
        described = []
        for m in seq:
            size = f"({m.in_features}, {m.out_features})" if isinstance(m, nn.Linear) else ""
            described.append(type(m).__name__ + size)
        return described

    acts = [m for m in list(model.encoder) + list(model.decoder) if isinstance(m, activation)]
    return names(model.encoder), names(model.decoder), len(acts), len({id(m) for m in acts})


def load_weights(model, state):
    """model.load_state_dict(state). (A method inherited from a torch class cannot be called through
    a handle: it would travel back by name, unbound.)"""
    model.load_state_dict(state)


def sample_with_grads(f, mu, log_var, seed_value):
    """z = f(mu, log_var) after torch.manual_seed(seed_value), and the gradients of z.sum()."""
    import torch

    torch.manual_seed(seed_value)
    mu, log_var = mu.clone().requires_grad_(), log_var.clone().requires_grad_()
    z = f(mu, log_var)
    tracked = bool(z.requires_grad)
    if tracked:
        z.backward(torch.ones_like(z))
    return z.detach(), mu.grad, log_var.grad, tracked, mu.detach(), log_var.detach()


# --- the tests --------------------------------------------------------------------------------


def test_pca_fit(student, reference):
    expected = reference.pca_fit
    gen = torch.Generator().manual_seed(801)
    for n, d, k in [(20, 5, 1), (20, 5, 3), (8, 12, 4), (30, 6, 6), (50, 10, 2), (6, 4, 4)]:
        # Columns of different scales give well separated singular values, so the directions are
        # well defined.
        X = (torch.randn(n, d, generator=gen, dtype=torch.float64) * torch.linspace(3.0, 0.5, d, dtype=torch.float64)
             + 2.0 * torch.randn(d, generator=gen, dtype=torch.float64))
        given = X.clone()
        call = f"pca_fit(X of shape {(n, d)}, k={k}, float64)"
        got = student.pca_fit(given, k)
        check_equal(f"{call} returns", type(got).__name__ + f" of {len(got)}", "tuple of 2")
        mean, components = got
        ref_mean, ref_components = expected(X, k)
        check_tensor(f"{call} mean", mean, ref_mean)
        check_equal(f"{call} components shape", tuple(components.shape), (k, d))
        # Sign-free comparison: each row must match the reference row up to its sign.
        check_tensor(f"{call} |dot product| of each component with the reference's",
                     (components * ref_components).sum(1).abs(), torch.ones(k, dtype=torch.float64), atol=1e-6)
        check_tensor(f"{call} components @ components.T", components @ components.T,
                     torch.eye(k, dtype=torch.float64), atol=1e-8)
        # Oracle: the eigenvectors of the covariance matrix (numpy.linalg.eigh, eigenvalues ascending).
        centred = X.numpy() - X.numpy().mean(0)
        _, eigenvectors = np.linalg.eigh(centred.T @ centred)
        oracle = torch.from_numpy(eigenvectors[:, ::-1][:, :k].T.copy())
        check_tensor(f"{call} mean against numpy", mean, torch.from_numpy(X.numpy().mean(0)))
        check_tensor(f"{call} |dot product| of each component with the covariance's eigenvectors",
                     (components * oracle).sum(1).abs(), torch.ones(k, dtype=torch.float64), atol=1e-6)
        check_tensor(f"X after {call}", given, X)


def test_principal_angles(student, reference):
    from scipy.linalg import subspace_angles

    expected = reference.principal_angles
    gen = torch.Generator().manual_seed(804)
    for d, p, q, same in [(6, 2, 2, False), (10, 3, 5, False), (10, 5, 3, False), (8, 4, 4, True),
                          (20, 3, 3, True), (5, 1, 4, False), (12, 6, 6, True), (7, 2, 3, False)]:
        A = torch.randn(d, p, generator=gen, dtype=torch.float64) * 3.0
        if same:  # the same subspace in another, non-orthonormal basis: every angle is 0
            B = A @ (torch.randn(p, q, generator=gen, dtype=torch.float64) + 2 * torch.eye(p, q, dtype=torch.float64))
        else:
            B = torch.randn(d, q, generator=gen, dtype=torch.float64) * 0.5 + A[:, :1]
        given_A, given_B = A.clone(), B.clone()
        call = f"principal_angles(A of shape {(d, p)}, B of shape {(d, q)}{', same subspace' if same else ''})"
        got = student.principal_angles(given_A, given_B)
        check_tensor(call, got, expected(A, B), atol=1e-6)
        # Oracle: SciPy's subspace_angles, which lists the angles largest first.
        oracle = torch.from_numpy(subspace_angles(A.numpy(), B.numpy())).flip(0)
        check_tensor(f"{call} against scipy.linalg.subspace_angles", got, oracle, atol=1e-6)
        check_tensor(f"A after {call}", given_A, A)
        check_tensor(f"B after {call}", given_B, B)


def test_Autoencoder(student, reference):
    Reference = reference.Autoencoder
    for sizes, activation in [([6, 2], nn.ReLU), ([12, 8, 3], nn.Tanh), ([20, 10, 6, 2], nn.ReLU),
                              ([9, 7, 5, 4, 1], nn.Sigmoid), ([16, 4], nn.Tanh), ([10, 10, 10], nn.ELU)]:
        call = f"Autoencoder({sizes}, nn.{activation.__name__})"
        torch.manual_seed(0)
        ref = Reference(sizes, activation)
        got = student.Autoencoder(list(sizes), activation)
        encoder, decoder, n_acts, n_distinct = student.probe(describe_layers, got, activation)
        ref_encoder, ref_decoder, _, _ = describe_layers(ref, activation)
        check_equal(f"{call}.encoder", encoder, ref_encoder)
        check_equal(f"{call}.decoder", decoder, ref_decoder)
        check_equal(f"{call}: separate activation instances (one per place)", n_distinct, n_acts)
        # Same weights in the same places must give the same function.
        student.probe(load_weights, got, dict(ref.state_dict()))
        x = torch.randn(4, sizes[0], generator=torch.Generator().manual_seed(805))
        with torch.no_grad():
            ref_code, ref_out = ref.encoder(x), ref(x)
        check_tensor(f"{call}.encoder(x) with the reference's weights", got.encoder(x).detach(), ref_code,
                     atol=1e-5)
        check_tensor(f"{call}(x) with the reference's weights", got(x).detach(), ref_out, atol=1e-5)


def test_reparameterise(student, reference):
    from torch.distributions import Normal

    check_by_hand(student, "reparameterise", DISTRIBUTIONS,
                  "draw the sample with torch.randn_like, without torch.distributions")
    expected = reference.reparameterise
    gen = torch.Generator().manual_seed(806)
    for shape in [(1,), (5,), (4, 3), (2, 3, 2), (16, 2)]:
        mu = torch.randn(shape, generator=gen, dtype=torch.float64)
        log_var = torch.randn(shape, generator=gen, dtype=torch.float64) * 2
        call = f"reparameterise(mu and log_var of shape {shape}, float64)"
        torch.manual_seed(7)
        ref = expected(mu, log_var)
        z, g_mu, g_log_var, tracked, mu_after, log_var_after = student.probe(
            sample_with_grads, student.reparameterise, mu, log_var, 7)
        check_tensor(f"{call} after torch.manual_seed(7)", z, ref)
        # Oracle: torch.distributions draws its reparameterised sample the same way.
        torch.manual_seed(7)
        check_tensor(f"{call} against Normal(mu, sigma).rsample()", z,
                     Normal(mu, (0.5 * log_var).exp()).rsample())
        # Oracle for the gradients: z = mu + exp(log_var / 2) * eps, so dz/dmu = 1 and
        # dz/dlog_var = (z - mu) / 2.
        check_equal(f"{call}: the sample carries gradients back to mu and log_var", tracked, True)
        check_tensor(f"{call}: gradient of z.sum() with respect to mu", g_mu, torch.ones(shape, dtype=torch.float64))
        check_tensor(f"{call}: gradient of z.sum() with respect to log_var", g_log_var, (ref - mu) / 2)
        check_tensor(f"mu after {call}", mu_after, mu)
        check_tensor(f"log_var after {call}", log_var_after, log_var)


def test_negative_elbo(student, reference):
    from torch.distributions import Bernoulli, Normal, kl_divergence

    check_by_hand(student, "negative_elbo", DISTRIBUTIONS,
                  "compute the KL term from the formula, without torch.distributions")
    expected = reference.negative_elbo
    gen = torch.Generator().manual_seed(807)
    for n, D, d in [(1, 4, 1), (3, 5, 2), (8, 10, 3), (5, 784, 2), (16, 6, 8)]:
        x = torch.rand(n, D, generator=gen, dtype=torch.float64)
        x[0] = (x[0] > 0.5).double()  # binary pixels as well as grey ones
        logits = torch.randn(n, D, generator=gen, dtype=torch.float64) * 3
        mu = torch.randn(n, d, generator=gen, dtype=torch.float64)
        log_var = torch.randn(n, d, generator=gen, dtype=torch.float64)
        given = [t.clone() for t in (x, logits, mu, log_var)]
        call = f"negative_elbo(x of shape {(n, D)}, logits, mu and log_var of shape {(n, d)}, float64)"
        got = student.negative_elbo(*given)
        check_equal(f"{call}: shape of the result", tuple(got.shape), ())
        check_tensor(call, got, expected(x, logits, mu, log_var))
        # Oracle: torch.distributions, with the closed-form KL PyTorch registers for two Normals.
        rec = -Bernoulli(logits=logits, validate_args=False).log_prob(x).sum(1)
        kl = kl_divergence(Normal(mu, (0.5 * log_var).exp()),
                           Normal(torch.zeros_like(mu), torch.ones_like(mu))).sum(1)
        check_tensor(f"{call} against torch.distributions", got, (rec + kl).mean())
        for name, before, after in zip(["x", "logits", "mu", "log_var"], (x, logits, mu, log_var), given):
            check_tensor(f"{name} after {call}", after, before)


def test_train_linear_autoencoder(student, reference):
    check_by_hand(student, "train_linear_autoencoder", CLOSED_FORMS,
                  "train the autoencoder by gradient descent, not solve for it")
    X, k = shrunk_digits(2000, 1000), 6
    got = student.train_linear_autoencoder(X.clone(), k)
    check_equal("train_linear_autoencoder(X, 6) returns", f"{type(got).__name__} of {len(got)}", "tuple of 4")
    shapes = [tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__ for t in got]
    check_equal("shapes of (W_e, b_e, W_d, b_d) for D=196, k=6", shapes, [(6, 196), (6,), (196, 6), (196,)])
    W_e, b_e, W_d, b_d = (t.detach().double() for t in got)
    Xd = X.double()
    error = ((Xd @ W_e.T + b_e) @ W_d.T + b_d - Xd).pow(2).sum(dim=1).mean().item()
    best = pca_error(X, k)
    check_equal(f"error on 1000 digits with k=6 is {error:.4f}, PCA's is {best:.4f}: within 2 %",
                error <= 1.02 * best, True)
