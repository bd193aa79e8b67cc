"""Hidden tests of 02-text-as-tensors: run by the trusted grader, never shipped to students.

Each ``test_<part>(student, reference)`` checks one graded part: ``student.f(...)`` runs the
student's function in the sandbox, ``reference.f`` is the reference solution (see
``autograder/harness.py``). Every check compares with the reference on seeded random inputs and,
where one exists, with an independent oracle.
"""

import copy
import random

import torch
from torch.nn.utils.rnn import pad_sequence

from autograder.rules import forbidden_uses
from hiddenrep.testing import check_equal, check_tensor

# What sentiment_predictions may not touch: the labelled data set itself (the grader keeps the
# held-out labels; reading them back would be no classifier at all).
DATA_ACCESS = {"load_polarity", "fetch", "fetch_dataset", "open", "read_csv", "reader", "urlopen"}


def test_char_ngrams(student, reference):
    expected = reference.char_ngrams
    rng = random.Random(2021)
    for _ in range(300):
        word = "".join(rng.choices("abcab", k=rng.randint(0, 9)))
        n = rng.randint(1, 6)
        got = student.char_ngrams(word, n)
        check_equal(f"char_ngrams({word!r}, {n})", got, expected(word, n))
        # Independent of the reference: overlapping n-grams rebuild the marked word, one new letter each.
        if got:
            check_equal(f"the n-grams of {word!r} (n={n}) joined", got[0] + "".join(g[-1] for g in got[1:]), f"<{word}>")


def test_build_vocab(student, reference):
    expected = reference.build_vocab
    rng = random.Random(2022)
    words = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"]
    for _ in range(200):
        corpus = [rng.choices(words, k=rng.randint(0, 8)) for _ in range(rng.randint(1, 6))]
        min_freq = rng.randint(1, 3)
        max_size = rng.choice([None, 2, 3, 4, 6, 20])
        given = copy.deepcopy(corpus)
        call = f"build_vocab({corpus}, min_freq={min_freq}, max_size={max_size})"
        check_equal(call, student.build_vocab(given, min_freq=min_freq, max_size=max_size),
                    expected(corpus, min_freq=min_freq, max_size=max_size))
        check_equal(f"the corpus after {call}", given, corpus)


def test_encode_decode(student, reference):
    ref_encode = reference.encode
    ref_decode = reference.decode
    rng = random.Random(2023)
    known = ["<pad>", "<unk>"] + [f"w{i}" for i in range(30)]
    for _ in range(200):
        vocab = known[:rng.randint(2, len(known))]
        tokens = [f"w{rng.randint(0, 40)}" for _ in range(rng.randint(0, 12))]
        check_equal(f"encode({tokens}, vocab of {len(vocab)} tokens)", student.encode(tokens, vocab), ref_encode(tokens, vocab))
        ids = [rng.randrange(len(vocab)) for _ in range(rng.randint(0, 12))]
        check_equal(f"decode({ids}, vocab of {len(vocab)} tokens)", student.decode(ids, vocab), ref_decode(ids, vocab))


def test_pad_batch(student, reference):
    expected = reference.pad_batch
    rng = random.Random(2025)
    for _ in range(100):
        pad_id = rng.randint(0, 3)
        seqs = [[rng.randint(0, 5) for _ in range(rng.randint(0, 6))] for _ in range(rng.randint(1, 5))]
        seqs[rng.randrange(len(seqs))].append(pad_id)  # a real token equal to pad_id, never empty
        given = copy.deepcopy(seqs)
        call = f"pad_batch({seqs}, pad_id={pad_id})"
        got = student.pad_batch(given, pad_id=pad_id)
        check_equal(f"{call} returns", type(got).__name__ + f" of {len(got)}", "tuple of 2")
        ref_ids, ref_mask = expected(seqs, pad_id=pad_id)
        check_tensor(f"{call} ids", got[0], ref_ids)
        check_tensor(f"{call} mask", got[1], ref_mask)
        # Oracle: PyTorch's pad_sequence.
        oracle = pad_sequence([torch.tensor(s, dtype=torch.long) for s in seqs], batch_first=True, padding_value=pad_id)
        check_tensor(f"{call} ids against torch", got[0], oracle)
        check_equal(f"the sequences after {call}", given, seqs)


def test_bag_of_words(student, reference):
    expected = reference.bag_of_words
    gen = torch.Generator().manual_seed(2026)
    for batch_size, steps, vocab_size in [(1, 1, 2), (3, 5, 4), (4, 2, 9), (2, 8, 3), (5, 5, 6)]:
        ids = torch.randint(0, vocab_size, (batch_size, steps), generator=gen)
        pad_id = int(torch.randint(0, vocab_size, (1,), generator=gen))
        call = f"bag_of_words({ids.tolist()}, {vocab_size}, pad_id={pad_id})"
        got = student.bag_of_words(ids, vocab_size, pad_id=pad_id)
        check_tensor(call, got, expected(ids, vocab_size, pad_id=pad_id))
        # Oracle: torch.bincount row by row, padding removed first.
        oracle = torch.stack([torch.bincount(row[row != pad_id], minlength=vocab_size) for row in ids]).float()
        check_tensor(f"{call} against torch.bincount", got, oracle)


def test_sentiment_predictions(student, reference):
    used = forbidden_uses(student.source, "sentiment_predictions", DATA_ACCESS, bare_names=True)
    if used:
        raise AssertionError(f"sentiment_predictions must learn from the training sentences it is "
                             f"given, not load the data set itself, but it uses {', '.join(used)}")
    texts, labels = reference.load_polarity()
    order = random.Random(2027).sample(range(len(texts)), k=len(texts))  # another split than the notebook's
    train, held_out = order[:3000], order[3000:]
    predicted = student.sentiment_predictions([texts[i] for i in train], [labels[i] for i in train],
                                              [texts[i] for i in held_out])
    check_equal("sentiment_predictions returns", type(predicted).__name__, "list")
    check_equal("number of predictions for 1000 sentences", len(predicted), len(held_out))
    check_equal("the set of predicted labels is within", set(predicted) <= {1, -1}, True)
    accuracy = sum(p == labels[i] for p, i in zip(predicted, held_out)) / len(held_out)
    check_equal(f"accuracy on 1000 held-out sentences is {accuracy:.3f}; at least 0.65", accuracy >= 0.65, True)
