"""Plausible-bug mutants of solutions/01-representations/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "mlp_forward": {
        "weights not transposed": [
            (
                "        layers.append(functions[name](layers[-1] @ w.T + b))\n",
                "        layers.append(functions[name](layers[-1] @ w + b))\n",
            )
        ],
        "input left out of the list": [
            ("    return layers\n", "    return layers[1:]\n")
        ],
        "no activation on the last layer": [
            (
                "        layers.append(functions[name](layers[-1] @ w.T + b))\n",
                "        z = layers[-1] @ w.T + b\n"
                "        layers.append(z if len(layers) == "
                "len(weights) else functions[name](z))\n",
            )
        ],
        "bias added after the activation": [
            (
                "        layers.append(functions[name](layers[-1] @ w.T + b))\n",
                "        layers.append(functions[name](layers[-1] @ w.T) + b)\n",
            )
        ],
        "sigmoid mistaken for tanh": [
            ('        "sigmoid": torch.sigmoid,\n', '        "sigmoid": torch.tanh,\n')
        ],
    },
    "cross_entropy": {
        "no shift by the maximum": [
            (
                "    shifted = logits - logits.max(dim=1, keepdim=True).values\n",
                "    shifted = logits\n",
            )
        ],
        "maximum over the batch axis": [
            (
                "    shifted = logits - logits.max(dim=1, keepdim=True).values\n",
                "    shifted = logits - logits.max(dim=0, keepdim=True).values\n",
            )
        ],
        "summed, not averaged": [
            (
                "    return (log_norm - true_logit).mean()\n",
                "    return (log_norm - true_logit).sum()\n",
            )
        ],
        "softmax over the batch axis": [
            (
                "    log_norm = shifted.exp().sum(dim=1).log()\n",
                "    log_norm = shifted.exp().sum(dim=0).log()\n",
            )
        ],
        "logit of the wrong class": [
            (
                "    true_logit = shifted.gather(1, targets.unsqueeze(1)).squeeze(1)\n",
                "    true_logit = shifted.gather(1, (targets - "
                "1).unsqueeze(1)).squeeze(1)\n",
            )
        ],
    },
    "l2_loss_and_grads": {
        "bias penalised too": [
            (
                "    loss = residual.pow(2).sum() / n + lam * w.pow(2).sum()\n",
                "    loss = residual.pow(2).sum() / n + lam * "
                "(w.pow(2).sum() + b.pow(2).sum())\n",
            ),
            (
                "    grad_b = 2 * residual.sum(dim=0) / n\n",
                "    grad_b = 2 * residual.sum(dim=0) / n + 2 * lam * b\n",
            ),
        ],
        "penalty gradient without the factor 2": [
            (
                "    grad_w = 2 * residual.T @ x / n + 2 * lam * w\n",
                "    grad_w = 2 * residual.T @ x / n + lam * w\n",
            )
        ],
        "residual sign flipped in the gradient": [
            (
                "    grad_w = 2 * residual.T @ x / n + 2 * lam * w\n",
                "    grad_w = -2 * residual.T @ x / n + 2 * lam * w\n",
            )
        ],
        "mean over all N * k entries": [
            (
                "    loss = residual.pow(2).sum() / n + lam * w.pow(2).sum()\n",
                "    loss = residual.pow(2).mean() + lam * w.pow(2).sum()\n",
            )
        ],
        "gradient not divided by N": [
            (
                "    grad_w = 2 * residual.T @ x / n + 2 * lam * w\n",
                "    grad_w = 2 * residual.T @ x + 2 * lam * w\n",
            )
        ],
    },
    "conv2d": {
        "kernel flipped (true convolution)": [
            (
                "            out += "
                'torch.einsum("nchw,oc->nohw", window, '
                "weight[:, :, u, v])\n",
                "            out += torch.einsum(\n"
                '                "nchw,oc->nohw", window, '
                "weight[:, :, k_h - 1 - u, k_w - 1 - v]\n"
                "            )\n",
            )
        ],
        "stride applied to rows only": [
            (
                "    w_out = (width + 2 * padding - k_w) // stride + 1\n",
                "    w_out = width + 2 * padding - k_w + 1\n",
            ),
            (
                "            cols = slice(v, v + stride * w_out, stride)\n",
                "            cols = slice(v, v + w_out)\n",
            ),
        ],
        "bias ignored": [
            ("        out += bias.view(1, c_out, 1, 1)\n", "        pass\n")
        ],
        "input channels not summed (first only)": [
            (
                "            out += "
                'torch.einsum("nchw,oc->nohw", window, '
                "weight[:, :, u, v])\n",
                "            out += "
                'torch.einsum("nhw,o->nohw", window[:, 0], '
                "weight[:, 0, u, v])\n",
            )
        ],
        "computed in float32": [
            (
                "    out = torch.zeros(n, c_out, h_out, w_out, dtype=x.dtype)\n",
                "    out = torch.zeros(n, c_out, h_out, w_out, dtype=torch.float32)\n",
            ),
            (
                '            out += torch.einsum("nchw,oc->nohw", window, '
                "weight[:, :, u, v])\n",
                '            out += torch.einsum("nchw,oc->nohw", window, '
                "weight[:, :, u, v]).float()\n",
            ),
        ],
    },
    "max_pool2d": {
        "zero padding": [
            (
                "    padded = torch.nn.functional.pad(x, (padding,) * 4, "
                'value=float("-inf"))\n',
                "    padded = torch.nn.functional.pad(x, (padding,) * 4, value=0.0)\n",
            )
        ],
        "stride 1 by default": [
            (
                "    stride = kernel_size if stride is None else stride\n",
                "    stride = 1 if stride is None else stride\n",
            )
        ],
        "average instead of maximum": [
            (
                "            out = torch.maximum(out, window)\n",
                "            out = torch.where(out == "
                'float("-inf"), 0, out) + window / '
                "kernel_size**2\n",
            )
        ],
        "window one short": [
            (
                "    for u in range(kernel_size):\n"
                "        for v in range(kernel_size):\n",
                "    for u in range(kernel_size - 1):\n"
                "        for v in range(kernel_size - 1):\n",
            )
        ],
    },
    "receptive_field": {
        "jump updated before the size": [
            (
                "    for kernel, stride, padding in layers:\n",
                "    for kernel, stride, padding in layers:\n        jump *= stride\n",
            ),
            (
                "        start -= padding * jump\n        jump *= stride\n",
                "        start -= padding * jump\n",
            ),
        ],
        "padding ignored": [("        start -= padding * jump\n", "")],
        "padding counted in input pixels": [
            ("        start -= padding * jump\n", "        start -= padding\n")
        ],
        "kernel size added whole": [
            ("        size += (kernel - 1) * jump\n", "        size += kernel * jump\n")
        ],
        "strides added instead of multiplied": [
            ("        jump *= stride\n", "        jump += stride - 1\n")
        ],
    },
}


# Correct answers written differently from the reference: each must keep full marks.
FAIR_VARIANTS = {
    "mlp_forward": {
        "F.linear and a dict lookup": [
            (
                "    functions = {\n"
                '        "relu": torch.relu,\n'
                '        "tanh": torch.tanh,\n'
                '        "sigmoid": torch.sigmoid,\n'
                '        "identity": lambda z: z,\n'
                "    }\n"
                "    layers = [x]\n",
                "    out = [x]\n",
            ),
            (
                "        layers.append(functions[name](layers[-1] "
                "@ w.T + b))\n"
                "    return layers\n",
                "        z = torch.nn.functional.linear(out[-1], "
                "w, b)\n"
                '        act = {"relu": torch.relu, "tanh": '
                'torch.tanh, "sigmoid": torch.sigmoid}.get(\n'
                "            name\n"
                "        )\n"
                "        out.append(z if act is None else "
                "act(z))\n"
                "    return out\n",
            ),
        ]
    },
    "cross_entropy": {
        "max added back before subtracting the true logit": [
            (
                "    # Shift every row by "
                "its maximum: the largest "
                "exponent is then e^0 = "
                "1.\n"
                "    shifted = logits - "
                "logits.max(dim=1, "
                "keepdim=True).values\n"
                "    log_norm = "
                "shifted.exp().sum(dim=1).log()\n"
                "    true_logit = "
                "shifted.gather(1, "
                "targets.unsqueeze(1)).squeeze(1)\n"
                "    return (log_norm - "
                "true_logit).mean()\n",
                "    m = "
                "logits.max(dim=1).values\n"
                "    lse = m + "
                "torch.log(torch.exp(logits "
                "- m[:, None]).sum(1))\n"
                "    return (lse - "
                "logits[torch.arange(len(targets)), "
                "targets]).mean()\n",
            )
        ]
    },
    "l2_loss_and_grads": {
        "einsum, residual as target minus prediction": [
            (
                "    n = x.shape[0]\n"
                "    residual = x @ w.T + "
                "b - y  # (N, k)\n"
                "    loss = "
                "residual.pow(2).sum() / n "
                "+ lam * w.pow(2).sum()\n"
                "    grad_w = 2 * "
                "residual.T @ x / n + 2 * "
                "lam * w\n"
                "    grad_b = 2 * "
                "residual.sum(dim=0) / n\n"
                "    return loss, grad_w, "
                "grad_b\n",
                "    n = len(x)\n"
                "    r = y - "
                '(torch.einsum("kd,nd->nk", '
                "w, x) + b)\n"
                "    loss = (r * r).sum() "
                "/ n + lam * (w * "
                "w).sum()\n"
                "    grad_w = -2.0 / n * "
                'torch.einsum("nk,nd->kd", '
                "r, x) + 2 * lam * w\n"
                "    return loss, grad_w, "
                "-2.0 / n * r.sum(0)\n",
            )
        ]
    },
    "conv2d": {
        "loop over output positions": [
            (
                "    n, _, height, width = x.shape\n"
                "    c_out, _, k_h, k_w = weight.shape\n"
                "    padded = torch.nn.functional.pad(x, (padding, "
                "padding, padding, padding))\n"
                "    h_out = (height + 2 * padding - k_h) // stride + "
                "1\n"
                "    w_out = (width + 2 * padding - k_w) // stride + "
                "1\n"
                "    out = torch.zeros(n, c_out, h_out, w_out, "
                "dtype=x.dtype)\n"
                "    # One term per kernel position: the strided "
                "window of every output unit at once.\n"
                "    for u in range(k_h):\n"
                "        for v in range(k_w):\n"
                "            rows = slice(u, u + stride * h_out, "
                "stride)\n"
                "            cols = slice(v, v + stride * w_out, "
                "stride)\n"
                "            window = padded[:, :, rows, cols]\n"
                '            out += torch.einsum("nchw,oc->nohw", '
                "window, weight[:, :, u, v])\n"
                "    if bias is not None:\n"
                "        out += bias.view(1, c_out, 1, 1)\n"
                "    return out\n",
                "    n, c, h, w_ = x.shape\n"
                "    o, _, kh, kw = weight.shape\n"
                "    xp = torch.zeros(n, c, h + 2 * padding, w_ + 2 * "
                "padding, dtype=x.dtype)\n"
                "    xp[:, :, padding : padding + h, padding : padding "
                "+ w_] = x\n"
                "    ho, wo = (h + 2 * padding - kh) // stride + 1, "
                "(w_ + 2 * padding - kw) // stride + 1\n"
                "    out = torch.empty(n, o, ho, wo, dtype=x.dtype)\n"
                "    for i in range(ho):\n"
                "        for j in range(wo):\n"
                "            patch = xp[:, :, i * stride : i * stride "
                "+ kh, j * stride : j * stride + kw]\n"
                "            out[:, :, i, j] = "
                'torch.einsum("ncuv,ocuv->no", patch, weight)\n'
                "    return out if bias is None else out + bias[None, "
                ":, None, None]\n",
            )
        ]
    },
    "max_pool2d": {
        "Tensor.unfold windows": [
            (
                "    stride = kernel_size if stride is None else "
                "stride\n"
                "    padded = torch.nn.functional.pad(x, (padding,) * "
                '4, value=float("-inf"))\n'
                "    h_out = (x.shape[2] + 2 * padding - kernel_size) "
                "// stride + 1\n"
                "    w_out = (x.shape[3] + 2 * padding - kernel_size) "
                "// stride + 1\n"
                "    out = torch.full((*x.shape[:2], h_out, w_out), "
                'float("-inf"), dtype=x.dtype)\n'
                "    for u in range(kernel_size):\n"
                "        for v in range(kernel_size):\n"
                "            rows = slice(u, u + stride * h_out, "
                "stride)\n"
                "            cols = slice(v, v + stride * w_out, "
                "stride)\n"
                "            window = padded[:, :, rows, cols]\n"
                "            out = torch.maximum(out, window)\n"
                "    return out\n",
                "    s = stride or kernel_size\n"
                "    xp = torch.nn.functional.pad(x, [padding] * 4, "
                'value=-float("inf"))\n'
                "    return xp.unfold(2, kernel_size, s).unfold(3, "
                "kernel_size, s).amax(dim=(-1, -2))\n",
            )
        ]
    },
    "receptive_field": {
        "recursion from the last layer down": [
            (
                "    size, jump, start = 1, 1, 0\n"
                "    for kernel, stride, padding in "
                "layers:\n"
                "        size += (kernel - 1) * jump\n"
                "        start -= padding * jump\n",
                "    size, start, jump = 1, 0, 1\n"
                "    for kernel, stride, padding in "
                "reversed(layers):\n"
                "        size = (size - 1) * stride + "
                "kernel\n"
                "        start = start * stride - "
                "padding\n",
            )
        ]
    },
}
