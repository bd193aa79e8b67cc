"""Plausible-bug mutants of solutions/01-representations/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "mlp_forward": {
        "weights not transposed": [("layers[-1] @ w.T + b", "layers[-1] @ w + b")],
        "input left out of the list": [("    return layers", "    return layers[1:]")],
        "no activation on the last layer": [
            ("        layers.append(functions[name](layers[-1] @ w.T + b))",
             "        z = layers[-1] @ w.T + b\n"
             "        layers.append(z if len(layers) == len(weights) else functions[name](z))")],
        "bias added after the activation": [("functions[name](layers[-1] @ w.T + b)",
                                             "functions[name](layers[-1] @ w.T) + b")],
        "sigmoid mistaken for tanh": [('"sigmoid": torch.sigmoid', '"sigmoid": torch.tanh')],
    },
    "cross_entropy": {
        "no shift by the maximum": [("shifted = logits - logits.max(dim=1, keepdim=True).values",
                                     "shifted = logits")],
        "maximum over the batch axis": [("logits.max(dim=1, keepdim=True)",
                                         "logits.max(dim=0, keepdim=True)")],
        "summed, not averaged": [("(log_norm - true_logit).mean()", "(log_norm - true_logit).sum()")],
        "softmax over the batch axis": [("shifted.exp().sum(dim=1).log()",
                                         "shifted.exp().sum(dim=0).log()")],
        "logit of the wrong class": [("targets.unsqueeze(1)", "(targets - 1).unsqueeze(1)")],
    },
    "l2_loss_and_grads": {
        "bias penalised too": [("lam * w.pow(2).sum()", "lam * (w.pow(2).sum() + b.pow(2).sum())"),
                               ("grad_b = 2 * residual.sum(dim=0) / n",
                                "grad_b = 2 * residual.sum(dim=0) / n + 2 * lam * b")],
        "penalty gradient without the factor 2": [("+ 2 * lam * w", "+ lam * w")],
        "residual sign flipped in the gradient": [("grad_w = 2 * residual.T @ x / n",
                                                   "grad_w = -2 * residual.T @ x / n")],
        "mean over all N * k entries": [("residual.pow(2).sum() / n", "residual.pow(2).mean()")],
        "gradient not divided by N": [("grad_w = 2 * residual.T @ x / n", "grad_w = 2 * residual.T @ x")],
    },
    "conv2d": {
        "kernel flipped (true convolution)": [("weight[:, :, u, v]",
                                                "weight[:, :, k_h - 1 - u, k_w - 1 - v]")],
        "stride applied to rows only": [("cols = slice(v, v + stride * w_out, stride)",
                                         "cols = slice(v, v + w_out)"),
                                        ("w_out = (width + 2 * padding - k_w) // stride + 1",
                                         "w_out = width + 2 * padding - k_w + 1")],
        "bias ignored": [("        out += bias.view(1, c_out, 1, 1)", "        pass")],
        "input channels not summed (first only)": [('"nchw,oc->nohw", window, weight[:, :, u, v]',
                                                    '"nhw,o->nohw", window[:, 0], weight[:, 0, u, v]')],
        "computed in float32": [("dtype=x.dtype)", "dtype=torch.float32)"),
                                ("weight[:, :, u, v])", "weight[:, :, u, v]).float()")],
    },
    "max_pool2d": {
        "zero padding": [('value=float("-inf")', "value=0.0")],
        "stride 1 by default": [("stride = kernel_size if stride is None else stride",
                                 "stride = 1 if stride is None else stride")],
        "average instead of maximum": [
            ("            out = torch.maximum(out, window)",
             "            out = torch.where(out == float('-inf'), 0, out) + window / kernel_size ** 2")],
        "window one short": [("    for u in range(kernel_size):\n        for v in range(kernel_size):",
                              "    for u in range(kernel_size - 1):\n        for v in range(kernel_size - 1):")],
    },
    "receptive_field": {
        "jump updated before the size": [("        size += (kernel - 1) * jump\n        start -= padding * jump\n"
                                          "        jump *= stride",
                                          "        jump *= stride\n        size += (kernel - 1) * jump\n"
                                          "        start -= padding * jump")],
        "padding ignored": [("        start -= padding * jump\n", "")],
        "padding counted in input pixels": [("start -= padding * jump", "start -= padding")],
        "kernel size added whole": [("size += (kernel - 1) * jump", "size += kernel * jump")],
        "strides added instead of multiplied": [("jump *= stride", "jump += stride - 1")],
    },
}
