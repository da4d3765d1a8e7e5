"""Label orders: the order of the label axis that MSDN's convolutions slide along.

A kernel of size k relates each label to its k-1 neighbours *in this order*, and the
order of a dataset's file is arbitrary, so the order is a modelling choice.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
from scipy.sparse.csgraph import connected_components

#: The label orders :func:`label_order` knows.
LABEL_ORDERS = ("given", "frequency", "cooccurrence", "random")


def cooccurrence_similarity(Y: np.ndarray) -> np.ndarray:
    """Cosine similarity of label columns, zero diagonal; shape (L, L).

    ``S[i, j] = C[i, j] / sqrt(C[i, i] C[j, j])`` with ``C = Y^T Y`` (co-occurrence
    counts). Cosine rather than raw counts, so that two frequent labels are not
    "similar" merely because both are frequent. Labels that never occur get 0.
    """
    Y = np.asarray(Y, dtype=np.float64)
    C = Y.T @ Y
    counts = np.diag(C).copy()
    norm = np.sqrt(np.outer(counts, counts))
    S = np.divide(C, norm, out=np.zeros_like(C), where=norm > 0)
    np.fill_diagonal(S, 0.0)
    return S


def _fiedler_order(S: np.ndarray) -> np.ndarray:
    """Order the nodes of one connected similarity graph by its Fiedler vector.

    Laplacian ``Lap = diag(S.sum(1)) - S``; the eigenvector of its second-smallest
    eigenvalue places strongly linked nodes close together (spectral seriation,
    Atkins, Boman & Hendrickson 1998). Its sign is arbitrary, so we flip it to make
    the first node with a non-zero entry negative: node order decides, not LAPACK.
    """
    n = S.shape[0]
    if n <= 2:
        return np.arange(n)
    laplacian = np.diag(S.sum(axis=1)) - S
    _, vectors = scipy.linalg.eigh(laplacian)
    fiedler = np.round(vectors[:, 1], 12)  # rounding: ties stay ties across platforms
    nonzero = np.flatnonzero(fiedler)
    if nonzero.size and fiedler[nonzero[0]] > 0:
        fiedler = -fiedler
    return np.argsort(fiedler, kind="stable")


def _cooccurrence_order(Y: np.ndarray) -> np.ndarray:
    """Spectral seriation of the label co-occurrence graph, shape (L,).

    Each connected component is ordered by its own Fiedler vector (a disconnected
    graph's Fiedler vector is not unique); components follow each other largest
    first, ties by their smallest label index; labels that co-occur with no other
    label (including labels that never occur) come last, in file order.
    """
    S = cooccurrence_similarity(Y)
    n_comp, comp = connected_components(S > 0, directed=False)
    blocks = [np.flatnonzero(comp == c) for c in range(n_comp)]  # each block sorted
    linked = sorted((b for b in blocks if len(b) > 1), key=lambda b: (-len(b), b[0]))
    alone = np.array(sorted(b[0] for b in blocks if len(b) == 1), dtype=int)
    pieces = [b[_fiedler_order(S[np.ix_(b, b)])] for b in linked] + [alone]
    return np.concatenate(pieces).astype(int)


def label_order(Y: np.ndarray, method: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A permutation of the label axis, and its inverse.

    Parameters
    ----------
    Y : np.ndarray, shape (N, L)
        Training labels (0/1).
    method : {"given", "frequency", "cooccurrence", "random"}
        * ``given``: the file order (identity);
        * ``frequency``: most frequent label first, ties in file order;
        * ``cooccurrence``: spectral seriation of the cosine co-occurrence graph
          (see :func:`cooccurrence_similarity`), so that labels that occur together
          sit next to each other, where MSDN's small kernels can relate them;
        * ``random``: ``default_rng(seed).permutation(L)`` (for ablations).
    seed : int
        Used by ``random`` only.

    Returns
    -------
    perm : np.ndarray of int, shape (L,)
        ``Y[:, perm]`` is the reordered label matrix.
    inverse : np.ndarray of int, shape (L,)
        ``Y[:, perm][:, inverse]`` equals ``Y``: maps predictions back to file order.
    """
    Y = np.asarray(Y)
    if Y.ndim != 2:
        raise ValueError(f"label_order: Y must have shape (N, L), got {Y.shape}")
    n_labels = Y.shape[1]
    if method == "given":
        perm = np.arange(n_labels)
    elif method == "frequency":
        perm = np.argsort(-Y.sum(axis=0), kind="stable")
    elif method == "cooccurrence":
        perm = _cooccurrence_order(Y)
    elif method == "random":
        perm = np.random.default_rng(seed).permutation(n_labels)
    else:
        raise ValueError(f"unknown label order {method!r}; choose one of {', '.join(LABEL_ORDERS)}")
    perm = perm.astype(int)
    return perm, np.argsort(perm)
