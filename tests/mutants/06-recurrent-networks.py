"""Plausible-bug mutants of solutions/06-recurrent-networks/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "running_sum_weights": {
        "no negative half (input copied into both halves)": [
            ("        [eye, -eye]\n", "        [eye, eye]\n")
        ],
        "state not fed back": [
            (
                "    weight_hh = torch.cat(\n"
                "        [torch.cat([eye, -eye], dim=1), "
                "torch.cat([-eye, eye], dim=1)]\n"
                "    )\n",
                "    weight_hh = torch.zeros(2 * d, 2 * d)\n",
            )
        ],
        "identity recurrence (each half keeps only itself)": [
            (
                "    weight_hh = "
                "torch.cat(\n"
                "        "
                "[torch.cat([eye, "
                "-eye], dim=1), "
                "torch.cat([-eye, "
                "eye], dim=1)]\n"
                "    )\n",
                "    weight_hh = torch.eye(2 * d)\n",
            )
        ],
        "recurrent signs swapped": [
            (
                "        [torch.cat([eye, -eye], dim=1), "
                "torch.cat([-eye, eye], dim=1)]\n",
                "        [torch.cat([-eye, eye], dim=1), "
                "torch.cat([eye, -eye], dim=1)]\n",
            )
        ],
        "input weights transposed": [
            ("        [eye, -eye]\n", "        [eye, -eye], dim=1\n")
        ],
    },
    "rnn_unroll": {
        "padding not masked": [
            (
                "        h = torch.where(real, new, h)  # a finished "
                "sequence keeps its last state\n",
                "        h = new  # a finished sequence keeps its last state\n",
            )
        ],
        "outputs not zeroed on padding": [
            (
                "        outputs[:, t] = torch.where(real, new, "
                "torch.zeros_like(new))\n",
                "        outputs[:, t] = h\n",
            )
        ],
        "recurrent weight transposed": [
            (
                "        new = torch.tanh(x[:, t] @ weight_ih.T + "
                "bias_ih + h @ weight_hh.T + bias_hh)\n",
                "        new = torch.tanh(x[:, t] @ weight_ih.T + "
                "bias_ih + h @ weight_hh + bias_hh)\n",
            )
        ],
        "state not carried over": [
            (
                "    for t in range(T):\n",
                "    for t in range(T):\n"
                "        h = torch.zeros(B, H, dtype=x.dtype) if h0 is "
                "None else h0\n",
            )
        ],
        "h0 ignored": [
            (
                "    h = torch.zeros(B, H, dtype=x.dtype) if h0 is None else h0\n",
                "    h = torch.zeros(B, H, dtype=x.dtype)\n",
            )
        ],
        "mask off by one": [
            (
                "        real = (t < lengths).unsqueeze(\n",
                "        real = (t <= lengths).unsqueeze(\n",
            )
        ],
        "nn.RNN does the unrolling": [
            (
                "    outputs = torch.zeros(B, T, H, dtype=x.dtype)\n",
                "    outputs = torch.zeros(B, T, H, dtype=x.dtype)\n"
                "    rnn = nn.RNN(x.shape[-1], H, "
                "batch_first=True)\n"
                "    rnn.load_state_dict(\n"
                "        dict(\n"
                "            zip(\n"
                '                ["weight_ih_l0", "weight_hh_l0", '
                '"bias_ih_l0", "bias_hh_l0"],\n'
                "                [weight_ih, weight_hh, bias_ih, "
                "bias_hh],\n"
                "            )\n"
                "        )\n"
                "    )\n"
                "    packed = nn.utils.rnn.pack_padded_sequence(\n"
                "        x, lengths, batch_first=True, "
                "enforce_sorted=False\n"
                "    )\n"
                "    with torch.no_grad():\n"
                "        out, h_n = rnn(packed, None if h0 is None "
                "else h0[None])\n"
                "    out, _ = nn.utils.rnn.pad_packed_sequence(out, "
                "batch_first=True, total_length=T)\n"
                "    return out, h_n[0]\n",
            )
        ],
    },
    "bptt_gradients": {
        "gradient not carried back through time": [
            (
                "        delta = g[t] + carry  # "
                "total gradient with respect to "
                "the state of this step\n",
                "        delta = g[t]  # total "
                "gradient with respect to the "
                "state of this step\n",
            )
        ],
        "carried back through U instead of its transpose": [
            ("        carry = U.T @ da\n", "        carry = U @ da\n")
        ],
        "outer product with the new state": [
            (
                "        dU += torch.outer(da, h_prev)\n",
                "        dU += torch.outer(da, hs[t])\n",
            )
        ],
        "tanh derivative taken at the previous state": [
            (
                "        da = delta * (1 - hs[t] ** 2)  # through the tanh\n",
                "        da = delta * (1 - "
                "(hs[t - 1] if t > 0 else h0) "
                "** 2)  # through the "
                "tanh\n",
            )
        ],
        "first step skipped": [
            (
                "    for t in reversed(range(T)):\n",
                "    for t in reversed(range(1, T)):\n",
            )
        ],
        "adds into g in place": [
            (
                "        delta = g[t] + carry  # total gradient with "
                "respect to the state of this step\n",
                "        delta = g[t]\n"
                "        delta += carry  # total gradient with "
                "respect to the state of this step\n",
            )
        ],
        "gradients by autograd": [
            (
                "        hs.append(h)\n",
                "        hs.append(h)\n"
                "    params = [p.clone().requires_grad_() for p in "
                "(W, U, b)]\n"
                "    with torch.enable_grad():\n"
                "        state, total = h0, 0.0\n"
                "        for t in range(T):\n"
                "            state = torch.tanh(params[0] @ xs[t] + "
                "params[1] @ state + params[2])\n"
                "            total = total + (g[t] * state).sum()\n"
                "        total.backward()\n"
                "    return tuple(p.grad for p in params)\n",
            )
        ],
    },
    "rtrl_sensitivities": {
        "immediate term missing": [
            (
                "        S = (1 - h_new**2)[:, None, None] * "
                "(immediate + through_state)\n",
                "        S = (1 - h_new**2)[:, None, None] * through_state\n",
            )
        ],
        "sensitivity not carried forward": [
            (
                "        S = (1 - h_new**2)[:, None, "
                "None] * (immediate + "
                "through_state)\n",
                "        S = (1 - h_new**2)[:, None, None] * immediate\n",
            )
        ],
        "tanh derivative missing": [
            (
                "        S = (1 - h_new**2)[:, None, None] * "
                "(immediate + through_state)\n",
                "        S = immediate + through_state\n",
            )
        ],
        "immediate term uses the new state": [
            (
                "            eye[:, :, None] * h[None, None, :]\n",
                "            eye[:, :, None] * h_new[None, None, :]\n",
            )
        ],
        "U transposed in the recursion": [
            ('            "im,mjk->ijk", U, S\n', '            "mi,mjk->ijk", U, S\n')
        ],
        "autograd's Jacobian": [
            (
                "    ### BEGIN SOLUTION\n",
                "    ### BEGIN SOLUTION\n"
                "    def states(U_):\n"
                "        h, out = h0, []\n"
                "        for x in xs:\n"
                "            h = torch.tanh(W @ x + U_ @ h + b)\n"
                "            out.append(h)\n"
                "        return torch.stack(out)\n"
                "\n"
                "    return "
                "torch.autograd.functional.jacobian(states, "
                "U)\n",
            ),
        ],
    },
    "clip_by_global_norm": {
        "clips each tensor on its own": [
            (
                "    scale = max_norm / total if total "
                "> max_norm else 1.0\n"
                "    return [g * scale for g in grads], "
                "total\n",
                "    return [g * min(1.0, max_norm / "
                "max(float(g.norm()), 1e-12)) for g in "
                "grads], total\n",
            )
        ],
        "always rescales to max_norm": [
            (
                "    scale = max_norm / total if total > max_norm else 1.0\n",
                "    scale = max_norm / total\n",
            )
        ],
        "norm as the sum of the tensors' norms": [
            (
                "    total = math.sqrt(sum(float((g**2).sum()) for g in grads))\n",
                "    total = sum(float(g.norm()) for g in grads)\n",
            )
        ],
        "squared norm compared with max_norm": [
            (
                "    total = math.sqrt(sum(float((g**2).sum()) for g in grads))\n",
                "    total = sum(float((g**2).sum()) for g in grads)\n",
            )
        ],
        "PyTorch's clip_grad_norm_": [
            (
                "    total = math.sqrt(sum(float((g**2).sum()) for g in grads))\n",
                "    params = [torch.zeros_like(g, "
                "requires_grad=True) for g in grads]\n"
                "    for p, g in zip(params, grads):\n"
                "        p.grad = g.clone()\n"
                "    total = "
                "float(nn.utils.clip_grad_norm_(params, "
                "max_norm))\n"
                "    return [p.grad for p in params], "
                "total\n",
            )
        ],
        "clips in place": [
            (
                "    return [g * scale for g in grads], total\n",
                "    return [g.mul_(scale) for g in grads], total\n",
            )
        ],
    },
    "sample_with_temperature": {
        "multiplies by the temperature": [
            (
                "    scaled = logits / temperature\n",
                "    scaled = logits * temperature\n",
            )
        ],
        "no special case for temperature 0": [
            ("    if temperature == 0:\n        return logits.argmax(dim=-1)\n", "")
        ],
        "softmax over the batch axis": [
            ("        scaled, dim=-1\n", "        scaled, dim=0\n")
        ],
        "softmax without subtracting the maximum": [
            (
                "    probs = torch.softmax(\n        scaled, dim=-1\n",
                "    probs = "
                "scaled.exp() / "
                "scaled.exp().sum(\n"
                "        dim=-1, "
                "keepdim=True\n",
            )
        ],
        "inverse CDF off by one": [
            (
                "    )  # how many cumulative probabilities u has passed\n",
                "    ) - 1  # how many cumulative probabilities u has passed\n",
            )
        ],
    },
    "train_recall_model": {
        "plain tanh RNN instead of a GRU": [
            (
                "            self.rnn = nn.GRU(8, hidden, batch_first=True)\n",
                "            self.rnn = nn.RNN(8, hidden, batch_first=True)\n",
            )
        ],
        "learning rate far too small": [
            (
                "    adam = torch.optim.Adam(model.parameters(), lr=0.02)\n",
                "    adam = torch.optim.Adam(model.parameters(), lr=1e-4)\n",
            )
        ],
        "stops after 20 steps": [
            ("    for step in range(400):\n", "    for step in range(20):\n")
        ],
        # (Rolling the logits inside forward() is not a bug: training learns to undo it. Reading
        # the first state is not one either: the signal is the first symbol.)
        "trains on labels shifted by one": [
            (
                "        loss = "
                "nn.functional.cross_entropy(model(x[batch]), "
                "y[batch])\n",
                "        loss = "
                "nn.functional.cross_entropy(model(x[batch]), "
                "(y[batch] + 1) % 4)\n",
            )
        ],
    },
}


# Correct answers written the way a good student naturally would (buffers created with the default
# dtype, float32, as the prompt's inputs are): each must earn full marks.
FAIR_VARIANTS = {
    "rnn_unroll": {
        "float32 buffers made with torch.zeros": [
            (
                "    h = torch.zeros(B, H, "
                "dtype=x.dtype) if h0 is None else h0\n"
                "    outputs = torch.zeros(B, T, H, "
                "dtype=x.dtype)\n",
                "    h = torch.zeros(B, H) if h0 is "
                "None else h0\n"
                "    outputs = torch.zeros(B, T, "
                "H)\n",
            )
        ]
    },
    "bptt_gradients": {
        "float32 buffers made with torch.zeros": [
            (
                "    dW, dU, db = "
                "torch.zeros_like(W), "
                "torch.zeros_like(U), "
                "torch.zeros_like(b)\n"
                "    carry = torch.zeros_like(h0)  "
                "# dL/dh_t that flows back from "
                "step t + 1\n",
                "    H, d = W.shape\n"
                "    dW, dU, db = torch.zeros(H, "
                "d), torch.zeros(H, H), "
                "torch.zeros(H)\n"
                "    carry = torch.zeros(H)  # "
                "dL/dh_t that flows back from step "
                "t + 1\n",
            )
        ]
    },
    "rtrl_sensitivities": {
        "float32 buffers made with torch.zeros and torch.eye": [
            (
                "    eye = "
                "torch.eye(H, "
                "dtype=U.dtype)\n"
                "    S = "
                "torch.zeros(H, "
                "H, H, "
                "dtype=U.dtype)\n",
                "    eye = torch.eye(H)\n    S = torch.zeros(H, H, H)\n",
            )
        ],
        "the recursion written with matmul instead of einsum": [
            (
                "        "
                "through_state = "
                "torch.einsum(\n"
                "            "
                '"im,mjk->ijk", '
                "U, S\n",
                "        "
                "through_state = "
                "(U @ "
                "S.reshape(H, H * "
                "H)).reshape(\n"
                "            H, "
                "H, H\n",
            )
        ],
    },
}
