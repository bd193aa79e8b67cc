"""Plausible-bug mutants of solutions/04-transfer-learning/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "freeze_matching": {
        "substring instead of a pattern": [
            (
                "        frozen = "
                "any(fnmatch.fnmatchcase(name, p) for p "
                "in patterns)\n",
                "        frozen = any(p in name for p in patterns)\n",
            )
        ],
        "other parameters not unfrozen": [
            (
                "        param.requires_grad_(not frozen)\n",
                "        param.requires_grad_(False) if frozen else None\n",
            )
        ],
        "counts tensors, not elements": [
            ("            trainable += param.numel()\n", "            trainable += 1\n")
        ],
        "every pattern must match": [
            (
                "        frozen = any(fnmatch.fnmatchcase(name, "
                "p) for p in patterns)\n",
                "        frozen = all(fnmatch.fnmatchcase(name, "
                "p) for p in patterns)\n",
            )
        ],
        "returns the frozen count": [
            ("        if not frozen:\n", "        if frozen:\n")
        ],
    },
    "layerwise_lr_groups": {
        "decay from the bottom up": [
            (
                "    for depth, group in enumerate(reversed(groups)):\n",
                "    for depth, group in enumerate(groups):\n",
            )
        ],
        "frozen parameters kept": [
            (
                "        params = [p for p in child.parameters() if p.requires_grad]\n",
                "        params = list(child.parameters())\n",
            )
        ],
        "rate multiplied by decay": [
            (
                '        group["lr"] = float(base_lr / decay**depth)\n',
                '        group["lr"] = float(base_lr * decay**depth)\n',
            )
        ],
        "top group already decayed": [
            (
                '        group["lr"] = float(base_lr / decay**depth)\n',
                '        group["lr"] = float(base_lr / decay ** (depth + 1))\n',
            )
        ],
        "groups per parameter tensor": [
            (
                "    for child in model.children():\n",
                "    for child in model.modules():\n",
            )
        ],
    },
    "slanted_triangular_lr": {
        "cut rounded, not floored": [
            (
                "    cut = math.floor(total * cut_frac)\n",
                "    cut = round(total * cut_frac)\n",
            )
        ],
        "decay over the whole run": [
            (
                "        p = 1 - (t - cut) / (cut * (1 / cut_frac - 1))\n",
                "        p = 1 - (t - cut) / (total - cut)\n",
            )
        ],
        "no floor at lr_max / ratio": [
            (
                "    return float(lr_max * (1 + p * (ratio - 1)) / ratio)\n",
                "    return float(lr_max * p)\n",
            )
        ],
        "warm-up one step ahead": [
            ("        p = t / cut\n", "        p = (t + 1) / cut\n")
        ],
        "decay denominator missing the - 1": [
            (
                "        p = 1 - (t - cut) / (cut * (1 / cut_frac - 1))\n",
                "        p = 1 - (t - cut) / (cut * (1 / cut_frac))\n",
            )
        ],
    },
    "progressive_forward": {
        "column A not frozen": [
            (
                "    with torch.no_grad():  # column A is "
                "frozen: its activations are constants for B\n",
                "    if True:  # column A is frozen: its "
                "activations are constants for B\n",
            )
        ],
        "lateral from A's layer below": [
            (
                "            z = z + "
                "F.linear(F.relu(F.linear(alpha * "
                "a_states[i], v)), u)\n",
                "            z = z + "
                "F.linear(F.relu(F.linear(alpha * "
                "a_states[i - 1], v)), u)\n",
            )
        ],
        "ReLU on the output layer": [
            ("        h = z if i == last else F.relu(z)\n", "        h = F.relu(z)\n")
        ],
        "adapter without its non-linearity": [
            (
                "            z = z + "
                "F.linear(F.relu(F.linear(alpha * "
                "a_states[i], v)), u)\n",
                "            z = z + F.linear(F.linear(alpha * a_states[i], v), u)\n",
            )
        ],
        "computes in float32": [
            (
                "        z = F.linear(h, weight, bias)\n",
                "        z = F.linear(h.float(), weight.float(), bias.float())\n",
            )
        ],
        "alpha ignored": [
            (
                "            z = z + F.linear(F.relu(F.linear(alpha * "
                "a_states[i], v)), u)\n",
                "            z = z + F.linear(F.relu(F.linear(a_states[i], v)), u)\n",
            )
        ],
    },
    "forgetting_stats": {
        "sign of backward transfer flipped": [
            (
                "    bwt = (final - torch.diagonal(R)[: T - 1]).mean()\n",
                "    bwt = (torch.diagonal(R)[: T - 1] - final).mean()\n",
            )
        ],
        "forgetting from the diagonal, not the best": [
            (
                "    best = R[: T - 1, : T - 1].max(dim=0).values\n",
                "    best = torch.diagonal(R)[: T - 1]\n",
            )
        ],
        "best taken over every row": [
            (
                "    best = R[: T - 1, : T - 1].max(dim=0).values\n",
                "    best = R[:, : T - 1].max(dim=0).values\n",
            )
        ],
        "last column instead of last row": [
            ("    final = R[T - 1, : T - 1]\n", "    final = R[: T - 1, T - 1]\n")
        ],
        "averaged over all T tasks": [
            (
                "    bwt = (final - torch.diagonal(R)[: T - 1]).mean()\n",
                "    bwt = (final - torch.diagonal(R)[: T - 1]).sum() / T\n",
            )
        ],
    },
    "cache_features": {
        "hook never removed": [("        handle.remove()\n", "        pass\n")],
        "mode not restored": [
            ("        model.train(was_training)\n", "        model.train(True)\n")
        ],
        "left in train mode (dropout on)": [
            ("        model.eval()\n", "        pass\n")
        ],
        "the layer's input cached": [
            (
                "        outputs.append(output.detach())\n",
                "        outputs.append(inputs[0].detach())\n",
            )
        ],
        "concatenated along the last axis": [
            (
                "    return torch.cat(outputs, dim=0)\n",
                "    return torch.cat(outputs, dim=-1)\n",
            )
        ],
        "hook removed only on success": [
            ("    try:\n", "    if True:\n"),
            ("    finally:\n", "    if True:\n"),
        ],
    },
}


FAIR_VARIANTS = {
    "freeze_matching": {
        "patterns as regular expressions, count taken afterwards": [
            (
                "    trainable = 0\n",
                "    import re\n"
                "\n"
                "    regexes = "
                "[re.compile(fnmatch.translate(p)) "
                "for p in "
                "patterns]\n",
            ),
            (
                "        frozen "
                "= "
                "any(fnmatch.fnmatchcase(name, "
                "p) for p in "
                "patterns)\n",
                "        frozen = any(r.match(name) for r in regexes)\n",
            ),
            (
                "        if not "
                "frozen:\n"
                "            "
                "trainable += "
                "param.numel()\n"
                "    return "
                "trainable\n",
                "    return "
                "sum(p.numel() "
                "for p in "
                "model.parameters() "
                "if "
                "p.requires_grad)\n",
            ),
        ]
    },
    "layerwise_lr_groups": {
        "rates multiplied by powers of 1 / decay, built top-down": [
            (
                "    for "
                "depth, "
                "group in "
                "enumerate(reversed(groups)):\n"
                "        "
                'group["lr"] '
                "= "
                "float(base_lr "
                "/ "
                "decay**depth)\n",
                "    lr = "
                "float(base_lr)\n"
                "    for "
                "group in "
                "reversed(groups):\n"
                "        "
                'group["lr"] '
                "= lr\n"
                "        lr "
                "= lr * (1.0 "
                "/ "
                "decay)\n",
            )
        ]
    },
    "slanted_triangular_lr": {
        "int() instead of math.floor, the decay written as a fraction of the rest": [
            (
                "    cut = math.floor(total * cut_frac)\n",
                "    cut = int(total * cut_frac)\n",
            ),
            (
                "        p = 1 - (t - cut) / (cut * (1 / cut_frac - 1))\n",
                "        p = 1 - (t - cut) * cut_frac / (cut * (1 - cut_frac))\n",
            ),
        ]
    },
    "progressive_forward": {
        "column A detached instead of no_grad, adapter with matmul": [
            (
                "    with "
                "torch.no_grad():  "
                "# column "
                "A is "
                "frozen: "
                "its "
                "activations "
                "are "
                "constants "
                "for B\n"
                "        "
                "a_states, "
                "a = [x], "
                "x\n"
                "        "
                "for i, "
                "(weight, "
                "bias) in "
                "enumerate(column_a[:-1]):\n"
                "            "
                "a = "
                "F.relu(F.linear(a, "
                "weight, "
                "bias))\n"
                "            "
                "a_states.append(a)\n",
                "    "
                "a_states, "
                "a = [x], "
                "x\n"
                "    for "
                "weight, "
                "bias in "
                "column_a[:-1]:\n"
                "        a "
                "= "
                "torch.relu(a "
                "@ "
                "weight.detach().T "
                "+ "
                "bias.detach())\n"
                "        "
                "a_states.append(a)\n",
            ),
            (
                "            "
                "z = z + "
                "F.linear(F.relu(F.linear(alpha "
                "* "
                "a_states[i], "
                "v)), u)\n",
                "            z = z + torch.relu((alpha * a_states[i]) @ v.T) @ u.T\n",
            ),
        ]
    },
    "forgetting_stats": {
        "plain Python loops over a list copy": [
            ("    T = R.shape[0]\n", "    T = R.shape[0]\n    rows = R.tolist()\n"),
            (
                "    bwt = (final - torch.diagonal(R)[: T - 1]).mean()\n",
                "    bwt = sum(rows[T - 1][j] - "
                "rows[j][j] for j in range(T - 1)) "
                "/ (T - 1)\n",
            ),
            (
                "    forgetting = (best - final).mean()\n",
                "    forgetting = sum(\n"
                "        max(rows[l][j] for l in "
                "range(T - 1)) - rows[T - 1][j] for "
                "j in range(T - 1)\n"
                "    ) / (T - 1)\n",
            ),
        ]
    },
    "cache_features": {
        "outputs kept without detach (no_grad already), mode restored with train(mode)": [
            (
                "        outputs.append(output.detach())\n",
                "        outputs.append(output)\n",
            ),
            (
                "        model.train(was_training)\n",
                "        model.train(mode=was_training)\n",
            ),
        ]
    },
}
