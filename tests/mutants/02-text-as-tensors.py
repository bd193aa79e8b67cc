"""Plausible-bug mutants of solutions/02-text-as-tensors/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "char_ngrams": {
        "no boundary markers": [('marked = f"<{word}>"', "marked = word")],
        "last n-gram missing (off by one)": [("range(len(marked) - n + 1)", "range(len(marked) - n)")],
        "repeated n-grams dropped": [("return [marked[i:i + n] for i in range(len(marked) - n + 1)]",
                                      "return list(dict.fromkeys(marked[i:i + n] for i in range(len(marked) - n + 1)))")],
        "short word returned whole": [("return [marked[i:i + n] for i in range(len(marked) - n + 1)]",
                                       "return [marked[i:i + n] for i in range(len(marked) - n + 1)] or [marked]")],
    },
    "build_vocab": {
        "ties in order of first appearance": [("key=lambda t: (-counts[t], t)", "key=lambda t: -counts[t]")],
        "min_freq treated as exclusive": [("c >= min_freq", "c > min_freq")],
        "max_size ignores the special tokens": [("vocab[:max_size]", "vocab[:max_size + 2]")],
        "counts documents, not occurrences": [("for doc in corpus for token in doc)",
                                               "for doc in corpus for token in set(doc))")],
        "special tokens swapped": [("[PAD, UNK] + ranked", "[UNK, PAD] + ranked")],
    },
    "encode_decode": {
        "unknown words mapped to padding": [("unk = index[UNK]", "unk = index[PAD]")],
        "unknown words dropped": [("return [index.get(token, unk) for token in tokens]",
                                   "return [index[token] for token in tokens if token in index]")],
        "padding kept when decoding": [("return [vocab[i] for i in ids if vocab[i] != PAD]",
                                        "return [vocab[i] for i in ids]")],
        "decoding off by one": [("return [vocab[i] for i in ids if vocab[i] != PAD]",
                                 "return [vocab[i - 1] for i in ids if vocab[i - 1] != PAD]")],
    },
    "pad_batch": {
        "mask inverted": [("mask[row, :len(seq)] = True", "mask[row, len(seq):] = True")],
        "pads the caller's lists in place": [
            ("    for row, seq in enumerate(seqs):\n",
             "    for seq in seqs:\n        seq.extend([pad_id] * (longest - len(seq)))\n"
             "    for row, seq in enumerate(seqs):\n")],
        "pad_id ignored (always 0)": [("torch.full((len(seqs), longest), pad_id, dtype=torch.long)",
                                       "torch.zeros((len(seqs), longest), dtype=torch.long)")],
        "padding on the left": [("ids[row, :len(seq)]", "ids[row, longest - len(seq):]"),
                                ("mask[row, :len(seq)]", "mask[row, longest - len(seq):]")],
        "mask derived from pad_id": [("    return ids, mask", "    return ids, ids != pad_id")],
    },
    "bag_of_words": {
        "presence instead of counts": [("counts.scatter_add_(1, ids, torch.ones(ids.shape, dtype=counts.dtype))",
                                        "counts.scatter_(1, ids, 1.0)")],
        "padding counted": [("    counts[:, pad_id] = 0\n", "")],
        "padding assumed to be id 0": [("counts[:, pad_id] = 0", "counts[:, 0] = 0")],
        "summed over the batch axis": [("    return counts", "    return counts.sum(0, keepdim=True).expand_as(counts)")],
    },
    "sentiment_predictions": {
        "predictions with the wrong sign": [("return [1 if c == 1 else -1 for c",
                                             "return [-1 if c == 1 else 1 for c")],
        "never trained": [("for step in range(40):", "for step in range(0):")],
        "labels all mapped to one class": [("y_train = torch.tensor([1 if label > 0 else 0",
                                            "y_train = torch.tensor([1 if label > -2 else 0")],
        "looks the labels up in the data set": [
            ("    with torch.no_grad():\n",
             "    known = dict(zip(*load_polarity()))\n"
             "    return [known[text] for text in test_texts]\n"
             "    with torch.no_grad():\n")],
    },
}
