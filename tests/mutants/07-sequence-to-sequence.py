"""Plausible-bug mutants of solutions/07-sequence-to-sequence/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "shift_targets": {
        "</s> at the end of the row, not after the real ids": [
            (
                "        positions == "
                "n, "
                "torch.full_like(padded, "
                "eos_id), decoder_out\n",
                "        positions == "
                "T, "
                "torch.full_like(padded, "
                "eos_id), "
                "decoder_out\n",
            )
        ],
        "padding of the targets kept in decoder_out": [
            (
                "    decoder_out = "
                "torch.where(positions < n, "
                "padded, "
                "torch.full_like(padded, "
                "pad_id))\n",
                "    decoder_out = padded.clone()\n",
            )
        ],
        "decoder_in keeps one id too few": [
            (
                "    decoder_in = torch.where(positions <= "
                "n, shifted, torch.full_like(shifted, "
                "pad_id))\n",
                "    decoder_in = torch.where(positions < "
                "n, shifted, torch.full_like(shifted, "
                "pad_id))\n",
            )
        ],
        "decoder_in without <s> (targets not shifted)": [
            (
                "    shifted = torch.cat([bos, targets], dim=1)\n",
                "    shifted = torch.cat([targets, bos], dim=1)\n",
            )
        ],
        "targets padded in place": [
            (
                "    batch, T = targets.shape\n",
                "    batch, T = targets.shape\n"
                "    targets[torch.arange(T).unsqueeze(0) >= "
                "lengths.unsqueeze(1)] = pad_id\n",
            )
        ],
    },
    "attention_context": {
        "no scaling by sqrt(d)": [
            (
                "    scores = (keys @ "
                "query.unsqueeze(-1)).squeeze(-1) / "
                "math.sqrt(d)\n",
                "    scores = (keys @ query.unsqueeze(-1)).squeeze(-1)\n",
            )
        ],
        "scaled by d instead of sqrt(d)": [
            (
                "    scores = (keys @ "
                "query.unsqueeze(-1)).squeeze(-1) / "
                "math.sqrt(d)\n",
                "    scores = (keys @ query.unsqueeze(-1)).squeeze(-1) / d\n",
            )
        ],
        "padding not masked": [
            ('    scores = scores.masked_fill(~mask, float("-inf"))\n', "")
        ],
        "masked by zeroing the scores": [
            (
                '    scores = scores.masked_fill(~mask, float("-inf"))\n',
                "    scores = scores * mask\n",
            )
        ],
        "softmax over the batch": [
            (
                "    weights = torch.softmax(scores, dim=-1)\n",
                "    weights = torch.softmax(scores, dim=0)\n",
            )
        ],
        "weights returned in float32": [
            ("    return weights, context\n", "    return weights.float(), context\n")
        ],
    },
    "greedy_decode": {
        "</s> left out of the output": [
            ("        prefix.append(token)\n", ""),
            (
                "            break\n",
                "            break\n        prefix.append(token)\n",
            ),
        ],
        "does not stop at </s>": [
            ("        if token == eos_id:\n            break\n", "")
        ],
        "<s> in the output": [("    return prefix[1:]\n", "    return prefix\n")],
        "one id too many": [
            ("    for _ in range(max_len):\n", "    for _ in range(max_len + 1):\n")
        ],
        "decoder fed only the last id": [
            (
                "        token = int(torch.argmax(next_logits(prefix)))\n",
                "        token = int(torch.argmax(next_logits(prefix[-1:])))\n",
            )
        ],
    },
    "beam_search": {
        "no length normalisation": [
            (
                "        normalised = score / (len(prefix) - 1) ** alpha\n",
                "        normalised = score\n",
            )
        ],
        "<s> counted in the length": [
            (
                "        normalised = score / (len(prefix) - 1) ** alpha\n",
                "        normalised = score / len(prefix) ** alpha\n",
            )
        ],
        "logits summed instead of log-probabilities": [
            (
                "            log_probs = "
                "torch.log_softmax(next_logits(prefix), "
                "dim=-1)\n",
                "            log_probs = next_logits(prefix)\n",
            )
        ],
        "unfinished hypotheses dropped at max_len": [("    finished += beams\n", "")],
        "beam one narrower": [
            (
                "        for prefix, score in candidates[:beam_width]:\n",
                "        for prefix, score in candidates[: max(beam_width - 1, 1)]:\n",
            )
        ],
        "finished hypotheses kept on the beam": [
            (
                "            (finished if prefix[-1] == "
                "eos_id else beams).append((prefix, "
                "score))\n",
                "            beams.append((prefix, score))\n",
            )
        ],
    },
    "edit_distance": {
        "first column starts at 0": [
            (
                "        current = [i] + [0] * len(b)\n",
                "        current = [0] + [0] * len(b)\n",
            )
        ],
        "substitution costs 2": [
            (
                "            substitute = previous[j - 1] + (a[i - 1] != b[j - 1])\n",
                "            substitute = previous[j - 1] + 2 * (a[i "
                "- 1] != b[j - 1])\n",
            )
        ],
        "no insertions": [
            (
                "            current[j] = min(previous[j] + 1, current[j - "
                "1] + 1, substitute)\n",
                "            current[j] = min(previous[j] + 1, substitute)\n",
            )
        ],
        "compares the wrong symbols": [
            (
                "            substitute = previous[j - 1] + (a[i - 1] != b[j - 1])\n",
                "            substitute = previous[j - 1] + (a[i - 1] != b[j - 2])\n",
            )
        ],
        "returns a float": [
            ("    return previous[-1]\n", "    return float(previous[-1])\n")
        ],
    },
    "add_target_token": {
        "token appended instead of prepended": [
            (
                "    shifted = torch.cat([token_ids.unsqueeze(1), src], dim=1)\n",
                "    shifted = torch.cat([src, token_ids.unsqueeze(1)], dim=1)\n",
            )
        ],
        "lengths not increased": [
            ("    new_lengths = lengths + 1\n", "    new_lengths = lengths\n")
        ],
        "padding of the source kept": [
            (
                "    new_src = torch.where(\n"
                "        positions < "
                "new_lengths.unsqueeze(1), shifted, "
                "torch.full_like(shifted, pad_id)\n"
                "    )\n",
                "    new_src = shifted\n",
            )
        ],
        "lengths increased in place": [
            ("    new_lengths = lengths + 1\n", "    new_lengths = lengths.add_(1)\n")
        ],
        "last real id cut": [
            (
                "        positions < new_lengths.unsqueeze(1), "
                "shifted, torch.full_like(shifted, pad_id)\n",
                "        positions < lengths.unsqueeze(1), shifted, "
                "torch.full_like(shifted, pad_id)\n",
            )
        ],
    },
    "compose_tree": {
        "children swapped": [
            (
                "    return torch.tanh(W @ torch.cat([left, right]) + b)\n",
                "    return torch.tanh(W @ torch.cat([right, left]) + b)\n",
            )
        ],
        "no bias": [
            (
                "    return torch.tanh(W @ torch.cat([left, right]) + b)\n",
                "    return torch.tanh(W @ torch.cat([left, right]))\n",
            )
        ],
        "relu instead of tanh": [
            (
                "    return torch.tanh(W @ torch.cat([left, right]) + b)\n",
                "    return torch.relu(W @ torch.cat([left, right]) + b)\n",
            )
        ],
        "leaves squashed by tanh": [
            (
                "        return leaves[tree]\n",
                "        return torch.tanh(leaves[tree])\n",
            )
        ],
        "detached from the graph": [
            ("        return leaves[tree]\n", "        return leaves[tree].detach()\n")
        ],
        "left child used twice": [
            (
                "    right = compose_tree(tree[1], leaves, W, b)\n",
                "    right = compose_tree(tree[0], leaves, W, b)\n",
            )
        ],
    },
}


FAIR_VARIANTS = {
    "attention_context": {
        "softmax written out with einsum and a zeroed exponent": [
            (
                "    scores = "
                "(keys @ "
                "query.unsqueeze(-1)).squeeze(-1) "
                "/ math.sqrt(d)\n"
                "    scores = "
                "scores.masked_fill(~mask, "
                'float("-inf"))\n'
                "    weights = "
                "torch.softmax(scores, "
                "dim=-1)\n",
                "    scores = "
                'torch.einsum("bsd,bd->bs", '
                "keys, query) / "
                "d**0.5\n"
                "    scores = "
                "torch.where(mask, "
                "scores, "
                "torch.full_like(scores, "
                "-1e30))\n"
                "    exp = "
                "torch.exp(scores "
                "- "
                "scores.max(dim=-1, "
                "keepdim=True).values) "
                "* mask\n"
                "    weights = "
                "exp / "
                "exp.sum(dim=-1, "
                "keepdim=True)\n",
            )
        ]
    },
    "edit_distance": {
        "full table": [
            (
                "    ### BEGIN SOLUTION\n",
                "    ### BEGIN SOLUTION\n"
                "    table = [\n"
                "        [i + j if i * j == 0 else 0 for j in range(len(b) + "
                "1)]\n"
                "        for i in range(len(a) + 1)\n"
                "    ]\n"
                "    for i in range(1, len(a) + 1):\n"
                "        for j in range(1, len(b) + 1):\n"
                "            table[i][j] = min(\n"
                "                table[i - 1][j] + 1,\n"
                "                table[i][j - 1] + 1,\n"
                "                table[i - 1][j - 1] + int(a[i - 1] != b[j - "
                "1]),\n"
                "            )\n"
                "    return table[-1][-1]\n",
            )
        ]
    },
    "greedy_decode": {
        "max().indices and a while loop": [
            (
                "    for _ in range(max_len):\n"
                "        token = "
                "int(torch.argmax(next_logits(prefix)))\n",
                "    while len(prefix) <= max_len:\n"
                "        token = "
                "next_logits(prefix).max(dim=-1).indices.item()\n",
            )
        ]
    },
}
