"""Plausible-bug mutants of solutions/03-word-embeddings/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "skipgram_pairs": {
        "center paired with itself": [("if j != i:", "if True:")],
        "window one word short on the right": [("min(len(ids), i + window + 1)", "min(len(ids), i + window)")],
        "left edge wraps around (negative index)": [("range(max(0, i - window),", "range(i - window,")],
        "pairs as (context, center)": [("pairs.append((center, ids[j]))", "pairs.append((ids[j], center))")],
        "right context only": [("range(max(0, i - window),", "range(i + 1,")],
    },
    "keep_probability": {
        "the paper's sqrt(s / f) instead of word2vec's formula": [
            ("keep = (torch.sqrt(f / sample) + 1) * sample / f", "keep = torch.sqrt(sample / f)")],
        "not clipped at 1": [("return keep.clamp(max=1.0)", "return keep")],
        "raw counts used as frequencies": [("f = counts.double() / counts.sum()", "f = counts.double()")],
        "the + 1 left out": [("(torch.sqrt(f / sample) + 1)", "torch.sqrt(f / sample)")],
        "single precision": [("f = counts.double() / counts.sum()", "f = counts.float() / counts.sum()")],
    },
    "noise_distribution": {
        "power fixed at 0.75": [("weights = counts.double() ** power", "weights = counts.double() ** 0.75")],
        "not normalised": [("return weights / weights.sum()", "return weights")],
        "normalised before the power": [("return weights / weights.sum()",
                                         "return (counts.double() / counts.sum()) ** power")],
        "divided by the raw total": [("return weights / weights.sum()", "return weights / counts.sum()")],
    },
    "sgns_loss_and_grads": {
        "positive gradient with the wrong sign": [("g_pos = torch.sigmoid(pos) - 1", "g_pos = 1 - torch.sigmoid(pos)")],
        "negative gradient uses sigma(-s)": [("g_neg = torch.sigmoid(neg)", "g_neg = torch.sigmoid(-neg)")],
        "negatives left out of grad_v": [
            ("grad_v = g_pos.unsqueeze(-1) * u_pos + (g_neg.unsqueeze(-1) * u_neg).sum(1)",
             "grad_v = g_pos.unsqueeze(-1) * u_pos")],
        "loss rewards the negatives": [("- F.logsigmoid(-neg).sum(-1)", "- F.logsigmoid(neg).sum(-1)")],
        "negatives averaged in grad_v": [("(g_neg.unsqueeze(-1) * u_neg).sum(1)", "(g_neg.unsqueeze(-1) * u_neg).mean(1)")],
        "gradients by autograd, switched back on": [
            ("    grad_v = g_pos.unsqueeze(-1) * u_pos + (g_neg.unsqueeze(-1) * u_neg).sum(1)\n"
             "    grad_pos = g_pos.unsqueeze(-1) * v\n"
             "    grad_neg = g_neg.unsqueeze(-1) * v.unsqueeze(1)\n",
             "    with torch.enable_grad():\n"
             "        leaves = [t.detach().clone().requires_grad_() for t in (v, u_pos, u_neg)]\n"
             "        lv, lp, ln = leaves\n"
             "        total = -F.logsigmoid((lv * lp).sum(-1)).sum()\n"
             "        total = total - F.logsigmoid(-(ln @ lv.unsqueeze(-1))).sum()\n"
             "        grad_v, grad_pos, grad_neg = torch.autograd.grad(total, leaves)\n")],
        "autograd hidden in a helper function": [
            ("def sgns_loss_and_grads(",
             "def _grads(f, *xs):\n"
             "    xs = [x.detach().clone().requires_grad_() for x in xs]\n"
             "    with torch.enable_grad():\n"
             "        f(*xs).backward()\n"
             "    return [x.grad for x in xs]\n\n\n"
             "def sgns_loss_and_grads("),
            ("    grad_v = g_pos.unsqueeze(-1) * u_pos + (g_neg.unsqueeze(-1) * u_neg).sum(1)\n"
             "    grad_pos = g_pos.unsqueeze(-1) * v\n"
             "    grad_neg = g_neg.unsqueeze(-1) * v.unsqueeze(1)\n",
             "    grad_v, grad_pos, grad_neg = _grads(\n"
             "        lambda a, b, c: (-F.logsigmoid((a * b).sum(-1))\n"
             "                         - F.logsigmoid(-(c @ a.unsqueeze(-1))).sum()).sum(), v, u_pos, u_neg)\n")],
    },
    "nearest_neighbours": {
        "dot product instead of cosine": [("unit = F.normalize(vectors, dim=1)", "unit = vectors")],
        "query is its own neighbour": [('    sims[query] = -float("inf")\n', "")],
        "normalised over the wrong axis": [("F.normalize(vectors, dim=1)", "F.normalize(vectors, dim=0)")],
        "query assumed to be its own top hit": [
            ('    sims[query] = -float("inf")\n    return sims.topk(k).indices',
             "    return sims.topk(k + 1).indices[1:]")],
        "least similar first": [("return sims.topk(k).indices", "return sims.topk(k).indices.flip(0)")],
        "normalises the caller's tensor in place": [
            ("unit = F.normalize(vectors, dim=1)", "unit = vectors.div_(vectors.norm(dim=1, keepdim=True))")],
    },
    "solve_analogies": {
        "question words not excluded": [("    for words in (a, b, c):\n        scores[rows, words] = -float(\"inf\")\n", "")],
        "only c excluded": [("for words in (a, b, c):", "for words in (c,):")],
        "every question's words masked for all questions": [("scores[rows, words]", "scores[:, words]")],
        "offset with the wrong sign": [("target = unit[b] - unit[a] + unit[c]", "target = unit[a] - unit[b] + unit[c]")],
        "raw vectors instead of unit vectors": [("unit = F.normalize(vectors, dim=1)", "unit = vectors")],
    },
    "spearman": {
        "ties broken by position": [("    return less + (equal + 1) / 2",
                                     "    return torch.argsort(torch.argsort(values)).double() + 1")],
        "ties get the lowest rank": [("return less + (equal + 1) / 2", "return less + 1")],
        "ties get the highest rank": [("return less + (equal + 1) / 2", "return less + equal")],
        "Pearson of the raw values": [
            ("rx = average_ranks(torch.as_tensor(x, dtype=torch.float64))", "rx = torch.as_tensor(x, dtype=torch.float64)"),
            ("ry = average_ranks(torch.as_tensor(y, dtype=torch.float64))", "ry = torch.as_tensor(y, dtype=torch.float64)")],
        "the no-ties shortcut formula": [
            ("    rx, ry = rx - rx.mean(), ry - ry.mean()\n"
             "    return float((rx * ry).sum() / torch.sqrt((rx ** 2).sum() * (ry ** 2).sum()))",
             "    n = len(rx)\n"
             "    return float(1 - 6 * ((rx - ry) ** 2).sum() / (n * (n ** 2 - 1)))")],
    },
    "train_word_vectors": {
        "gradient ascent (signs of the updates flipped)": [
            ("in_vectors.index_add_(0, center, -lr * grad_v)", "in_vectors.index_add_(0, center, lr * grad_v)"),
            ("out_vectors.index_add_(0, context, -lr * grad_pos)", "out_vectors.index_add_(0, context, lr * grad_pos)"),
            ("-lr * grad_neg.reshape(-1, dim)", "lr * grad_neg.reshape(-1, dim)")],
        "learning rate far too small": [("dim, window, negatives, lr = 16, 2, 5, 0.05",
                                         "dim, window, negatives, lr = 16, 2, 5, 1e-4")],
        "only the first batch trained": [("for batch in pairs[order].split(256):",
                                          "for batch in pairs[order].split(256)[:1]:")],
        "output vectors started at zero and never updated": [
            ("        out_vectors.index_add_(0, context, -lr * grad_pos)\n"
             "        out_vectors.index_add_(0, drawn.reshape(-1), -lr * grad_neg.reshape(-1, dim))\n", "")],
    },
}

# Correct answers written the way a good student naturally would (float32 arithmetic where the
# prompt allows it): each must earn full marks.
FAIR_VARIANTS = {
    "keep_probability": {
        "frequencies in float32, converted at the end": [
            ("f = counts.double() / counts.sum()", "f = counts / counts.sum()"),
            ("return keep.clamp(max=1.0)", "return keep.clamp(max=1.0).double()")],
    },
    "noise_distribution": {
        "powers in float32, converted at the end": [
            ("weights = counts.double() ** power", "weights = counts.float() ** power"),
            ("return weights / weights.sum()", "return (weights / weights.sum()).double()")],
    },
    "spearman": {
        "correlation of the ranks in float32": [
            ("rx, ry = rx - rx.mean(), ry - ry.mean()",
             "rx, ry = rx.float() - rx.float().mean(), ry.float() - ry.float().mean()")],
        "ranks by sorting, correlation by torch.corrcoef in float32": [
            ("    less = (values.unsqueeze(0) < values.unsqueeze(1)).sum(dim=1).double()\n"
             "    equal = (values.unsqueeze(0) == values.unsqueeze(1)).sum(dim=1).double()\n"
             "    return less + (equal + 1) / 2",
             "    order = torch.argsort(values)\n"
             "    ranks = torch.empty(len(values), dtype=torch.float64)\n"
             "    ranks[order] = torch.arange(1, len(values) + 1, dtype=torch.float64)\n"
             "    for v in values.unique():\n"
             "        ranks[values == v] = ranks[values == v].mean()\n"
             "    return ranks"),
            ("    rx, ry = rx - rx.mean(), ry - ry.mean()\n"
             "    return float((rx * ry).sum() / torch.sqrt((rx ** 2).sum() * (ry ** 2).sum()))",
             "    return float(torch.corrcoef(torch.stack([rx, ry]).float())[0, 1])")],
    },
}
