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
        "nn.RNN does the unrolling": [
            ("    for t in range(T):\n",
             "    rnn = nn.RNN(x.shape[-1], H, batch_first=True)\n"
             "    rnn.load_state_dict(dict(zip(['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'],\n"
             "                                 [weight_ih, weight_hh, bias_ih, bias_hh])))\n"
             "    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)\n"
             "    with torch.no_grad():\n"
             "        out, h_n = rnn(packed, None if h0 is None else h0[None])\n"
             "    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=T)\n"
             "    return out, h_n[0]\n"
             "    for t in range(T):\n")],
    },
    "bptt_gradients": {
        "gradient not carried back through time": [("delta = g[t] + carry", "delta = g[t]")],
        "carried back through U instead of its transpose": [("carry = U.T @ da", "carry = U @ da")],
        "outer product with the new state": [("dU += torch.outer(da, h_prev)", "dU += torch.outer(da, hs[t])")],
        "tanh derivative taken at the previous state": [
            ("da = delta * (1 - hs[t] ** 2)", "da = delta * (1 - (hs[t - 1] if t > 0 else h0) ** 2)")],
        "first step skipped": [("for t in reversed(range(T)):", "for t in reversed(range(1, T)):")],
        "adds into g in place": [("delta = g[t] + carry", "delta = g[t]\n        delta += carry")],
        "gradients by autograd": [
            ("    dW, dU, db = torch.zeros_like(W), torch.zeros_like(U), torch.zeros_like(b)\n",
             "    params = [p.clone().requires_grad_() for p in (W, U, b)]\n"
             "    with torch.enable_grad():\n"
             "        state, total = h0, 0.0\n"
             "        for t in range(T):\n"
             "            state = torch.tanh(params[0] @ xs[t] + params[1] @ state + params[2])\n"
             "            total = total + (g[t] * state).sum()\n"
             "        total.backward()\n"
             "    return tuple(p.grad for p in params)\n"
             "    dW, dU, db = torch.zeros_like(W), torch.zeros_like(U), torch.zeros_like(b)\n")],
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
        "autograd's Jacobian": [
            ("    H = U.shape[0]\n",
             "    def states(U_):\n"
             "        h, out = h0, []\n"
             "        for x in xs:\n"
             "            h = torch.tanh(W @ x + U_ @ h + b)\n"
             "            out.append(h)\n"
             "        return torch.stack(out)\n"
             "    return torch.autograd.functional.jacobian(states, U)\n"
             "    H = U.shape[0]\n")],
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
        "PyTorch's clip_grad_norm_": [
            ("    total = math.sqrt(sum(float((g ** 2).sum()) for g in grads))\n",
             "    params = [torch.zeros_like(g, requires_grad=True) for g in grads]\n"
             "    for p, g in zip(params, grads):\n"
             "        p.grad = g.clone()\n"
             "    total = float(nn.utils.clip_grad_norm_(params, max_norm))\n"
             "    return [p.grad for p in params], total\n")],
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

MUTANTS["train_recall_model"] = {
    "plain tanh RNN instead of a GRU": [("self.rnn = nn.GRU(8, hidden, batch_first=True)",
                                         "self.rnn = nn.RNN(8, hidden, batch_first=True)")],
    "learning rate far too small": [("lr=0.02", "lr=1e-4")],
    "stops after 20 steps": [("for step in range(400):", "for step in range(20):")],
    # (Rolling the logits inside forward() is not a bug: training learns to undo it. Reading the first
    # state is not one either: the signal is the first symbol.)
    "trains on labels shifted by one": [
        ("cross_entropy(model(x[batch]), y[batch])", "cross_entropy(model(x[batch]), (y[batch] + 1) % 4)")],
}

# Correct answers written the way a good student naturally would (buffers created with the default
# dtype, float32, as the prompt's inputs are): each must earn full marks.
FAIR_VARIANTS = {
    "rnn_unroll": {
        "float32 buffers made with torch.zeros": [
            ("h = torch.zeros(B, H, dtype=x.dtype) if h0 is None else h0", "h = torch.zeros(B, H) if h0 is None else h0"),
            ("outputs = torch.zeros(B, T, H, dtype=x.dtype)", "outputs = torch.zeros(B, T, H)")],
    },
    "bptt_gradients": {
        "float32 buffers made with torch.zeros": [
            ("    dW, dU, db = torch.zeros_like(W), torch.zeros_like(U), torch.zeros_like(b)\n"
             "    carry = torch.zeros_like(h0)",
             "    H, d = W.shape\n"
             "    dW, dU, db = torch.zeros(H, d), torch.zeros(H, H), torch.zeros(H)\n"
             "    carry = torch.zeros(H)")],
    },
    "rtrl_sensitivities": {
        "float32 buffers made with torch.zeros and torch.eye": [
            ("eye = torch.eye(H, dtype=U.dtype)", "eye = torch.eye(H)"),
            ("S = torch.zeros(H, H, H, dtype=U.dtype)", "S = torch.zeros(H, H, H)")],
        "the recursion written with matmul instead of einsum": [
            ('through_state = torch.einsum("im,mjk->ijk", U, S)',
             "through_state = (U @ S.reshape(H, H * H)).reshape(H, H, H)")],
    },
}
