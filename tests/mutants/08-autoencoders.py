"""Plausible-bug mutants of solutions/08-autoencoders/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "pca_fit": {
        "centering forgotten": [("torch.linalg.svd(X - mean, full_matrices=False)",
                                 "torch.linalg.svd(X, full_matrices=False)")],
        "columns of Vh taken (V and V^T confused)": [("return mean, Vh[:k]", "return mean, Vh[:, :k].T")],
        "left singular vectors taken": [("_, _, Vh = torch.linalg.svd", "Vh, _, _ = torch.linalg.svd")],
        "smallest components kept": [("return mean, Vh[:k]", "return mean, Vh[-k:]")],
        "each row centred on its own mean": [("mean = X.mean(dim=0)", "mean = X.mean(dim=1, keepdim=True)")],
    },
    "principal_angles": {
        "bases not orthonormalised": [("Qa, _ = torch.linalg.qr(A)", "Qa = A"), ("Qb, _ = torch.linalg.qr(B)", "Qb = B")],
        "cosines not clipped (nan for equal subspaces)": [("torch.arccos(cosines.clamp(-1.0, 1.0))",
                                                           "torch.arccos(cosines)")],
        "degrees instead of radians": [("torch.arccos(cosines.clamp(-1.0, 1.0))",
                                        "torch.rad2deg(torch.arccos(cosines.clamp(-1.0, 1.0)))")],
        "largest angle first": [(".sort().values", ".sort(descending=True).values")],
        "arcsin instead of arccos": [("torch.arccos(", "torch.arcsin(")],
    },
    "Autoencoder": {
        "activation on the code": [("self.encoder = nn.Sequential(*stack(sizes))",
                                    "self.encoder = nn.Sequential(*stack(sizes), activation())")],
        "no sigmoid on the output": [("nn.Sequential(*stack(sizes[::-1]), nn.Sigmoid())",
                                      "nn.Sequential(*stack(sizes[::-1]))")],
        "activation hard-coded as ReLU": [("layers += [nn.Linear(n_in, n_out), activation()]",
                                           "layers += [nn.Linear(n_in, n_out), nn.ReLU()]")],
        "decoder is a single layer": [("nn.Sequential(*stack(sizes[::-1]), nn.Sigmoid())",
                                       "nn.Sequential(nn.Linear(sizes[-1], sizes[0]), nn.Sigmoid())")],
        "one activation instance shared by all layers": [
            ("            layers = []\n", "            layers = []\n            shared = activation()\n"),
            ("layers += [nn.Linear(n_in, n_out), activation()]", "layers += [nn.Linear(n_in, n_out), shared]")],
        "forward skips the encoder": [("return self.decoder(self.encoder(x))", "return self.decoder(x)")],
    },
    "reparameterise": {
        "variance used as the standard deviation": [("std = torch.exp(0.5 * log_var)", "std = torch.exp(log_var)")],
        "log-variance used as the standard deviation": [("std = torch.exp(0.5 * log_var)", "std = log_var")],
        "noise not scaled": [("return mu + std * eps", "return mu + eps")],
        "sampled with torch.normal (no gradient)": [("    eps = torch.randn_like(mu)\n    return mu + std * eps",
                                                     "    return torch.normal(mu, std)")],
        "uniform noise": [("torch.randn_like(mu)", "torch.rand_like(mu)")],
        "sampled with torch.distributions (ruled out)": [
            ("    eps = torch.randn_like(mu)\n    return mu + std * eps",
             "    return torch.distributions.Normal(mu, std).rsample()")],
    },
    "negative_elbo": {
        "KL with the wrong sign": [("kl = 0.5 * (", "kl = -0.5 * (")],
        "KL without the factor 1/2": [("kl = 0.5 * (", "kl = (")],
        "standard deviation instead of variance in the KL": [("+ log_var.exp() -", "+ (0.5 * log_var).exp() -")],
        "reconstruction averaged over pixels": [('reduction="none").sum(dim=1)', 'reduction="none").mean(dim=1)')],
        "summed over the batch instead of averaged": [("return (reconstruction + kl).mean()",
                                                       "return (reconstruction + kl).sum()")],
        "returns the ELBO, not its negative": [("return (reconstruction + kl).mean()",
                                                "return -(reconstruction + kl).mean()")],
        "KL from torch.distributions (ruled out)": [
            ("    kl = 0.5 * (mu ** 2 + log_var.exp() - log_var - 1).sum(dim=1)\n",
             "    from torch.distributions import Normal, kl_divergence\n"
             "    q = Normal(mu, (0.5 * log_var).exp())\n"
             "    p = Normal(torch.zeros_like(mu), torch.ones_like(mu))\n"
             "    kl = kl_divergence(q, p).sum(dim=1)\n")],
    },
    "train_linear_autoencoder": {
        "code one dimension short": [
            ("encoder, decoder = nn.Linear(X.shape[1], k), nn.Linear(k, X.shape[1])",
             "encoder, decoder = nn.Linear(X.shape[1], k - 1), nn.Linear(k - 1, X.shape[1])")],
        "learning rate far too small": [("lr=0.03", "lr=1e-4")],
        "stops after 30 steps": [("for step in range(300):", "for step in range(30):")],
        "decoder started from PCA (solved, not trained)": [
            ("    return (encoder.weight.detach(),",
             "    mean = X.mean(dim=0)\n"
             "    top = torch.linalg.svd(X - mean, full_matrices=False).Vh[:k]\n"
             "    return top, -top @ mean, top.T.contiguous(), mean\n"
             "    return (encoder.weight.detach(),")],
    },
}
