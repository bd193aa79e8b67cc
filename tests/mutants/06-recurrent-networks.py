"""Plausible-bug mutants of solutions/06-recurrent-networks/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "running_sum_weights": {
        "no negative half (input copied into both halves)": [
            ("weight_ih = torch.cat([eye, -eye])", "weight_ih = torch.cat([eye, eye])")],
        "state not fed back": [
            ("weight_hh = torch.cat([torch.cat([eye, -eye], dim=1), torch.cat([-eye, eye], dim=1)])",
             "weight_hh = torch.zeros(2 * d, 2 * d)")],
        "identity recurrence (each half keeps only itself)": [
            ("weight_hh = torch.cat([torch.cat([eye, -eye], dim=1), torch.cat([-eye, eye], dim=1)])",
             "weight_hh = torch.eye(2 * d)")],
        "recurrent signs swapped": [
            ("weight_hh = torch.cat([torch.cat([eye, -eye], dim=1), torch.cat([-eye, eye], dim=1)])",
             "weight_hh = torch.cat([torch.cat([-eye, eye], dim=1), torch.cat([eye, -eye], dim=1)])")],
        "input weights transposed": [
            ("weight_ih = torch.cat([eye, -eye])", "weight_ih = torch.cat([eye, -eye], dim=1)")],
    },
    "rnn_unroll": {
        "padding not masked": [("h = torch.where(real, new, h)", "h = new")],
        "outputs not zeroed on padding": [
            ("outputs[:, t] = torch.where(real, new, torch.zeros_like(new))", "outputs[:, t] = h")],
        "recurrent weight transposed": [("h @ weight_hh.T", "h @ weight_hh")],
        "state not carried over": [
            ("    for t in range(T):\n",
             "    for t in range(T):\n        h = torch.zeros(B, H, dtype=x.dtype) if h0 is None else h0\n")],
        "h0 ignored": [("h = torch.zeros(B, H, dtype=x.dtype) if h0 is None else h0",
                        "h = torch.zeros(B, H, dtype=x.dtype)")],
        "mask off by one": [("real = (t < lengths)", "real = (t <= lengths)")],
    },
    "bptt_gradients": {
        "gradient not carried back through time": [("delta = g[t] + carry", "delta = g[t]")],
        "carried back through U instead of its transpose": [("carry = U.T @ da", "carry = U @ da")],
        "outer product with the new state": [("dU += torch.outer(da, h_prev)", "dU += torch.outer(da, hs[t])")],
        "tanh derivative taken at the previous state": [
            ("da = delta * (1 - hs[t] ** 2)", "da = delta * (1 - (hs[t - 1] if t > 0 else h0) ** 2)")],
        "first step skipped": [("for t in reversed(range(T)):", "for t in reversed(range(1, T)):")],
        "adds into g in place": [("delta = g[t] + carry", "delta = g[t]\n        delta += carry")],
    },
    "rtrl_sensitivities": {
        "immediate term missing": [("S = (1 - h_new ** 2)[:, None, None] * (immediate + through_state)",
                                    "S = (1 - h_new ** 2)[:, None, None] * through_state")],
        "sensitivity not carried forward": [("S = (1 - h_new ** 2)[:, None, None] * (immediate + through_state)",
                                             "S = (1 - h_new ** 2)[:, None, None] * immediate")],
        "tanh derivative missing": [("S = (1 - h_new ** 2)[:, None, None] * (immediate + through_state)",
                                     "S = immediate + through_state")],
        "immediate term uses the new state": [("eye[:, :, None] * h[None, None, :]",
                                               "eye[:, :, None] * h_new[None, None, :]")],
        "U transposed in the recursion": [('torch.einsum("im,mjk->ijk", U, S)', 'torch.einsum("mi,mjk->ijk", U, S)')],
    },
    "clip_by_global_norm": {
        "clips each tensor on its own": [
            ("    scale = max_norm / total if total > max_norm else 1.0\n"
             "    return [g * scale for g in grads], total",
             "    return [g * min(1.0, max_norm / max(float(g.norm()), 1e-12)) for g in grads], total")],
        "always rescales to max_norm": [("scale = max_norm / total if total > max_norm else 1.0",
                                         "scale = max_norm / total")],
        "norm as the sum of the tensors' norms": [
            ("total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))",
             "total = sum(float(g.norm()) for g in grads)")],
        "squared norm compared with max_norm": [
            ("total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))",
             "total = sum(float((g ** 2).sum()) for g in grads)")],
        "clips in place": [("return [g * scale for g in grads], total",
                            "return [g.mul_(scale) for g in grads], total")],
    },
    "sample_with_temperature": {
        "multiplies by the temperature": [("scaled = logits / temperature", "scaled = logits * temperature")],
        "no special case for temperature 0": [
            ("    if temperature == 0:\n        return logits.argmax(dim=-1)\n", "")],
        "softmax over the batch axis": [("probs = torch.softmax(scaled, dim=-1)", "probs = torch.softmax(scaled, dim=0)")],
        "softmax without subtracting the maximum": [
            ("probs = torch.softmax(scaled, dim=-1)", "probs = scaled.exp() / scaled.exp().sum(dim=-1, keepdim=True)")],
        "inverse CDF off by one": [("index = (cdf <= u[:, None]).sum(dim=-1)",
                                    "index = (cdf <= u[:, None]).sum(dim=-1) - 1")],
    },
}
