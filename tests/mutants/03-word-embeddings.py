"""Plausible-bug mutants of solutions/03-word-embeddings/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "skipgram_pairs": {
        "center paired with itself": [
            ("            if j != i:\n", "            if True:\n")
        ],
        "window one word short on the right": [
            (
                "        for j in range(max(0, i - "
                "window), min(len(ids), i + window + "
                "1)):\n",
                "        for j in range(max(0, i - "
                "window), min(len(ids), i + "
                "window)):\n",
            )
        ],
        "left edge wraps around (negative index)": [
            (
                "        for j in range(max(0, i "
                "- window), min(len(ids), i + "
                "window + 1)):\n",
                "        for j in range(i - window, min(len(ids), i + window + 1)):\n",
            )
        ],
        "pairs as (context, center)": [
            (
                "                pairs.append((center, ids[j]))\n",
                "                pairs.append((ids[j], center))\n",
            )
        ],
        "right context only": [
            (
                "        for j in range(max(0, i - window), "
                "min(len(ids), i + window + 1)):\n",
                "        for j in range(i + 1, min(len(ids), i + window + 1)):\n",
            )
        ],
    },
    "keep_probability": {
        "the paper's sqrt(s / f) instead of word2vec's formula": [
            (
                "    keep = (torch.sqrt(f / sample) + 1) * sample / f\n",
                "    keep = torch.sqrt(sample / f)\n",
            )
        ],
        "not clipped at 1": [("    return keep.clamp(max=1.0)\n", "    return keep\n")],
        "raw counts used as frequencies": [
            ("    f = counts.double() / counts.sum()\n", "    f = counts.double()\n")
        ],
        "the + 1 left out": [
            (
                "    keep = (torch.sqrt(f / sample) + 1) * sample / f\n",
                "    keep = torch.sqrt(f / sample) * sample / f\n",
            )
        ],
        "single precision": [
            (
                "    f = counts.double() / counts.sum()\n",
                "    f = counts.float() / counts.sum()\n",
            )
        ],
    },
    "noise_distribution": {
        "power fixed at 0.75": [
            (
                "    weights = counts.double() ** power\n",
                "    weights = counts.double() ** 0.75\n",
            )
        ],
        "not normalised": [
            ("    return weights / weights.sum()\n", "    return weights\n")
        ],
        "normalised before the power": [
            (
                "    return weights / weights.sum()\n",
                "    return (counts.double() / counts.sum()) ** power\n",
            )
        ],
        "divided by the raw total": [
            (
                "    return weights / weights.sum()\n",
                "    return weights / counts.sum()\n",
            )
        ],
    },
    "sgns_loss_and_grads": {
        "positive gradient with the wrong sign": [
            (
                "    g_pos = torch.sigmoid(pos) - 1  # d loss / d pos\n",
                "    g_pos = 1 - torch.sigmoid(pos)  # d loss / d pos\n",
            )
        ],
        "negative gradient uses sigma(-s)": [
            (
                "    g_neg = torch.sigmoid(neg)  # d loss / d neg\n",
                "    g_neg = torch.sigmoid(-neg)  # d loss / d neg\n",
            )
        ],
        "negatives left out of grad_v": [
            (
                "    grad_v = g_pos.unsqueeze(-1) * "
                "u_pos + (g_neg.unsqueeze(-1) * "
                "u_neg).sum(1)\n",
                "    grad_v = g_pos.unsqueeze(-1) * u_pos\n",
            )
        ],
        "loss rewards the negatives": [
            (
                "    loss = -F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)\n",
                "    loss = -F.logsigmoid(pos) - F.logsigmoid(neg).sum(-1)\n",
            )
        ],
        "negatives averaged in grad_v": [
            (
                "    grad_v = g_pos.unsqueeze(-1) * "
                "u_pos + (g_neg.unsqueeze(-1) * "
                "u_neg).sum(1)\n",
                "    grad_v = g_pos.unsqueeze(-1) * "
                "u_pos + (g_neg.unsqueeze(-1) * "
                "u_neg).mean(1)\n",
            )
        ],
        "gradients by autograd, switched back on": [
            (
                "    grad_v = "
                "g_pos.unsqueeze(-1) * u_pos "
                "+ (g_neg.unsqueeze(-1) * "
                "u_neg).sum(1)\n"
                "    grad_pos = "
                "g_pos.unsqueeze(-1) * v\n"
                "    grad_neg = "
                "g_neg.unsqueeze(-1) * "
                "v.unsqueeze(1)\n",
                "    with "
                "torch.enable_grad():\n"
                "        leaves = "
                "[t.detach().clone().requires_grad_() "
                "for t in (v, u_pos, "
                "u_neg)]\n"
                "        lv, lp, ln = "
                "leaves\n"
                "        total = "
                "-F.logsigmoid((lv * "
                "lp).sum(-1)).sum()\n"
                "        total = total - "
                "F.logsigmoid(-(ln @ "
                "lv.unsqueeze(-1))).sum()\n"
                "        grad_v, grad_pos, "
                "grad_neg = "
                "torch.autograd.grad(total, "
                "leaves)\n",
            )
        ],
        "autograd hidden in a helper function": [
            (
                "def sgns_loss_and_grads(v: "
                "torch.Tensor, u_pos: "
                "torch.Tensor, u_neg: "
                "torch.Tensor):\n",
                "def _grads(f, *xs):\n"
                "    xs = "
                "[x.detach().clone().requires_grad_() "
                "for x in xs]\n"
                "    with torch.enable_grad():\n"
                "        f(*xs).backward()\n"
                "    return [x.grad for x in "
                "xs]\n"
                "\n"
                "\n"
                "def sgns_loss_and_grads(v: "
                "torch.Tensor, u_pos: "
                "torch.Tensor, u_neg: "
                "torch.Tensor):\n",
            ),
            (
                "    grad_v = "
                "g_pos.unsqueeze(-1) * u_pos + "
                "(g_neg.unsqueeze(-1) * "
                "u_neg).sum(1)\n"
                "    grad_pos = "
                "g_pos.unsqueeze(-1) * v\n"
                "    grad_neg = "
                "g_neg.unsqueeze(-1) * "
                "v.unsqueeze(1)\n",
                "    grad_v, grad_pos, grad_neg "
                "= _grads(\n"
                "        lambda a, b, c: (\n"
                "            -F.logsigmoid((a * "
                "b).sum(-1)) - F.logsigmoid(-(c "
                "@ a.unsqueeze(-1))).sum()\n"
                "        ).sum(),\n"
                "        v,\n"
                "        u_pos,\n"
                "        u_neg,\n"
                "    )\n",
            ),
        ],
    },
    "nearest_neighbours": {
        "dot product instead of cosine": [
            ("    unit = F.normalize(vectors, dim=1)\n", "    unit = vectors\n")
        ],
        "query is its own neighbour": [('    sims[query] = -float("inf")\n', "")],
        "normalised over the wrong axis": [
            (
                "    unit = F.normalize(vectors, dim=1)\n",
                "    unit = F.normalize(vectors, dim=0)\n",
            )
        ],
        "query assumed to be its own top hit": [
            (
                '    sims[query] = -float("inf")\n    return sims.topk(k).indices\n',
                "    return sims.topk(k + 1).indices[1:]\n",
            )
        ],
        "least similar first": [
            (
                "    return sims.topk(k).indices\n",
                "    return sims.topk(k).indices.flip(0)\n",
            )
        ],
        "normalises the caller's tensor in place": [
            (
                "    unit = F.normalize(vectors, dim=1)\n",
                "    unit = vectors.div_(vectors.norm(dim=1, keepdim=True))\n",
            )
        ],
    },
    "solve_analogies": {
        "question words not excluded": [
            (
                "    for words in (a, b, c):\n"
                "        scores[rows, words] = "
                '-float("inf")\n',
                "",
            )
        ],
        "only c excluded": [
            ("    for words in (a, b, c):\n", "    for words in (c,):\n")
        ],
        "every question's words masked for all questions": [
            (
                '        scores[rows, words] = -float("inf")\n',
                '        scores[:, words] = -float("inf")\n',
            )
        ],
        "offset with the wrong sign": [
            (
                "    target = unit[b] - unit[a] + unit[c]\n",
                "    target = unit[a] - unit[b] + unit[c]\n",
            )
        ],
        "raw vectors instead of unit vectors": [
            ("    unit = F.normalize(vectors, dim=1)\n", "    unit = vectors\n")
        ],
    },
    "spearman": {
        "ties broken by position": [
            (
                "    return less + (equal + 1) / 2\n",
                "    return torch.argsort(torch.argsort(values)).double() + 1\n",
            )
        ],
        "ties get the lowest rank": [
            ("    return less + (equal + 1) / 2\n", "    return less + 1\n")
        ],
        "ties get the highest rank": [
            ("    return less + (equal + 1) / 2\n", "    return less + equal\n")
        ],
        "Pearson of the raw values": [
            (
                "    rx = average_ranks(torch.as_tensor(x, "
                "dtype=torch.float64))\n"
                "    ry = average_ranks(torch.as_tensor(y, "
                "dtype=torch.float64))\n",
                "    rx = torch.as_tensor(x, dtype=torch.float64)\n"
                "    ry = torch.as_tensor(y, dtype=torch.float64)\n",
            )
        ],
        "the no-ties shortcut formula": [
            (
                "    rx, ry = rx - rx.mean(), ry - ry.mean()\n"
                "    return float((rx * ry).sum() / "
                "torch.sqrt((rx**2).sum() * (ry**2).sum()))\n",
                "    n = len(rx)\n"
                "    return float(1 - 6 * ((rx - ry) ** 2).sum() / "
                "(n * (n**2 - 1)))\n",
            )
        ],
    },
    "train_word_vectors": {
        "gradient ascent (signs of the updates flipped)": [
            (
                "        "
                "in_vectors.index_add_(0, "
                "center, -lr * "
                "grad_v)\n"
                "        "
                "out_vectors.index_add_(0, "
                "context, -lr * "
                "grad_pos)\n"
                "        "
                "out_vectors.index_add_(0, "
                "drawn.reshape(-1), "
                "-lr * "
                "grad_neg.reshape(-1, "
                "dim))\n",
                "        "
                "in_vectors.index_add_(0, "
                "center, lr * grad_v)\n"
                "        "
                "out_vectors.index_add_(0, "
                "context, lr * "
                "grad_pos)\n"
                "        "
                "out_vectors.index_add_(0, "
                "drawn.reshape(-1), lr "
                "* "
                "grad_neg.reshape(-1, "
                "dim))\n",
            )
        ],
        "learning rate far too small": [
            (
                "    dim, window, negatives, lr = 16, 2, 5, 0.05\n",
                "    dim, window, negatives, lr = 16, 2, 5, 1e-4\n",
            )
        ],
        "only the first batch trained": [
            (
                "    for batch in "
                "pairs[order].split(256):  # one epoch "
                "is enough on this corpus\n",
                "    for batch in "
                "pairs[order].split(256)[:1]:  # one "
                "epoch is enough on this corpus\n",
            )
        ],
        "output vectors started at zero and never updated": [
            (
                "        "
                "out_vectors.index_add_(0, "
                "context, -lr * "
                "grad_pos)\n"
                "        "
                "out_vectors.index_add_(0, "
                "drawn.reshape(-1), "
                "-lr * "
                "grad_neg.reshape(-1, "
                "dim))\n",
                "",
            )
        ],
    },
}


# Correct answers written the way a good student naturally would (float32 arithmetic where the
# prompt allows it): each must earn full marks.
FAIR_VARIANTS = {
    "keep_probability": {
        "frequencies in float32, converted at the end": [
            (
                "    f = counts.double() / counts.sum()\n",
                "    f = counts / counts.sum()\n",
            ),
            (
                "    return keep.clamp(max=1.0)\n",
                "    return keep.clamp(max=1.0).double()\n",
            ),
        ]
    },
    "noise_distribution": {
        "powers in float32, converted at the end": [
            (
                "    weights = "
                "counts.double() ** power\n"
                "    return weights / "
                "weights.sum()\n",
                "    weights = counts.float() "
                "** power\n"
                "    return (weights / "
                "weights.sum()).double()\n",
            )
        ]
    },
    "spearman": {
        "correlation of the ranks in float32": [
            (
                "    rx, ry = rx - rx.mean(), ry - ry.mean()\n",
                "    rx, ry = rx.float() - "
                "rx.float().mean(), ry.float() - "
                "ry.float().mean()\n",
            )
        ],
        "ranks by sorting, correlation by torch.corrcoef in float32": [
            (
                "    less = "
                "(values.unsqueeze(0) "
                "< "
                "values.unsqueeze(1)).sum(dim=1).double()\n"
                "    equal = "
                "(values.unsqueeze(0) "
                "== "
                "values.unsqueeze(1)).sum(dim=1).double()\n"
                "    return less + "
                "(equal + 1) / 2\n",
                "    order = "
                "torch.argsort(values)\n"
                "    ranks = "
                "torch.empty(len(values), "
                "dtype=torch.float64)\n"
                "    ranks[order] = "
                "torch.arange(1, "
                "len(values) + 1, "
                "dtype=torch.float64)\n"
                "    for v in "
                "values.unique():\n"
                "        "
                "ranks[values == v] "
                "= ranks[values == "
                "v].mean()\n"
                "    return ranks\n",
            ),
            (
                "    rx, ry = rx - "
                "rx.mean(), ry - "
                "ry.mean()\n"
                "    return "
                "float((rx * "
                "ry).sum() / "
                "torch.sqrt((rx**2).sum() "
                "* (ry**2).sum()))\n",
                "    return "
                "float(torch.corrcoef(torch.stack([rx, "
                "ry]).float())[0, "
                "1])\n",
            ),
        ],
    },
}
