"""Plausible-bug mutants of solutions/07-sequence-to-sequence/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "shift_targets": {
        "</s> at the end of the row, not after the real ids": [
            ("decoder_out = torch.where(positions == n,", "decoder_out = torch.where(positions == T,")],
        "padding of the targets kept in decoder_out": [
            ("decoder_out = torch.where(positions < n, padded, torch.full_like(padded, pad_id))",
             "decoder_out = padded.clone()")],
        "decoder_in keeps one id too few": [
            ("decoder_in = torch.where(positions <= n,", "decoder_in = torch.where(positions < n,")],
        "decoder_in without <s> (targets not shifted)": [
            ("shifted = torch.cat([bos, targets], dim=1)", "shifted = torch.cat([targets, bos], dim=1)")],
        "targets padded in place": [
            ("    batch, T = targets.shape\n",
             "    batch, T = targets.shape\n    targets[torch.arange(T).unsqueeze(0) >= lengths.unsqueeze(1)] = pad_id\n")],
    },
    "attention_context": {
        "no scaling by sqrt(d)": [(" / math.sqrt(d)", "")],
        "scaled by d instead of sqrt(d)": [(" / math.sqrt(d)", " / d")],
        "padding not masked": [("    scores = scores.masked_fill(~mask, float(\"-inf\"))\n", "")],
        "masked by zeroing the scores": [
            ("scores = scores.masked_fill(~mask, float(\"-inf\"))", "scores = scores * mask")],
        "softmax over the batch": [("weights = torch.softmax(scores, dim=-1)",
                                     "weights = torch.softmax(scores, dim=0)")],
        "weights returned in float32": [("return weights, context", "return weights.float(), context")],
    },
    "greedy_decode": {
        "</s> left out of the output": [
            ("        prefix.append(token)\n        if token == eos_id:\n            break",
             "        if token == eos_id:\n            break\n        prefix.append(token)")],
        "does not stop at </s>": [("        if token == eos_id:\n            break\n", "")],
        "<s> in the output": [("return prefix[1:]", "return prefix")],
        "one id too many": [("for _ in range(max_len):", "for _ in range(max_len + 1):")],
        "decoder fed only the last id": [("next_logits(prefix)", "next_logits(prefix[-1:])")],
    },
    "beam_search": {
        "no length normalisation": [("score / (len(prefix) - 1) ** alpha", "score")],
        "<s> counted in the length": [("score / (len(prefix) - 1) ** alpha", "score / len(prefix) ** alpha")],
        "logits summed instead of log-probabilities": [
            ("log_probs = torch.log_softmax(next_logits(prefix), dim=-1)",
             "log_probs = next_logits(prefix)")],
        "unfinished hypotheses dropped at max_len": [("    finished += beams\n", "")],
        "beam one narrower": [("candidates[:beam_width]", "candidates[:max(beam_width - 1, 1)]")],
        "finished hypotheses kept on the beam": [
            ("(finished if prefix[-1] == eos_id else beams).append((prefix, score))",
             "beams.append((prefix, score))")],
    },
    "edit_distance": {
        "first column starts at 0": [("current = [i] + [0] * len(b)", "current = [0] + [0] * len(b)")],
        "substitution costs 2": [("(a[i - 1] != b[j - 1])", "2 * (a[i - 1] != b[j - 1])")],
        "no insertions": [("min(previous[j] + 1, current[j - 1] + 1, substitute)",
                           "min(previous[j] + 1, substitute)")],
        "compares the wrong symbols": [("(a[i - 1] != b[j - 1])", "(a[i - 1] != b[j - 2])")],
        "returns a float": [("return previous[-1]", "return float(previous[-1])")],
    },
    "add_target_token": {
        "token appended instead of prepended": [
            ("shifted = torch.cat([token_ids.unsqueeze(1), src], dim=1)",
             "shifted = torch.cat([src, token_ids.unsqueeze(1)], dim=1)")],
        "lengths not increased": [("new_lengths = lengths + 1", "new_lengths = lengths")],
        "padding of the source kept": [
            ("    new_src = torch.where(positions < new_lengths.unsqueeze(1), shifted,\n"
             "                          torch.full_like(shifted, pad_id))\n",
             "    new_src = shifted\n")],
        "lengths increased in place": [("new_lengths = lengths + 1", "new_lengths = lengths.add_(1)")],
        "last real id cut": [("positions < new_lengths.unsqueeze(1)", "positions < lengths.unsqueeze(1)")],
    },
    "compose_tree": {
        "children swapped": [("torch.cat([left, right])", "torch.cat([right, left])")],
        "no bias": [("torch.tanh(W @ torch.cat([left, right]) + b)", "torch.tanh(W @ torch.cat([left, right]))")],
        "relu instead of tanh": [("torch.tanh(W @", "torch.relu(W @")],
        "leaves squashed by tanh": [("return leaves[tree]", "return torch.tanh(leaves[tree])")],
        "detached from the graph": [("return leaves[tree]", "return leaves[tree].detach()")],
        "left child used twice": [("right = compose_tree(tree[1], leaves, W, b)",
                                   "right = compose_tree(tree[0], leaves, W, b)")],
    },
}

FAIR_VARIANTS = {
    "attention_context": {
        "softmax written out with einsum and a zeroed exponent": [
            ("    scores = (keys @ query.unsqueeze(-1)).squeeze(-1) / math.sqrt(d)\n"
             "    scores = scores.masked_fill(~mask, float(\"-inf\"))\n"
             "    weights = torch.softmax(scores, dim=-1)\n",
             "    scores = torch.einsum(\"bsd,bd->bs\", keys, query) / d ** 0.5\n"
             "    scores = torch.where(mask, scores, torch.full_like(scores, -1e30))\n"
             "    exp = torch.exp(scores - scores.max(dim=-1, keepdim=True).values) * mask\n"
             "    weights = exp / exp.sum(dim=-1, keepdim=True)\n")],
    },
    "edit_distance": {
        "full table": [
            ("    previous = list(range(len(b) + 1))\n",
             "    table = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)]\n"
             "             for i in range(len(a) + 1)]\n"
             "    for i in range(1, len(a) + 1):\n"
             "        for j in range(1, len(b) + 1):\n"
             "            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1,\n"
             "                              table[i - 1][j - 1] + int(a[i - 1] != b[j - 1]))\n"
             "    return table[-1][-1]\n"
             "    previous = list(range(len(b) + 1))\n")],
    },
    "greedy_decode": {
        "max().indices and a while loop": [
            ("    for _ in range(max_len):\n"
             "        token = int(torch.argmax(next_logits(prefix)))\n",
             "    while len(prefix) <= max_len:\n"
             "        token = next_logits(prefix).max(dim=-1).indices.item()\n")],
    },
}
