"""Label orders: the order of the label axis that MSDN's convolutions slide along.

A kernel of size k relates each label to its k-1 neighbours *in this order*, and the
order of a dataset's file is arbitrary, so the order is a modelling choice.

Cost in the number of labels L. The co-occurrence graph is built sparse (its edges are
the label pairs that occur together, computed from the sparse label matrix), and the
Fiedler vector of a connected component comes from a dense eigendecomposition, O(n^3),
only up to :data:`DENSE_EIGH_MAX` labels; larger components use Lanczos iterations on
the sparse Laplacian, O(edges) per iteration (docs/PERFORMANCE.md, "Large label sets").
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from scipy.sparse.csgraph import connected_components

#: The label orders :func:`label_order` knows.
LABEL_ORDERS = ("given", "frequency", "cooccurrence", "random")

#: Connected components up to this many labels get their Fiedler vector from the dense
#: ``scipy.linalg.eigh`` (exact; every bundled dataset, L <= 174, stays on this path);
#: larger ones from ``scipy.sparse.linalg.eigsh``, whose cost grows with the edges, not as n^3
#: (docs/PERFORMANCE.md, "Large label sets").
DENSE_EIGH_MAX = 1000


def cooccurrence_graph(Y: np.ndarray) -> scipy.sparse.csr_matrix:
    """The cosine co-occurrence similarity as a sparse matrix, shape (L, L), zero diagonal.

    ``S[i, j] = C[i, j] / sqrt(C[i, i] C[j, j])`` with ``C = Y^T Y`` (co-occurrence
    counts). Cosine rather than raw counts, so that two frequent labels are not
    "similar" merely because both are frequent. Only pairs that occur together are
    stored: building it costs O(N * cardinality^2), not O(N * L^2), and its size is the
    number of such pairs, not L^2.
    """
    Ys = scipy.sparse.csr_matrix(np.asarray(Y) != 0, dtype=np.float64)  # (N, L), exact 0/1
    C = (Ys.T @ Ys).tocoo()  # integer counts, exact in float64
    counts = np.asarray(Ys.sum(axis=0), dtype=np.float64).ravel()  # C[i, i]
    off = C.row != C.col
    i, j = C.row[off], C.col[off]
    values = C.data[off] / np.sqrt(counts[i] * counts[j])  # the same operations as the dense formula
    S = scipy.sparse.csr_matrix((values, (i, j)), shape=C.shape)
    S.eliminate_zeros()
    return S


def cooccurrence_similarity(Y: np.ndarray) -> np.ndarray:
    """:func:`cooccurrence_graph` as a dense array, shape (L, L) (for plots and small L).

    Labels that never occur get 0 everywhere.
    """
    return cooccurrence_graph(Y).toarray()


def _fiedler_vector(S: scipy.sparse.csr_matrix) -> np.ndarray:
    """The eigenvector of the second-smallest eigenvalue of ``Lap = diag(S.sum(1)) - S``.

    ``S`` is one connected component (n nodes). Up to :data:`DENSE_EIGH_MAX` nodes: the
    dense ``eigh``. Beyond: Lanczos (``eigsh``) for the *largest* eigenvalue of
    ``c I - Lap`` (``c = 2 max degree`` bounds Lap's spectrum, so this is Lap's smallest)
    on the vectors orthogonal to the constant vector (the eigenvalue-0 eigenvector of a
    connected graph), i.e. Lap's second-smallest; deterministic starting vector. If
    Lanczos does not converge, the dense ``eigh`` (slow but exact).
    """
    n = S.shape[0]
    if n <= DENSE_EIGH_MAX:
        dense = S.toarray()
        laplacian = np.diag(dense.sum(axis=1)) - dense
        return scipy.linalg.eigh(laplacian)[1][:, 1]
    degree = np.asarray(S.sum(axis=1)).ravel()
    laplacian = scipy.sparse.diags(degree) - S
    c = 2.0 * degree.max()
    u = np.full(n, 1.0 / np.sqrt(n))  # the constant eigenvector, projected out

    def matvec(x: np.ndarray) -> np.ndarray:
        x = x.ravel() - u * (u @ x.ravel())
        y = c * x - laplacian @ x
        return y - u * (u @ y)

    op = scipy.sparse.linalg.LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(0).standard_normal(n)
    try:
        _, vectors = scipy.sparse.linalg.eigsh(op, k=1, which="LA", v0=v0 - u * (u @ v0), tol=1e-12)
    except scipy.sparse.linalg.ArpackNoConvergence:
        return scipy.linalg.eigh(laplacian.toarray())[1][:, 1]
    return vectors[:, 0]


def _fiedler_order(S: scipy.sparse.csr_matrix) -> np.ndarray:
    """Order the nodes of one connected similarity graph by its Fiedler vector.

    Laplacian ``Lap = diag(S.sum(1)) - S``; the eigenvector of its second-smallest
    eigenvalue places strongly linked nodes close together (spectral seriation,
    Atkins, Boman & Hendrickson 1998). Its sign is arbitrary, so we flip it to make
    the first node with a non-zero entry negative: node order decides, not LAPACK.
    """
    n = S.shape[0]
    if n <= 2:
        return np.arange(n)
    fiedler = np.round(_fiedler_vector(S), 12)  # rounding: ties stay ties across platforms
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
    S = cooccurrence_graph(Y)
    n_comp, comp = connected_components(S, directed=False)
    # Group the labels by component (file order inside each) with one sort, and permute S
    # the same way once: each component is then a contiguous diagonal block, cut out in
    # time proportional to its own edges (indexing S per component would cost O(L) each).
    by_component = np.argsort(comp, kind="stable")
    ends = np.cumsum(np.bincount(comp, minlength=n_comp))
    S = S[by_component][:, by_component].tocsr()
    spans = [(int(a), int(b)) for a, b in zip(np.concatenate([[0], ends[:-1]]), ends)]
    linked = sorted((sp for sp in spans if sp[1] - sp[0] > 1), key=lambda sp: (sp[0] - sp[1], by_component[sp[0]]))
    alone = np.sort(np.array([by_component[a] for a, b in spans if b - a == 1], dtype=int))
    pieces = [by_component[a:b][_fiedler_order(S[a:b, a:b])] for a, b in linked] + [alone]
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
