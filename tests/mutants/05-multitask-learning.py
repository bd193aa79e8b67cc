"""Plausible-bug mutants of solutions/05-multitask-learning/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "MultiHeadMLP": {
        "no ReLU after the hidden layers": [
            (
                "            layers += [nn.Linear(width, size), nn.ReLU()]\n",
                "            layers += [nn.Linear(width, size)]\n",
            )
        ],
        "heads read the input width": [
            (
                "        self.heads = "
                "nn.ModuleList(nn.Linear(width, c) for c in "
                "n_classes)\n",
                "        self.heads = "
                "nn.ModuleList(nn.Linear(hidden[0], c) for c in "
                "n_classes)\n",
            )
        ],
        "only the first task's logits": [
            (
                "        return [head(features) for head in self.heads]\n",
                "        return [self.heads[0](features)]\n",
            )
        ],
        "a ReLU on the logits": [
            (
                "        return [head(features) for head in self.heads]\n",
                "        return [torch.relu(head(features)) for head in self.heads]\n",
            )
        ],
        "the width is never updated": [("            width = size\n", "")],
    },
    "masked_multitask_loss": {
        "averaged over the whole batch": [
            (
                "            total = total + weight * task_loss / known.sum()\n",
                "            total = total + weight * task_loss / len(labels)\n",
            )
        ],
        "weights ignored": [
            (
                "            total = total + weight * task_loss / known.sum()\n",
                "            total = total + task_loss / known.sum()\n",
            )
        ],
        "NaN for a task without labels": [
            ("        if known.any():\n", "        if True:\n")
        ],
        "mean over tasks instead of sum": [
            ("    return total\n", "    return total / len(logits)\n")
        ],
        "labels read from the wrong column": [
            ("            y = labels[known, t]\n", "            y = labels[known, 0]\n")
        ],
        "unlabelled examples counted as class 0": [
            (
                "            task_loss = "
                "F.cross_entropy(task_logits[known], "
                'y, reduction="sum")\n',
                "            task_loss = "
                "F.cross_entropy(\n"
                "                "
                "task_logits, labels[:, "
                "t].clamp(min=0), "
                'reduction="sum"\n'
                "            )\n",
            )
        ],
    },
    "temperature_probs": {
        "temperature multiplies": [
            (
                "    logits = torch.tensor(sizes, "
                "dtype=torch.float64).log() / temperature\n",
                "    logits = torch.tensor(sizes, "
                "dtype=torch.float64).log() * temperature\n",
            )
        ],
        "softmax of the raw sizes": [
            (
                "    logits = torch.tensor(sizes, "
                "dtype=torch.float64).log() / temperature\n",
                "    logits = torch.tensor(sizes, dtype=torch.float64) / temperature\n",
            )
        ],
        "not normalised": [
            ("    return torch.softmax(logits, dim=0)\n", "    return logits.exp()\n")
        ],
        "float32": [
            (
                "    return torch.softmax(logits, dim=0)\n",
                "    return torch.softmax(logits.float(), dim=0)\n",
            )
        ],
        "normalised before the power, not after": [
            (
                "    return torch.softmax(logits, dim=0)\n",
                "    p = torch.tensor(sizes, "
                "dtype=torch.float64)\n"
                "    return (p / p.sum()) ** (1 "
                "/ temperature)\n",
            )
        ],
    },
    "project_conflicting": {
        "always projected": [("    if dot >= 0:\n", "    if False:\n")],
        "projected onto itself": [
            (
                "    new_a = g_a - dot / torch.dot(g_b, g_b) * g_b\n",
                "    new_a = g_a - dot / torch.dot(g_a, g_a) * g_a\n",
            )
        ],
        "second projection uses the projected g_a": [
            (
                "    new_b = g_b - dot / torch.dot(g_a, g_a) * g_a\n",
                "    new_b = g_b - "
                "torch.dot(g_b, new_a) / "
                "torch.dot(new_a, new_a) * "
                "new_a\n",
            )
        ],
        "wrong sign": [
            (
                "    new_a = g_a - dot / torch.dot(g_b, g_b) * g_b\n",
                "    new_a = g_a + dot / torch.dot(g_b, g_b) * g_b\n",
            )
        ],
        "projects only when they agree": [("    if dot >= 0:\n", "    if dot < 0:\n")],
    },
    "dwa_weights": {
        "ratio inverted": [
            ("    ratios = last / previous\n", "    ratios = previous / last\n")
        ],
        "weights sum to one": [
            (
                "    return len(ratios) * torch.softmax(ratios / temperature, dim=0)\n",
                "    return torch.softmax(ratios / temperature, dim=0)\n",
            )
        ],
        "temperature ignored": [
            (
                "    return len(ratios) * torch.softmax(ratios / temperature, dim=0)\n",
                "    return len(ratios) * torch.softmax(ratios, dim=0)\n",
            )
        ],
        "softmax of the last losses, not of their ratios": [
            ("    ratios = last / previous\n", "    ratios = last\n")
        ],
        "oldest records used": [
            (
                "    last = torch.tensor(history[-1], "
                "dtype=torch.float64)\n"
                "    previous = torch.tensor(history[-2], "
                "dtype=torch.float64)\n",
                "    last = torch.tensor(history[1], "
                "dtype=torch.float64)\n"
                "    previous = torch.tensor(history[0], "
                "dtype=torch.float64)\n",
            )
        ],
    },
    "soft_sharing_penalty": {
        "norm instead of squared norm": [
            (
                "        total = total + ((a - b) ** 2).sum()\n",
                "        total = total + ((a - b) ** 2).sum().sqrt()\n",
            )
        ],
        "mean instead of sum": [
            (
                "        total = total + ((a - b) ** 2).sum()\n",
                "        total = total + ((a - b) ** 2).mean()\n",
            )
        ],
        "tower b detached": [
            (
                "        total = total + ((a - b) ** 2).sum()\n",
                "        total = total + ((a - b.detach()) ** 2).sum()\n",
            )
        ],
        "absolute differences": [
            (
                "        total = total + ((a - b) ** 2).sum()\n",
                "        total = total + (a - b).abs().sum()\n",
            )
        ],
        "only the first pair": [
            (
                "    for a, b in zip(params_a, params_b):\n",
                "    for a, b in zip(params_a[:1], params_b[:1]):\n",
            )
        ],
    },
}


# Correct answers written differently from the reference: each must keep full marks.
FAIR_VARIANTS = {
    "MultiHeadMLP": {
        "widths zipped, heads from a list": [
            (
                "        layers, width = [], n_in\n"
                "        for size in hidden:\n"
                "            layers += [nn.Linear(width, "
                "size), nn.ReLU()]\n"
                "            width = size\n",
                "        widths = [n_in, *hidden]\n"
                "        layers = []\n"
                "        for a, b in zip(widths[:-1], "
                "widths[1:]):\n"
                "            layers.extend([nn.Linear(a, "
                "b), nn.ReLU()])\n",
            ),
            (
                "        self.heads = "
                "nn.ModuleList(nn.Linear(width, c) for c "
                "in n_classes)\n",
                "        self.heads = "
                "nn.ModuleList([nn.Linear(widths[-1], c) "
                "for c in n_classes])\n",
            ),
        ],
        "heads indexed in forward": [
            (
                "        return [head(features) for head in self.heads]\n",
                "        return [self.heads[t](features) for t in "
                "range(len(self.heads))]\n",
            )
        ],
    },
    "masked_multitask_loss": {
        "ignore_index and a stacked sum": [
            (
                "    total = "
                "logits[0].new_zeros(())\n"
                "    for t, (task_logits, weight) "
                "in enumerate(zip(logits, "
                "weights)):\n"
                "        known = labels[:, t] >= 0\n"
                "        if known.any():\n"
                "            y = labels[known, t]\n"
                "            task_loss = "
                "F.cross_entropy(task_logits[known], "
                'y, reduction="sum")\n'
                "            total = total + weight "
                "* task_loss / known.sum()\n"
                "    return total\n",
                "    parts = []\n"
                "    for t, weight in "
                "enumerate(weights):\n"
                "        y = labels[:, t]\n"
                "        if (y != -1).sum() > 0:\n"
                "            parts.append(weight * "
                "F.cross_entropy(logits[t], y, "
                "ignore_index=-1))\n"
                "    return "
                "torch.stack(parts).sum() if parts "
                "else logits[0].sum() * 0\n",
            )
        ],
        "a float mask over every example": [
            ("    total = logits[0].new_zeros(())\n", "    total = 0\n"),
            (
                "        known = labels[:, t] >= "
                "0\n"
                "        if known.any():\n"
                "            y = labels[known, t]\n"
                "            task_loss = "
                "F.cross_entropy(task_logits[known], "
                'y, reduction="sum")\n'
                "            total = total + "
                "weight * task_loss / "
                "known.sum()\n",
                "        y = labels[:, t]\n"
                "        per = "
                "F.cross_entropy(task_logits, "
                "y.clamp(min=0), "
                'reduction="none")\n'
                "        mask = (y >= "
                "0).to(per.dtype)\n"
                "        total = total + weight * "
                "(per * mask).sum() / "
                "mask.sum().clamp(min=1)\n",
            ),
        ],
    },
    "temperature_probs": {
        "powers of the sizes over the largest": [
            (
                "    logits = torch.tensor(sizes, "
                "dtype=torch.float64).log() / "
                "temperature\n"
                "    return torch.softmax(logits, "
                "dim=0)\n",
                "    s = torch.tensor(sizes, "
                "dtype=torch.float64)\n"
                "    p = (s / s.max()) ** (1.0 / "
                "temperature)\n"
                "    return p / p.sum()\n",
            )
        ],
        "plain math, shifted by the largest": [
            (
                "    logits = torch.tensor(sizes, "
                "dtype=torch.float64).log() / "
                "temperature\n"
                "    return torch.softmax(logits, "
                "dim=0)\n",
                "    logs = [math.log(n) / "
                "temperature for n in sizes]\n"
                "    top = max(logs)\n"
                "    e = [math.exp(v - top) for v "
                "in logs]\n"
                "    return torch.tensor([v / "
                "sum(e) for v in e], "
                "dtype=torch.float64)\n",
            )
        ],
    },
    "project_conflicting": {
        "inputs returned as they are when there is no conflict": [
            (
                "    dot = "
                "torch.dot(g_a, "
                "g_b)\n"
                "    if dot >= "
                "0:\n"
                "        "
                "return "
                "g_a.clone(), "
                "g_b.clone()\n"
                "    new_a = "
                "g_a - dot / "
                "torch.dot(g_b, "
                "g_b) * g_b\n"
                "    new_b = "
                "g_b - dot / "
                "torch.dot(g_a, "
                "g_a) * g_a\n"
                "    return "
                "new_a, "
                "new_b\n",
                "    dot = "
                "(g_a * "
                "g_b).sum()\n"
                "    if dot < "
                "0:\n"
                "        "
                "return (\n"
                "            "
                "g_a - dot / "
                "(g_b * "
                "g_b).sum() * "
                "g_b,\n"
                "            "
                "g_b - dot / "
                "(g_a * "
                "g_a).sum() * "
                "g_a,\n"
                "        )\n"
                "    return "
                "g_a, g_b\n",
            )
        ],
        "in place on copies": [
            (
                "    dot = torch.dot(g_a, g_b)\n"
                "    if dot >= 0:\n"
                "        return g_a.clone(), g_b.clone()\n"
                "    new_a = g_a - dot / torch.dot(g_b, g_b) * "
                "g_b\n"
                "    new_b = g_b - dot / torch.dot(g_a, g_a) * "
                "g_a\n",
                "    new_a, new_b = g_a.clone(), g_b.clone()\n"
                "    dot = g_a @ g_b\n"
                "    if dot < 0:\n"
                "        new_a -= dot / (g_b @ g_b) * g_b\n"
                "        new_b -= dot / (g_a @ g_a) * g_a\n",
            )
        ],
    },
    "dwa_weights": {
        "plain math": [
            (
                "    last = torch.tensor(history[-1], dtype=torch.float64)\n"
                "    previous = torch.tensor(history[-2], dtype=torch.float64)\n"
                "    ratios = last / previous\n"
                "    return len(ratios) * torch.softmax(ratios / temperature, "
                "dim=0)\n",
                "    k = len(history[-1])\n"
                "    r = [a / b for a, b in zip(history[-1], history[-2])]\n"
                "    e = [math.exp(x / temperature) for x in r]\n"
                "    return torch.tensor([k * v / sum(e) for v in e], "
                "dtype=torch.float64)\n",
            )
        ],
        "log-sum-exp": [
            (
                "    return len(ratios) * torch.softmax(ratios / temperature, dim=0)\n",
                "    z = ratios / temperature\n"
                "    return len(ratios) * (z - torch.logsumexp(z, "
                "dim=0)).exp()\n",
            )
        ],
    },
    "soft_sharing_penalty": {
        "stacked sums of pow(2)": [
            (
                "    total = params_a[0].new_zeros(())\n"
                "    for a, b in zip(params_a, params_b):\n"
                "        total = total + ((a - b) ** "
                "2).sum()\n"
                "    return total\n",
                "    return torch.stack([(a - "
                "b).pow(2).sum() for a, b in zip(params_a, "
                "params_b)]).sum()\n",
            )
        ],
        "squared vector norms": [
            (
                "    total = params_a[0].new_zeros(())\n"
                "    for a, b in zip(params_a, params_b):\n"
                "        total = total + ((a - b) ** 2).sum()\n"
                "    return total\n",
                "    return sum(torch.linalg.vector_norm(a - "
                "b) ** 2 for a, b in zip(params_a, "
                "params_b))\n",
            )
        ],
    },
}
