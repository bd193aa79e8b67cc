"""Data and plumbing for the sequence-to-sequence chapter.

Three data sources, all generated or read from packages: dates written out by ``babel`` in many
languages and formats (to be translated into ISO dates), numbers written out in words by
``num2words`` (to be translated between languages), and the pretrained spelling-to-pronunciation
GRU encoder-decoder of ``g2p-en`` with CMUdict as its reference. The module also holds the small
GRU encoder-decoder the lessons train, with and without attention, and its greedy decoder.
"""

from __future__ import annotations

import ast
import datetime
import random
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from babel.dates import format_date
from num2words import num2words
from torch import nn

from hiddenrep.data import fetch

PAD, BOS, EOS = "<pad>", "<s>", "</s>"
DATE_FORMATS = ("full", "long", "medium", "short")
# Day-first locales only, except en_US whose numeric "short" form (3/4/98) would be ambiguous.
DATE_LOCALES = ("en_US", "en_GB", "fr_FR", "de_DE", "es_ES", "it_IT", "nl_NL", "pt_PT",
                "sv_SE", "pl_PL", "da_DK", "fi_FI")
# Two-digit years are unambiguous when every date lies in one century-long window.
FIRST_YEAR, LAST_YEAR = 1950, 2049


@dataclass
class DatePair:
    """One example of the date task: ``text`` as a locale writes it, ``iso`` the answer."""

    text: str
    iso: str
    locale: str
    format: str


def date_pairs(n: int, seed: int) -> list[DatePair]:
    """``n`` random dates between 1950 and 2049, each written in a random locale and format.

    en_US never uses its ``short`` format (month first, so 3/4/98 could be read either way).
    """
    rng = random.Random(seed)
    first = datetime.date(FIRST_YEAR, 1, 1).toordinal()
    last = datetime.date(LAST_YEAR, 12, 31).toordinal()
    pairs = []
    for _ in range(n):
        day = datetime.date.fromordinal(rng.randint(first, last))
        locale = rng.choice(DATE_LOCALES)
        formats = DATE_FORMATS[:3] if locale == "en_US" else DATE_FORMATS
        fmt = rng.choice(formats)
        pairs.append(DatePair(format_date(day, fmt, locale=locale), day.isoformat(), locale, fmt))
    return pairs


def number_words(numbers: Iterable[int], lang: str) -> list[str]:
    """The numbers written out in words in language ``lang`` (num2words' language code)."""
    return [num2words(k, lang=lang) for k in numbers]


class Vocab:
    """Symbols of a sequence task: ``<pad>`` = 0, ``<s>`` = 1, ``</s>`` = 2, then ``extra`` symbols
    (such as language tokens), then the characters of ``texts`` in sorted order."""

    def __init__(self, texts: Iterable[str], extra: Sequence[str] = ()):
        chars = sorted(set("".join(texts)))
        self.symbols: list[str] = [PAD, BOS, EOS, *extra, *chars]
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2

    def __len__(self) -> int:
        return len(self.symbols)

    def __repr__(self) -> str:
        return f"Vocab({len(self)} symbols)"

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens`` (a string is a sequence of one-character tokens)."""
        return [self.index[t] for t in tokens]

    def decode(self, ids: Iterable[int]) -> str:
        """The text spelled by ``ids``, up to the first ``</s>``; padding and ``<s>`` left out."""
        out = []
        for i in ids:
            if i == self.eos_id:
                break
            if i not in (self.pad_id, self.bos_id):
                out.append(self.symbols[i])
        return "".join(out)


def pad_ids(seqs: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad id lists into a ``(batch, longest)`` long tensor; also return their lengths."""
    rows = [torch.tensor(list(s), dtype=torch.long) for s in seqs]
    out = nn.utils.rnn.pad_sequence(rows, batch_first=True, padding_value=pad_id)
    return out, torch.tensor([len(s) for s in seqs], dtype=torch.long)


def teacher_forcing_batch(targets: Sequence[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
    """Decoder inputs ``<s> y1 .. yn`` and the outputs it must predict, ``y1 .. yn </s>``, padded."""
    ids = [vocab.encode(t) for t in targets]
    inputs, _ = pad_ids([[vocab.bos_id] + s for s in ids])
    outputs, _ = pad_ids([s + [vocab.eos_id] for s in ids])
    return inputs, outputs


class Seq2Seq(nn.Module):
    """A character-level GRU encoder-decoder, with or without attention.

    The encoder is a GRU (bidirectional by default); a linear map of its final state(s) starts the
    decoder.
    Without attention that vector is all the decoder ever learns about the input. With attention
    (Luong et al.'s "general" score) every decoder state ``s_t`` also looks at all encoder states
    ``h_j``: weights ``softmax_j(s_t W h_j)``, context ``c_t = sum_j a_tj h_j``, and the output layer
    reads ``tanh(V [s_t; c_t])``.
    """

    def __init__(self, n_src: int, n_tgt: int, embed: int = 32, hidden: int = 128,
                 attention: bool = False, bidirectional: bool = True):
        super().__init__()
        self.attention = attention
        k = 2 if bidirectional else 1
        self.src_embed = nn.Embedding(n_src, embed, padding_idx=0)
        self.tgt_embed = nn.Embedding(n_tgt, embed, padding_idx=0)
        self.encoder = nn.GRU(embed, hidden, batch_first=True, bidirectional=bidirectional)
        self.bridge = nn.Linear(k * hidden, hidden)
        self.decoder = nn.GRU(embed, hidden, batch_first=True)
        self.score = nn.Linear(k * hidden, hidden, bias=False)
        self.combine = nn.Linear((1 + k) * hidden if attention else hidden, hidden)
        self.out = nn.Linear(hidden, n_tgt)

    def encode(self, src: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder states ``(batch, time, 2 * hidden)`` and the decoder's first state ``(1, batch, hidden)``."""
        packed = nn.utils.rnn.pack_padded_sequence(self.src_embed(src), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        states, last = self.encoder(packed)
        states, _ = nn.utils.rnn.pad_packed_sequence(states, batch_first=True,
                                                     total_length=src.shape[1])
        start = torch.tanh(self.bridge(torch.cat(list(last), dim=-1))).unsqueeze(0)
        return states, start

    def decode_step(self, tgt_in: torch.Tensor, h: torch.Tensor, states: torch.Tensor,
                    mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Run the decoder over ``tgt_in`` (batch, steps) from state ``h``: logits, new state, weights."""
        dec, h = self.decoder(self.tgt_embed(tgt_in), h)
        weights = None
        if self.attention:
            scores = dec @ self.score(states).transpose(1, 2)  # (batch, steps, src_time)
            scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
            weights = scores.softmax(dim=-1)
            dec = torch.cat([dec, weights @ states], dim=-1)
        return self.out(torch.tanh(self.combine(dec))), h, weights

    def forward(self, src: torch.Tensor, lengths: torch.Tensor,
                tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits ``(batch, steps, n_tgt)``."""
        states, h = self.encode(src, lengths)
        mask = torch.arange(src.shape[1]) < lengths.unsqueeze(1)
        logits, _, _ = self.decode_step(tgt_in, h, states, mask)
        return logits

    @torch.no_grad()
    def greedy(self, src: torch.Tensor, lengths: torch.Tensor, max_len: int, bos_id: int = 1,
               eos_id: int = 2) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Greedy decoding: ``(batch, max_len)`` ids, and the attention weights when there are any."""
        states, h = self.encode(src, lengths)
        mask = torch.arange(src.shape[1]) < lengths.unsqueeze(1)
        prev = torch.full((src.shape[0], 1), bos_id, dtype=torch.long)
        out, maps = [], []
        done = torch.zeros(src.shape[0], dtype=torch.bool)
        for _ in range(max_len):
            logits, h, weights = self.decode_step(prev, h, states, mask)
            prev = logits.argmax(-1)
            out.append(prev)
            if weights is not None:
                maps.append(weights)
            done |= prev[:, 0] == eos_id
            if done.all():
                break
        return torch.cat(out, dim=1), (torch.cat(maps, dim=1) if maps else None)


def length_bucketed_batches(lengths: torch.Tensor, batch_size: int,
                            generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Index batches forever, each of examples of similar length (less padding, faster steps).

    Every pass shuffles, cuts the order into chunks of 16 batches, sorts each chunk by length,
    splits it into batches and shuffles the batches, so batches still mix examples at random.
    """
    while True:
        order = torch.randperm(len(lengths), generator=generator)
        batches = []
        for chunk in order.split(16 * batch_size):
            chunk = chunk[lengths[chunk].argsort(stable=True)]
            batches += list(chunk.split(batch_size))
        for i in torch.randperm(len(batches), generator=generator).tolist():
            yield batches[i]


def sequence_loss(logits: torch.Tensor, targets: torch.Tensor, pad_id: int = 0) -> torch.Tensor:
    """Mean cross-entropy over the non-padding target positions."""
    return nn.functional.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=pad_id)


# --- the pretrained spelling-to-pronunciation model (g2p-en) ---------------------------------


def g2p_vocabularies() -> tuple[list[str], list[str]]:
    """The grapheme and phoneme lists of g2p-en, parsed out of its source text (never imported)."""
    text = fetch("g2p_source").read_text(encoding="utf-8")
    lists = []
    for name in ("graphemes", "phonemes"):
        match = re.search(rf"self\.{name} = (\[[^\]]*\])\s*\+\s*(list\(\"[a-z]+\"\)|\[[^\]]*\])",
                          text)
        if match is None:
            raise ValueError(f"could not find the {name} list in the g2p-en source")
        head = ast.literal_eval(match.group(1))
        tail_src = match.group(2)
        tail = list(ast.literal_eval(tail_src[5:-1])) if tail_src.startswith("list(") else \
            ast.literal_eval(tail_src)
        lists.append(head + tail)
    return lists[0], lists[1]


class G2P(nn.Module):
    """g2p-en's encoder-decoder as PyTorch modules: a GRU reads the letters and ``</s>``, its last
    state starts a GRU decoder that emits phonemes from ``<s>`` until ``</s>``. No attention."""

    def __init__(self, n_graphemes: int = 29, n_phonemes: int = 74, hidden: int = 256):
        super().__init__()
        self.enc_emb = nn.Embedding(n_graphemes, hidden)
        self.encoder = nn.GRU(hidden, hidden, batch_first=True)
        self.dec_emb = nn.Embedding(n_phonemes, hidden)
        self.decoder = nn.GRUCell(hidden, hidden)
        self.fc = nn.Linear(hidden, n_phonemes)

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The encoder's last state ``(batch, hidden)`` for padded grapheme ids (``</s>`` included)."""
        packed = nn.utils.rnn.pack_padded_sequence(self.enc_emb(ids), lengths.cpu(),
                                                   batch_first=True, enforce_sorted=False)
        _, last = self.encoder(packed)
        return last[0]

    def step(self, prev: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One decoder step: log-probabilities of the next phoneme and the new state."""
        h = self.decoder(self.dec_emb(prev), h)
        return self.fc(h).log_softmax(-1), h


def load_g2p() -> tuple[G2P, list[str], list[str]]:
    """The pretrained g2p-en model in eval mode, with its grapheme and phoneme lists."""
    graphemes, phonemes = g2p_vocabularies()
    arrays = np.load(fetch("g2p_checkpoint"), allow_pickle=False)
    model = G2P(len(graphemes), len(phonemes))
    state = {
        "enc_emb.weight": arrays["enc_emb"], "dec_emb.weight": arrays["dec_emb"],
        "fc.weight": arrays["fc_w"], "fc.bias": arrays["fc_b"],
        "encoder.weight_ih_l0": arrays["enc_w_ih"], "encoder.weight_hh_l0": arrays["enc_w_hh"],
        "encoder.bias_ih_l0": arrays["enc_b_ih"], "encoder.bias_hh_l0": arrays["enc_b_hh"],
        "decoder.weight_ih": arrays["dec_w_ih"], "decoder.weight_hh": arrays["dec_w_hh"],
        "decoder.bias_ih": arrays["dec_b_ih"], "decoder.bias_hh": arrays["dec_b_hh"],
    }
    model.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in state.items()})
    return model.eval(), graphemes, phonemes


def load_cmudict() -> dict[str, list[tuple[str, ...]]]:
    """CMUdict as ``word -> [pronunciation, ...]``; variants such as ``word(2)`` join their word."""
    prons: dict[str, list[tuple[str, ...]]] = {}
    for line in fetch("cmudict").read_text(encoding="latin-1").splitlines():
        parts = line.split("#", 1)[0].split()
        if len(parts) < 2:
            continue
        word = parts[0].split("(", 1)[0]  # "word(2)" is the second pronunciation of "word"
        prons.setdefault(word, []).append(tuple(parts[1:]))
    return prons


def g2p_encode_words(words: Sequence[str], graphemes: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Padded grapheme ids of lower-case words, each followed by ``</s>`` as g2p-en expects."""
    index = {g: i for i, g in enumerate(graphemes)}
    return pad_ids([[index.get(c, index["<unk>"]) for c in w] + [index["</s>"]] for w in words])


@torch.no_grad()
def g2p_greedy(model: G2P, ids: torch.Tensor, lengths: torch.Tensor, max_len: int = 20,
               bos_id: int = 2, eos_id: int = 3) -> list[list[int]]:
    """Greedy phoneme ids for a batch of words, each cut at its first ``</s>`` (left out)."""
    h = model.encode(ids, lengths)
    prev = torch.full((ids.shape[0],), bos_id, dtype=torch.long)
    steps = []
    for _ in range(max_len):
        log_probs, h = model.step(prev, h)
        prev = log_probs.argmax(-1)
        steps.append(prev)
        if (torch.stack(steps, 1) == eos_id).any(1).all():
            break
    out = []
    for row in torch.stack(steps, 1).tolist():
        out.append(row[:row.index(eos_id)] if eos_id in row else row)
    return out


@torch.no_grad()
def g2p_beam(model: G2P, ids: torch.Tensor, width: int, max_len: int = 20,
             bos_id: int = 2, eos_id: int = 3) -> list[tuple[list[int], float]]:
    """Beam search for one word (``ids`` of shape ``(1, time)``, ``</s>`` included).

    The beam holds the ``width`` prefixes with the highest summed log-probability; a prefix that
    emits ``</s>`` is set aside as finished. Returns every finished hypothesis (phoneme ids without
    ``</s>``) with its summed log-probability, in the order they finished. ``alpha`` does not
    change the search, only the choice among its results: see :func:`best_normalised`.
    """
    h = model.encode(ids, torch.tensor([ids.shape[1]]))
    tokens = torch.full((1, 1), bos_id, dtype=torch.long)
    scores = torch.zeros(1)
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_len):
        log_probs, h_new = model.step(tokens[:, -1], h)
        total = (scores.unsqueeze(1) + log_probs).flatten()
        top = total.topk(min(width, total.numel()))
        beam, token = top.indices // log_probs.shape[1], top.indices % log_probs.shape[1]
        tokens = torch.cat([tokens[beam], token.unsqueeze(1)], dim=1)
        ended = token == eos_id
        for row, score in zip(tokens[ended].tolist(), top.values[ended].tolist()):
            finished.append((row[1:-1], score))
        if ended.all():
            break
        tokens, scores, h = tokens[~ended], top.values[~ended], h_new[beam[~ended]]
    else:
        for row, score in zip(tokens.tolist(), scores.tolist()):
            finished.append((row[1:], score))
    return finished


def best_normalised(hypotheses: Sequence[tuple[list[int], float]], alpha: float) -> list[int]:
    """The hypothesis with the largest ``log p / n ** alpha``; ``n`` counts the final ``</s>``."""
    return max(hypotheses, key=lambda hyp: hyp[1] / (len(hyp[0]) + 1) ** alpha)[0]


@dataclass
class DateTask:
    """The date task as tensors: padded source ids, their lengths, teacher-forcing targets."""

    train: list[DatePair]
    test: list[DatePair]
    src_vocab: Vocab
    tgt_vocab: Vocab
    src: torch.Tensor
    lengths: torch.Tensor
    decoder_in: torch.Tensor
    decoder_out: torch.Tensor
    test_src: torch.Tensor
    test_lengths: torch.Tensor


def date_task(n_train: int = 10000, n_test: int = 2000) -> DateTask:
    """Training and test dates (different seeds; a date may occur in both, written differently)."""
    train, test = date_pairs(n_train, seed=1), date_pairs(n_test, seed=2)
    src_vocab = Vocab([p.text for p in train + test])
    tgt_vocab = Vocab("0123456789-")
    src, lengths = pad_ids([src_vocab.encode(p.text) for p in train])
    decoder_in, decoder_out = teacher_forcing_batch([p.iso for p in train], tgt_vocab)
    test_src, test_lengths = pad_ids([src_vocab.encode(p.text) for p in test])
    return DateTask(train, test, src_vocab, tgt_vocab, src, lengths, decoder_in, decoder_out,
                    test_src, test_lengths)


# --- expression trees for recursive networks ----------------------------------------------------

TREE_OPS = ("max", "min")


def random_expression(height: int, rng: random.Random):
    """A random expression tree of exactly ``height``: a digit (height 0) or ``(op, left, right)``
    with op in ``TREE_OPS``; one child has height ``height - 1``, the other any smaller height."""
    if height == 0:
        return rng.randrange(10)
    tall, short = height - 1, rng.randrange(height)
    left, right = (tall, short) if rng.random() < 0.5 else (short, tall)
    return (rng.choice(TREE_OPS), random_expression(left, rng), random_expression(right, rng))


def evaluate_expression(tree) -> int:
    """The value of an expression tree."""
    if isinstance(tree, int):
        return tree
    op, left, right = tree
    values = (evaluate_expression(left), evaluate_expression(right))
    return max(values) if op == "max" else min(values)


def prefix_tokens(tree) -> list[str]:
    """The expression in prefix (Polish) notation: ``max 3 min 4 5`` needs no brackets."""
    if isinstance(tree, int):
        return [str(tree)]
    op, left, right = tree
    return [op] + prefix_tokens(left) + prefix_tokens(right)


@dataclass
class TreeBatch:
    """Trees flattened into nodes ordered by height, ready for level-by-level composition.

    Node ``i`` is a leaf with digit ``digit[i]`` or an inner node with operator ``op[i]`` and
    children ``left[i]``, ``right[i]`` (indices of nodes of smaller height). ``levels[k]`` lists the
    nodes of height ``k``; ``roots[b]`` is the root of tree ``b``.
    """

    digit: torch.Tensor
    op: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor
    levels: list[torch.Tensor]
    roots: torch.Tensor


def flatten_trees(trees: Sequence) -> TreeBatch:
    """Number the nodes of ``trees`` so that every node comes after its children."""
    nodes: list[tuple[int, int, int, int, int]] = []  # (height, digit, op, left, right)

    def visit(tree) -> tuple[int, int]:
        if isinstance(tree, int):
            nodes.append((0, tree, -1, -1, -1))
            return len(nodes) - 1, 0
        op, left, right = tree
        (li, lh), (ri, rh) = visit(left), visit(right)
        height = 1 + max(lh, rh)
        nodes.append((height, -1, TREE_OPS.index(op), li, ri))
        return len(nodes) - 1, height

    roots = [visit(t)[0] for t in trees]
    order = sorted(range(len(nodes)), key=lambda i: nodes[i][0])
    new_index = {old: new for new, old in enumerate(order)}
    table = torch.tensor([[nodes[i][0], nodes[i][1], nodes[i][2],
                           new_index.get(nodes[i][3], -1), new_index.get(nodes[i][4], -1)]
                          for i in order], dtype=torch.long)
    height = table[:, 0]
    levels = [torch.nonzero(height == k).flatten() for k in range(int(height.max()) + 1)]
    return TreeBatch(table[:, 1], table[:, 2], table[:, 3], table[:, 4], levels,
                     torch.tensor([new_index[r] for r in roots], dtype=torch.long))
