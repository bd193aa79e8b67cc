"""Plausible-bug mutants of solutions/02-text-as-tensors/exercises.ipynb (format: tests/test_mutants.py)."""

MUTANTS = {
    "char_ngrams": {
        "no boundary markers": [('    marked = f"<{word}>"\n', "    marked = word\n")],
        "last n-gram missing (off by one)": [
            (
                "    return [marked[i : i + n] for i in range(len(marked) - n + 1)]\n",
                "    return [marked[i : i + n] for i in range(len(marked) - n)]\n",
            )
        ],
        "repeated n-grams dropped": [
            (
                "    return [marked[i : i + n] for i in range(len(marked) - n + 1)]\n",
                "    return list(dict.fromkeys(marked[i : i + n] "
                "for i in range(len(marked) - n + 1)))\n",
            )
        ],
        "short word returned whole": [
            (
                "    return [marked[i : i + n] for i in range(len(marked) - n + 1)]\n",
                "    return [marked[i : i + n] for i in "
                "range(len(marked) - n + 1)] or [marked]\n",
            )
        ],
    },
    "build_vocab": {
        "ties in order of first appearance": [
            (
                "        (t for t, c in counts.items() if "
                "c >= min_freq), key=lambda t: "
                "(-counts[t], t)\n",
                "        (t for t, c in counts.items() if "
                "c >= min_freq), key=lambda t: "
                "-counts[t]\n",
            )
        ],
        "min_freq treated as exclusive": [
            (
                "        (t for t, c in counts.items() if c >= "
                "min_freq), key=lambda t: (-counts[t], t)\n",
                "        (t for t, c in counts.items() if c > "
                "min_freq), key=lambda t: (-counts[t], t)\n",
            )
        ],
        "max_size ignores the special tokens": [
            (
                "    return vocab if max_size is None else vocab[:max_size]\n",
                "    return vocab if max_size is None else vocab[: max_size + 2]\n",
            )
        ],
        "counts documents, not occurrences": [
            (
                "    counts = Counter(token for doc in corpus for token in doc)\n",
                "    counts = Counter(token for doc in corpus for token in set(doc))\n",
            )
        ],
        "special tokens swapped": [
            ("    vocab = [PAD, UNK] + ranked\n", "    vocab = [UNK, PAD] + ranked\n")
        ],
    },
    "encode_decode": {
        "unknown words mapped to padding": [
            ("    unk = index[UNK]\n", "    unk = index[PAD]\n")
        ],
        "unknown words dropped": [
            (
                "    return [index.get(token, unk) for token in tokens]\n",
                "    return [index[token] for token in tokens if token in index]\n",
            )
        ],
        "padding kept when decoding": [
            (
                "    return [vocab[i] for i in ids if vocab[i] != PAD]\n",
                "    return [vocab[i] for i in ids]\n",
            )
        ],
        "decoding off by one": [
            (
                "    return [vocab[i] for i in ids if vocab[i] != PAD]\n",
                "    return [vocab[i - 1] for i in ids if vocab[i - 1] != PAD]\n",
            )
        ],
    },
    "pad_batch": {
        "mask inverted": [
            (
                "        mask[row, : len(seq)] = True\n",
                "        mask[row, len(seq) :] = True\n",
            )
        ],
        "pads the caller's lists in place": [
            (
                "    mask = torch.zeros((len(seqs), longest), dtype=torch.bool)\n",
                "    mask = torch.zeros((len(seqs), longest), "
                "dtype=torch.bool)\n"
                "    for seq in seqs:\n"
                "        seq.extend([pad_id] * (longest - "
                "len(seq)))\n",
            )
        ],
        "pad_id ignored (always 0)": [
            (
                "    ids = torch.full((len(seqs), longest), pad_id, "
                "dtype=torch.long)\n",
                "    ids = torch.zeros((len(seqs), longest), dtype=torch.long)\n",
            )
        ],
        "padding on the left": [
            (
                "        ids[row, : len(seq)] = torch.tensor(seq, "
                "dtype=torch.long)\n"
                "        mask[row, : len(seq)] = True\n",
                "        ids[row, longest - len(seq) :] = "
                "torch.tensor(seq, dtype=torch.long)\n"
                "        mask[row, longest - len(seq) :] = True\n",
            )
        ],
        "mask derived from pad_id": [
            ("    return ids, mask\n", "    return ids, ids != pad_id\n")
        ],
    },
    "bag_of_words": {
        "presence instead of counts": [
            (
                "    counts.scatter_add_(1, ids, "
                "torch.ones(ids.shape, dtype=counts.dtype))\n",
                "    counts.scatter_(1, ids, 1.0)\n",
            )
        ],
        "padding counted": [("    counts[:, pad_id] = 0\n", "")],
        "padding assumed to be id 0": [
            ("    counts[:, pad_id] = 0\n", "    counts[:, 0] = 0\n")
        ],
        "summed over the batch axis": [
            (
                "    return counts\n",
                "    return counts.sum(0, keepdim=True).expand_as(counts)\n",
            )
        ],
    },
    "sentiment_predictions": {
        "predictions with the wrong sign": [
            (
                "        return [1 if c == 1 else "
                "-1 for c in "
                "model(x_test).argmax(dim=1).tolist()]\n",
                "        return [-1 if c == 1 else "
                "1 for c in "
                "model(x_test).argmax(dim=1).tolist()]\n",
            )
        ],
        "never trained": [
            (
                "    for step in range(40):  # full batch: 3,000 sentences\n",
                "    for step in range(0):  # full batch: 3,000 sentences\n",
            )
        ],
        "labels all mapped to one class": [
            (
                "    y_train = torch.tensor([1 if "
                "label > 0 else 0 for label in "
                "train_labels])\n",
                "    y_train = torch.tensor([1 if "
                "label > -2 else 0 for label in "
                "train_labels])\n",
            )
        ],
        "looks the labels up in the data set": [
            (
                "        adam.step()\n",
                "        adam.step()\n"
                "    known = "
                "dict(zip(*load_polarity()))\n"
                "    return [known[text] for "
                "text in test_texts]\n",
            )
        ],
    },
}
