"""Word vectors: the benchmark files, pretrained and toy vectors, and a skip-gram training loop.

Loaders return plain Python lists and NumPy arrays, so lessons can hand them to PyTorch, NumPy or
gensim alike. ``keyed_vectors`` wraps words and vectors in gensim's ``KeyedVectors`` for its
evaluation helpers. ``train_skipgram`` is the vectorised skip-gram with negative sampling that the
chapter on word embeddings builds step by step; later lessons call it instead of repeating it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from hiddenrep.data import fetch
from hiddenrep.progress import progress as progress_bar


# --- benchmark files -------------------------------------------------------------------------------

def read_word_pairs(path: str | Path) -> list[tuple[str, str, float]]:
    """Rated word pairs from a tab-separated file (``word1 word2 score``); ``#`` lines are comments."""
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, second, score = line.split("\t")[:3]
        pairs.append((first.lower(), second.lower(), float(score)))
    return pairs


def load_wordsim353() -> list[tuple[str, str, float]]:
    """The 353 WordSim353 pairs with their mean human rating (0-10, relatedness)."""
    return read_word_pairs(fetch("wordsim353"))


def load_simlex999() -> list[tuple[str, str, float]]:
    """The 999 SimLex-999 pairs with their mean human rating (0-10, similarity only)."""
    return read_word_pairs(fetch("simlex999"))


def load_analogies() -> dict[str, list[tuple[str, str, str, str]]]:
    """The Google analogy questions, lower-cased, by section: ``a b c d`` reads a : b :: c : d."""
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    current = None
    for line in fetch("analogies").read_text(encoding="utf-8").splitlines():
        if line.startswith(": "):
            current = sections.setdefault(line[2:].strip(), [])
        elif line.strip():
            a, b, c, d = line.lower().split()
            current.append((a, b, c, d))
    return sections


# --- vectors ---------------------------------------------------------------------------------------

def load_glove(top: int | None = None) -> tuple[list[str], np.ndarray]:
    """GloVe 6B 50-d: words in frequency order and a float32 array of their vectors.

    ``top`` keeps only the most frequent words; the file holds 400,000.
    """
    import pyarrow.parquet as pq  # only this loader needs pyarrow

    vectors = np.load(fetch("glove50_vectors"), mmap_mode="r")
    words = pq.read_table(fetch("glove50_words")).column("index").to_pylist()
    if top is not None:
        words = words[:top]
    return words, np.ascontiguousarray(vectors[:len(words)], dtype=np.float32)


def read_word2vec_text(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Vectors in word2vec's text format: a ``count dim`` header, then ``word x1 ... xdim`` lines."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    count, dim = (int(x) for x in lines[0].split())
    words, rows = [], []
    for line in lines[1:count + 1]:
        word, *values = line.rstrip().split(" ")
        if len(values) != dim:
            raise ValueError(f"{path}: {word!r} has {len(values)} values, expected {dim}")
        words.append(word)
        rows.append([float(v) for v in values])
    return words, np.asarray(rows, dtype=np.float32)


def load_toy_vectors(language: str) -> tuple[list[str], np.ndarray]:
    """gensim's 20-word, 300-d toy vectors for ``language`` "en" or "it" (numbers, animals, fruit)."""
    names = {"en": "vectors_en_toy", "it": "vectors_it_toy"}
    if language not in names:
        raise ValueError(f"language must be one of {sorted(names)}, not {language!r}")
    return read_word2vec_text(fetch(names[language]))


def load_en_it_pairs() -> list[tuple[str, str]]:
    """The English-Italian word pairs that go with the toy vectors, in file order."""
    text = fetch("en_it_pairs").read_text(encoding="utf-8")
    return [tuple(line.split()) for line in text.splitlines() if line.strip()]


def _float32_array(vectors: np.ndarray | torch.Tensor) -> np.ndarray:
    """``vectors`` as a float32 NumPy array, whether they come from NumPy or from a (trained) tensor."""
    if isinstance(vectors, torch.Tensor):
        vectors = vectors.detach().cpu().numpy()
    return np.asarray(vectors, dtype=np.float32)


def keyed_vectors(words: Sequence[str], vectors: np.ndarray | torch.Tensor):
    """Wrap ``words`` and their ``vectors`` in a gensim ``KeyedVectors`` (row i belongs to words[i])."""
    from gensim.models import KeyedVectors

    vectors = _float32_array(vectors)
    # Build empty and add: KeyedVectors(dim, count=n) would pre-fill the keys with None.
    kv = KeyedVectors(vectors.shape[1], dtype=np.float32)
    kv.add_vectors(list(words), vectors)
    return kv


def analogy_accuracy(words: Sequence[str], vectors: np.ndarray | torch.Tensor,
                     sections: dict[str, list[tuple[str, str, str, str]]]) -> dict[str, tuple[int, int]]:
    """3CosAdd accuracy per section: ``{section: (correct, asked)}``.

    Only questions whose four words are all in ``words`` are asked, and every word of ``words``
    except the three in the question is a candidate answer. This is what gensim's
    ``evaluate_word_analogies`` computes, but gensim answers one question at a time (minutes for
    GloVe's 100,000 words); scikit-learn's nearest-neighbour search answers a section at once.
    """
    from sklearn.neighbors import NearestNeighbors

    vectors = _float32_array(vectors)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    index = {w: i for i, w in enumerate(words)}
    # Between unit vectors, the smallest Euclidean distance is the largest cosine.
    search = NearestNeighbors(n_neighbors=4).fit(unit)
    results = {}
    for name, questions in sections.items():
        ids = np.array([[index[w] for w in q] for q in questions if all(w in index for w in q)],
                       dtype=np.int64).reshape(-1, 4)
        if len(ids) == 0:
            results[name] = (0, 0)
            continue
        target = unit[ids[:, 1]] - unit[ids[:, 0]] + unit[ids[:, 2]]
        target /= np.linalg.norm(target, axis=1, keepdims=True)
        _, nearest = search.kneighbors(target)
        # Four neighbours always include one that is not a question word.
        allowed = (nearest[:, :, None] != ids[:, None, :3]).all(-1)
        answer = nearest[np.arange(len(ids)), allowed.argmax(1)]
        results[name] = (int((answer == ids[:, 3]).sum()), len(ids))
    return results


# --- skip-gram with negative sampling --------------------------------------------------------------

@dataclass
class SkipGramRun:
    """What ``train_skipgram`` returns: the input vectors, the loss curve and the time taken."""

    vectors: torch.Tensor  # (vocabulary, dim): the word vectors people keep
    context_vectors: torch.Tensor  # (vocabulary, dim): the output side, usually thrown away
    losses: list[float] = field(default_factory=list)  # mean loss per pair, one value per batch
    seconds: float = 0.0
    pairs_per_epoch: list[int] = field(default_factory=list)


def epoch_pairs(ids: torch.Tensor, doc: torch.Tensor, keep: torch.Tensor, window: int,
                gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """One epoch of shuffled (center, context) pairs from a whole corpus at once.

    ``ids`` is the corpus as one long tensor of word ids and ``doc`` the document each token comes
    from. Each token survives sub-sampling with probability ``keep[id]``; each surviving center
    then draws its own window size between 1 and ``window``, as word2vec does, which weights near
    neighbours more than far ones. Pairs never cross a document boundary.
    """
    kept = torch.rand(len(ids), generator=gen, dtype=torch.float64) < keep[ids]
    ids, doc = ids[kept], doc[kept]
    reach = torch.randint(1, window + 1, (len(ids),), generator=gen)
    centers, contexts = [], []
    # Shifting the corpus against itself by each offset finds all pairs at that distance in one go.
    for offset in range(1, window + 1):
        same_doc = doc[offset:] == doc[:-offset]
        right = same_doc & (reach[:-offset] >= offset)  # center on the left, context to its right
        centers.append(ids[:-offset][right])
        contexts.append(ids[offset:][right])
        left = same_doc & (reach[offset:] >= offset)  # center on the right, context to its left
        centers.append(ids[offset:][left])
        contexts.append(ids[:-offset][left])
    center, context = torch.cat(centers), torch.cat(contexts)
    order = torch.randperm(len(center), generator=gen)
    return center[order], context[order]


def train_skipgram(docs: Sequence[Sequence[int]], keep: np.ndarray | torch.Tensor,
                   noise: np.ndarray | torch.Tensor, *, dim: int = 50, window: int = 5,
                   negative: int = 5, pool: int = 32, epochs: int = 1, lr: float = 0.025,
                   min_lr: float = 1e-4, batch_size: int = 1024, seed: int = 0,
                   progress: bool = True) -> SkipGramRun:
    """Train skip-gram with negative sampling on ``docs`` (lists of word ids in ``range(len(keep))``).

    ``keep[w]`` is the probability that an occurrence of word ``w`` survives sub-sampling and
    ``noise[w]`` the probability of drawing ``w`` as a negative. Each batch of ``batch_size`` pairs
    shares one pool of ``pool`` negatives drawn from ``noise``; every pair is scored against the
    whole pool with weight ``negative / pool``, so in expectation each pair still meets
    ``negative`` noise words. Every batch takes one plain SGD step on the summed loss, with a
    learning rate that falls linearly from ``lr`` to ``min_lr`` as in word2vec. Gradients come from
    autograd on the gathered rows, and only those rows are updated. A text progress bar with the
    running loss shows while someone watches (:mod:`hiddenrep.progress`); ``progress=False`` hides
    it always. Nothing is printed: the caller reports the run from what it returns.
    """
    keep = torch.as_tensor(np.asarray(keep), dtype=torch.float64)
    noise = torch.as_tensor(np.asarray(noise), dtype=torch.float64)
    vocab_size = len(keep)
    gen = torch.Generator().manual_seed(seed)
    ids = torch.tensor([w for d in docs for w in d], dtype=torch.long)
    doc = torch.repeat_interleave(torch.arange(len(docs)), torch.tensor([len(d) for d in docs]))
    # word2vec's start: small random input vectors, zero output vectors.
    w_in = (torch.rand(vocab_size, dim, generator=gen) - 0.5) / dim
    w_out = torch.zeros(vocab_size, dim)
    weight = negative / pool

    run = SkipGramRun(vectors=w_in, context_vectors=w_out)
    threads = torch.get_num_threads()
    # The tensors of one step are small: a second thread costs more in synchronisation than it
    # saves, and on a busy machine it can slow training down many times.
    torch.set_num_threads(1)
    start = time.perf_counter()
    try:
        total_steps, step = None, 0
        for epoch in range(epochs):
            center, context = epoch_pairs(ids, doc, keep, window, gen)
            run.pairs_per_epoch.append(len(center))
            steps = math.ceil(len(center) / batch_size)
            # The schedule is planned from the first epoch's pair count; later epochs differ slightly.
            total_steps = total_steps or steps * epochs
            negatives = torch.multinomial(noise, steps * pool, replacement=True, generator=gen).view(steps, pool)
            # ``progress=False`` hides the bar even for a watching reader (the tests).
            bar = progress_bar(range(steps), desc=f"epoch {epoch + 1}/{epochs}",
                               show=None if progress else False)
            for i in bar:
                rate = max(min_lr, lr * (1 - step / total_steps))
                c = center[i * batch_size:(i + 1) * batch_size]
                x = context[i * batch_size:(i + 1) * batch_size]
                n = negatives[i]
                v = w_in.index_select(0, c).requires_grad_()
                u = w_out.index_select(0, x).requires_grad_()
                un = w_out.index_select(0, n).requires_grad_()
                loss = -(F.logsigmoid((v * u).sum(-1)) + weight * F.logsigmoid(-(v @ un.T)).sum(-1))
                loss.sum().backward()
                with torch.no_grad():
                    w_in.index_add_(0, c, v.grad, alpha=-rate)
                    w_out.index_add_(0, x, u.grad, alpha=-rate)
                    w_out.index_add_(0, n, un.grad, alpha=-rate)
                run.losses.append(loss.detach().mean().item())
                if not math.isfinite(run.losses[-1]):
                    raise FloatingPointError(
                        f"training diverged at step {step} (loss {run.losses[-1]}); "
                        f"lower lr (now {lr}) or batch_size (now {batch_size})")
                step += 1
                if i % 500 == 0 and not bar.disable:
                    bar.set_postfix(refresh=False, loss=f"{np.mean(run.losses[-500:]):.3f}")
    finally:
        torch.set_num_threads(threads)
    run.seconds = time.perf_counter() - start
    return run
