"""The torch twin of MSDN used by ``msdn bench``: the same network, weight for weight, in
``torch.nn``, checked against ours before it is timed.

Part of :mod:`msdn_numpy.tools.bench` (its docstring describes the whole benchmark).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from msdn_numpy.models import MSDN


def conv_weights(model: MSDN) -> list[tuple[np.ndarray, np.ndarray]]:
    """``(W (C, d, k), b (C,))`` of each kernel size of MSDN's ``convs``, in order (the readable
    ``Parallel`` and its fast twin hold the same branches)."""
    return [(b.layers[0].params["W"], b.layers[0].params["b"]) for b in model.convs.branches]


def build_torch_msdn(model: MSDN, torch: Any) -> Any:
    """The same architecture as ``model`` in ``torch.nn``, with ``model``'s weights copied in.

    Linear → ReLU (→ Dropout) = ``h``; the label-wise head Linear(h) = ``g``; what the kernels
    read: the score embedding ``tanh(u * g[:, None, perm] + e)`` (``embedding`` "label" or
    "both") or the free embedding Linear → Linear → reshape ``(N, d, L)`` → tanh ("free");
    one Conv1d per kernel size with our 'same' padding (left ``(k-1)//2``, right ``k//2``:
    Conv1d's own symmetric zero padding for odd ``k``, an explicit ``F.pad`` for even ``k`` or
    circular padding) → ReLU → concat; with "both", the free branch (free embedding → 1×1
    Conv1d → ReLU) concatenated first; → 1×1 Conv1d (``combine``) → ``s[:, 0, inverse]`` (back
    to the dataset's label order, as :meth:`MSDN.forward` does) added to the head. PyTorch
    stores a Linear's weight as ``(D_out, D_in)``, the transpose of our ``W``.
    """
    nn, F = torch.nn, torch.nn.functional
    opts = model.options
    d, L, ks, E, kind = opts.embed_dim, model.L, opts.kernel_sizes, opts.hidden, opts.embedding
    d_in = opts.kernel_channels
    circular = opts.padding_mode == "circular"

    def pad(z: Any, k: int) -> Any:  # our 'same' split; Conv1d pads odd zero cases itself
        if not circular and k % 2:
            return z
        return F.pad(z, ((k - 1) // 2, k // 2), mode="circular" if circular else "constant")

    class TorchMSDN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            enc: list[Any] = [nn.Linear(model.D, E), nn.ReLU()]
            if opts.dropout > 0:
                enc.append(nn.Dropout(opts.dropout))
            self.encoder = nn.Sequential(*enc)
            self.head = nn.Linear(E, L)
            if kind != "label":
                self.free = nn.Sequential(nn.Linear(E, opts.rank), nn.Linear(opts.rank, d * L))
            if kind != "free":
                self.u = nn.Parameter(torch.zeros(d_in, L))
                self.e = nn.Parameter(torch.zeros(d_in, L))
            if kind == "both":
                self.free_conv = nn.Conv1d(d, opts.free_channels, 1)
            self.convs = nn.ModuleList(
                nn.Conv1d(d_in, opts.channels, k, padding=(k - 1) // 2 if k % 2 and not circular else 0) for k in ks
            )
            self.combine = nn.Conv1d(model.combine.C_in, 1, 1)
            self.register_buffer("perm", torch.as_tensor(model.perm))
            self.register_buffer("inverse", torch.as_tensor(model.inverse))

        def forward(self, x: Any) -> Any:
            h = self.encoder(x)
            g = self.head(h)
            if kind == "free":
                z = torch.tanh(self.free(h).reshape(-1, d, L))
            else:
                z = torch.tanh(self.u * g[:, None, self.perm] + self.e)
            feats = [F.relu(conv(pad(z, k))) for k, conv in zip(ks, self.convs)]
            if kind == "both":
                feats.insert(0, F.relu(self.free_conv(torch.tanh(self.free(h).reshape(-1, d, L)))))
            return g + self.combine(torch.cat(feats, dim=1))[:, 0, self.inverse]

    tm = TorchMSDN()
    ours = dict((name, p) for name, p, _ in model.named_parameters())
    free = {"free": "embed", "both": "free_embed"}.get(kind)
    pairs = [(tm.encoder[0], "encoder.0"), (tm.head, "head"), (tm.combine, "combine")]
    if free:
        pairs += [(tm.free[0], f"{free}.0"), (tm.free[1], f"{free}.1")]
    if kind == "both":
        pairs.append((tm.free_conv, "free_conv.0"))
    pairs = [(layer, ours[f"{name}.W"], ours[f"{name}.b"]) for layer, name in pairs]
    pairs += [(conv, W, b) for conv, (W, b) in zip(tm.convs, conv_weights(model))]
    dtype = getattr(torch, np.dtype(model.dtype).name)
    with torch.no_grad():
        for layer, W, b in pairs:
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T if W.ndim == 2 else W)))
            layer.bias.copy_(torch.from_numpy(b))
        if kind != "free":
            tm.u.copy_(torch.from_numpy(ours["embed.u"]))
            tm.e.copy_(torch.from_numpy(ours["embed.e"]))
    return tm.to(dtype)


def check_torch_msdn(model: MSDN, tm: Any, X: np.ndarray, torch: Any) -> dict[str, Any]:
    """Parameter counts and the largest forward difference (evaluation mode)."""
    was = model.training
    model.eval()
    tm.eval()
    with torch.no_grad():
        ref = tm(torch.from_numpy(X)).numpy()
    ours = model.forward(X)
    model.train(was)
    tm.train(was)
    return {
        "numpy_params": model.num_parameters(),
        "torch_params": int(sum(p.numel() for p in tm.parameters())),
        "forward_max_abs_diff": float(np.max(np.abs(ours - ref))),
        "forward_max_abs_output": float(np.max(np.abs(ref))),
    }


def torch_epoch(tm: Any, opt: Any, X: Any, T: Any, order: Any, batch_size: int, torch: Any) -> float:
    """The same loop in PyTorch eager: zero_grad, forward, BCE-with-logits (mean), backward, step."""
    F = torch.nn.functional
    total = 0.0
    for i in range(0, len(X), batch_size):
        idx = order[i : i + batch_size]
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(tm(X[idx]), T[idx])
        total += loss.item() * len(idx)  # fit() turns each batch loss into a Python float too
        loss.backward()
        opt.step()
    return total / len(X)
