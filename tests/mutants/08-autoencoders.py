"""Plausible-bug mutants of solutions/08-autoencoders/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "pca_fit": {
        "centering forgotten": [
            (
                "    _, _, Vh = torch.linalg.svd(X - mean, full_matrices=False)\n",
                "    _, _, Vh = torch.linalg.svd(X, full_matrices=False)\n",
            )
        ],
        "columns of Vh taken (V and V^T confused)": [
            ("    return mean, Vh[:k]\n", "    return mean, Vh[:, :k].T\n")
        ],
        "left singular vectors taken": [
            (
                "    _, _, Vh = torch.linalg.svd(X - mean, full_matrices=False)\n",
                "    Vh, _, _ = torch.linalg.svd(X - mean, full_matrices=False)\n",
            )
        ],
        "smallest components kept": [
            ("    return mean, Vh[:k]\n", "    return mean, Vh[-k:]\n")
        ],
        "each row centred on its own mean": [
            ("    mean = X.mean(dim=0)\n", "    mean = X.mean(dim=1, keepdim=True)\n")
        ],
    },
    "principal_angles": {
        "bases not orthonormalised": [
            (
                "    Qa, _ = torch.linalg.qr(A)\n    Qb, _ = torch.linalg.qr(B)\n",
                "    Qa = A\n    Qb = B\n",
            )
        ],
        "cosines not clipped (nan for equal subspaces)": [
            (
                "    return torch.arccos(cosines.clamp(-1.0, 1.0)).sort().values\n",
                "    return torch.arccos(cosines).sort().values\n",
            )
        ],
        "degrees instead of radians": [
            (
                "    return torch.arccos(cosines.clamp(-1.0, 1.0)).sort().values\n",
                "    return "
                "torch.rad2deg(torch.arccos(cosines.clamp(-1.0, "
                "1.0))).sort().values\n",
            )
        ],
        "largest angle first": [
            (
                "    return torch.arccos(cosines.clamp(-1.0, 1.0)).sort().values\n",
                "    return torch.arccos(cosines.clamp(-1.0, "
                "1.0)).sort(descending=True).values\n",
            )
        ],
        "arcsin instead of arccos": [
            (
                "    return torch.arccos(cosines.clamp(-1.0, 1.0)).sort().values\n",
                "    return torch.arcsin(cosines.clamp(-1.0, 1.0)).sort().values\n",
            )
        ],
    },
    "Autoencoder": {
        "activation on the code": [
            (
                "        self.encoder = nn.Sequential(*stack(sizes))\n",
                "        self.encoder = nn.Sequential(*stack(sizes), activation())\n",
            )
        ],
        "no sigmoid on the output": [
            (
                "        self.decoder = "
                "nn.Sequential(*stack(sizes[::-1]), nn.Sigmoid())\n",
                "        self.decoder = nn.Sequential(*stack(sizes[::-1]))\n",
            )
        ],
        "activation hard-coded as ReLU": [
            (
                "                layers += [nn.Linear(n_in, n_out), activation()]\n",
                "                layers += [nn.Linear(n_in, n_out), nn.ReLU()]\n",
            )
        ],
        "decoder is a single layer": [
            (
                "        self.decoder = "
                "nn.Sequential(*stack(sizes[::-1]), "
                "nn.Sigmoid())\n",
                "        self.decoder = "
                "nn.Sequential(nn.Linear(sizes[-1], sizes[0]), "
                "nn.Sigmoid())\n",
            )
        ],
        "one activation instance shared by all layers": [
            (
                "            layers = []\n",
                "            layers = []\n            shared = activation()\n",
            ),
            (
                "                layers += [nn.Linear(n_in, n_out), activation()]\n",
                "                layers += [nn.Linear(n_in, n_out), shared]\n",
            ),
        ],
        "forward skips the encoder": [
            (
                "        return self.decoder(self.encoder(x))\n",
                "        return self.decoder(x)\n",
            )
        ],
    },
    "reparameterise": {
        "variance used as the standard deviation": [
            ("    std = torch.exp(0.5 * log_var)\n", "    std = torch.exp(log_var)\n")
        ],
        "log-variance used as the standard deviation": [
            ("    std = torch.exp(0.5 * log_var)\n", "    std = log_var\n")
        ],
        "noise not scaled": [("    return mu + std * eps\n", "    return mu + eps\n")],
        "sampled with torch.normal (no gradient)": [
            (
                "    eps = torch.randn_like(mu)\n    return mu + std * eps\n",
                "    return torch.normal(mu, std)\n",
            )
        ],
        "uniform noise": [
            ("    eps = torch.randn_like(mu)\n", "    eps = torch.rand_like(mu)\n")
        ],
        "sampled with torch.distributions (ruled out)": [
            (
                "    eps = torch.randn_like(mu)\n    return mu + std * eps\n",
                "    return torch.distributions.Normal(mu, std).rsample()\n",
            )
        ],
    },
    "negative_elbo": {
        "KL with the wrong sign": [
            (
                "    kl = 0.5 * (mu**2 + log_var.exp() - log_var - 1).sum(dim=1)\n",
                "    kl = -0.5 * (mu**2 + log_var.exp() - log_var - 1).sum(dim=1)\n",
            )
        ],
        "KL without the factor 1/2": [
            (
                "    kl = 0.5 * (mu**2 + log_var.exp() - log_var - 1).sum(dim=1)\n",
                "    kl = (mu**2 + log_var.exp() - log_var - 1).sum(dim=1)\n",
            )
        ],
        "standard deviation instead of variance in the KL": [
            (
                "    kl = 0.5 * (mu**2 + log_var.exp() - log_var - 1).sum(dim=1)\n",
                "    kl = 0.5 * (mu**2 + "
                "(0.5 * log_var).exp() - "
                "log_var - "
                "1).sum(dim=1)\n",
            )
        ],
        "reconstruction averaged over pixels": [
            ("    ).sum(dim=1)\n", "    ).mean(dim=1)\n")
        ],
        "summed over the batch instead of averaged": [
            (
                "    return (reconstruction + kl).mean()\n",
                "    return (reconstruction + kl).sum()\n",
            )
        ],
        "returns the ELBO, not its negative": [
            (
                "    return (reconstruction + kl).mean()\n",
                "    return -(reconstruction + kl).mean()\n",
            )
        ],
        "KL from torch.distributions (ruled out)": [
            (
                "    kl = 0.5 * (mu**2 + log_var.exp() - log_var - 1).sum(dim=1)\n",
                "    from torch.distributions "
                "import Normal, kl_divergence\n"
                "\n"
                "    q = Normal(mu, (0.5 * "
                "log_var).exp())\n"
                "    p = "
                "Normal(torch.zeros_like(mu), "
                "torch.ones_like(mu))\n"
                "    kl = kl_divergence(q, "
                "p).sum(dim=1)\n",
            )
        ],
    },
    "train_linear_autoencoder": {
        "code one dimension short": [
            (
                "    encoder, decoder = "
                "nn.Linear(X.shape[1], k), "
                "nn.Linear(k, X.shape[1])\n",
                "    encoder, decoder = "
                "nn.Linear(X.shape[1], k - 1), "
                "nn.Linear(k - 1, X.shape[1])\n",
            )
        ],
        "learning rate far too small": [
            (
                "    adam = torch.optim.Adam(parameters, lr=0.03)\n",
                "    adam = torch.optim.Adam(parameters, lr=1e-4)\n",
            )
        ],
        "stops after 30 steps": [
            (
                "    for step in range(300):  # full "
                "batch: 1,000 small images fit in one "
                "step\n",
                "    for step in range(30):  # full batch: "
                "1,000 small images fit in one step\n",
            )
        ],
        "decoder started from PCA (solved, not trained)": [
            (
                "        adam.step()\n",
                "        "
                "adam.step()\n"
                "    mean = "
                "X.mean(dim=0)\n"
                "    top = "
                "torch.linalg.svd(X "
                "- mean, "
                "full_matrices=False).Vh[:k]\n"
                "    return top, "
                "-top @ mean, "
                "top.T.contiguous(), "
                "mean\n",
            )
        ],
    },
}
