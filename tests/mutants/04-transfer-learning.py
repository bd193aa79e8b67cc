"""Plausible-bug mutants of solutions/04-transfer-learning/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "freeze_matching": {
        "substring instead of a pattern": [("fnmatch.fnmatchcase(name, p)", "p in name")],
        "other parameters not unfrozen": [("param.requires_grad_(not frozen)",
                                           "param.requires_grad_(False) if frozen else None")],
        "counts tensors, not elements": [("trainable += param.numel()", "trainable += 1")],
        "every pattern must match": [("any(fnmatch", "all(fnmatch")],
        "returns the frozen count": [("if not frozen:\n            trainable", "if frozen:\n            trainable")],
    },
    "layerwise_lr_groups": {
        "decay from the bottom up": [("enumerate(reversed(groups))", "enumerate(groups)")],
        "frozen parameters kept": [("[p for p in child.parameters() if p.requires_grad]",
                                    "list(child.parameters())")],
        "rate multiplied by decay": [("base_lr / decay**depth", "base_lr * decay**depth")],
        "top group already decayed": [("base_lr / decay**depth", "base_lr / decay**(depth + 1)")],
        "groups per parameter tensor": [("for child in model.children():", "for child in model.modules():")],
    },
    "slanted_triangular_lr": {
        "cut rounded, not floored": [("math.floor(total * cut_frac)", "round(total * cut_frac)")],
        "decay over the whole run": [("(cut * (1 / cut_frac - 1))", "(total - cut)")],
        "no floor at lr_max / ratio": [("lr_max * (1 + p * (ratio - 1)) / ratio", "lr_max * p")],
        "warm-up one step ahead": [("p = t / cut", "p = (t + 1) / cut")],
        "decay denominator missing the - 1": [("(1 / cut_frac - 1)", "(1 / cut_frac)")],
    },
    "progressive_forward": {
        "column A not frozen": [("with torch.no_grad():", "if True:")],
        "lateral from A's layer below": [("alpha * a_states[i]", "alpha * a_states[i - 1]")],
        "ReLU on the output layer": [("h = z if i == last else F.relu(z)", "h = F.relu(z)")],
        "adapter without its non-linearity": [("F.relu(F.linear(alpha * a_states[i], v))",
                                               "F.linear(alpha * a_states[i], v)")],
        "computes in float32": [("z = F.linear(h, weight, bias)",
                                 "z = F.linear(h.float(), weight.float(), bias.float())")],
        "alpha ignored": [("alpha * a_states[i]", "a_states[i]")],
    },
    "forgetting_stats": {
        "sign of backward transfer flipped": [("(final - torch.diagonal(R)[:T - 1])",
                                               "(torch.diagonal(R)[:T - 1] - final)")],
        "forgetting from the diagonal, not the best": [("best = R[:T - 1, :T - 1].max(dim=0).values",
                                                        "best = torch.diagonal(R)[:T - 1]")],
        "best taken over every row": [("R[:T - 1, :T - 1].max(dim=0)", "R[:, :T - 1].max(dim=0)")],
        "last column instead of last row": [("final = R[T - 1, :T - 1]", "final = R[:T - 1, T - 1]")],
        "averaged over all T tasks": [("bwt = (final - torch.diagonal(R)[:T - 1]).mean()",
                                       "bwt = (final - torch.diagonal(R)[:T - 1]).sum() / T")],
    },
    "cache_features": {
        "hook never removed": [("handle.remove()", "pass")],
        "mode not restored": [("model.train(was_training)", "model.train(True)")],
        "left in train mode (dropout on)": [("model.eval()", "pass")],
        "the layer's input cached": [("outputs.append(output.detach())",
                                      "outputs.append(inputs[0].detach())")],
        "concatenated along the last axis": [("torch.cat(outputs, dim=0)", "torch.cat(outputs, dim=-1)")],
        "hook removed only on success": [("    try:\n", "    if True:\n"),
                                         ("    finally:\n", "    if True:\n")],
    },
}

FAIR_VARIANTS = {
    "freeze_matching": {
        "patterns as regular expressions, count taken afterwards": [
            ("    trainable = 0\n", "    import re\n    regexes = [re.compile(fnmatch.translate(p)) for p in patterns]\n"),
            ("        frozen = any(fnmatch.fnmatchcase(name, p) for p in patterns)",
             "        frozen = any(r.match(name) for r in regexes)"),
            ("        if not frozen:\n            trainable += param.numel()\n    return trainable",
             "    return sum(p.numel() for p in model.parameters() if p.requires_grad)"),
        ],
    },
    "layerwise_lr_groups": {
        "rates multiplied by powers of 1 / decay, built top-down": [
            ("    for depth, group in enumerate(reversed(groups)):\n"
             "        group[\"lr\"] = float(base_lr / decay**depth)",
             "    lr = float(base_lr)\n    for group in reversed(groups):\n"
             "        group[\"lr\"] = lr\n        lr = lr * (1.0 / decay)"),
        ],
    },
    "slanted_triangular_lr": {
        "int() instead of math.floor, the decay written as a fraction of the rest": [
            ("cut = math.floor(total * cut_frac)", "cut = int(total * cut_frac)"),
            ("p = 1 - (t - cut) / (cut * (1 / cut_frac - 1))",
             "p = 1 - (t - cut) * cut_frac / (cut * (1 - cut_frac))"),
        ],
    },
    "progressive_forward": {
        "column A detached instead of no_grad, adapter with matmul": [
            ("    with torch.no_grad():  # column A is frozen: its activations are constants for B\n"
             "        a_states, a = [x], x\n"
             "        for i, (weight, bias) in enumerate(column_a[:-1]):\n"
             "            a = F.relu(F.linear(a, weight, bias))\n"
             "            a_states.append(a)",
             "    a_states, a = [x], x\n"
             "    for weight, bias in column_a[:-1]:\n"
             "        a = torch.relu(a @ weight.detach().T + bias.detach())\n"
             "        a_states.append(a)"),
            ("z = z + F.linear(F.relu(F.linear(alpha * a_states[i], v)), u)",
             "z = z + torch.relu((alpha * a_states[i]) @ v.T) @ u.T"),
        ],
    },
    "forgetting_stats": {
        "plain Python loops over a list copy": [
            ("    T = R.shape[0]\n", "    T = R.shape[0]\n    rows = R.tolist()\n"),
            ("    bwt = (final - torch.diagonal(R)[:T - 1]).mean()",
             "    bwt = sum(rows[T - 1][j] - rows[j][j] for j in range(T - 1)) / (T - 1)"),
            ("    forgetting = (best - final).mean()",
             "    forgetting = sum(max(rows[l][j] for l in range(T - 1)) - rows[T - 1][j]\n"
             "                     for j in range(T - 1)) / (T - 1)"),
        ],
    },
    "cache_features": {
        "outputs kept without detach (no_grad already), mode restored with train(mode)": [
            ("outputs.append(output.detach())", "outputs.append(output)"),
            ("model.train(was_training)", "model.train(mode=was_training)"),
        ],
    },
}
