#!/usr/bin/env python3
"""How much a per-cell predictor trained on neighbour targets can recover on the ER-Net accuracy
benchmark (docs/performance.md, "ER-Net accuracy", the neighbours recipe).

    /usr/bin/python3 scripts/bench/neighbour_target.py ref.h5ad obs.h5ad LAYOUT.tsv

Same metric as the benchmark: median per-gene Pearson r across cells, log1p(CP10k), over the
layout's genes, against the reference.  For k nearest other cells (10 PCs of the 2 000 most
variable log-normalised genes, as gm_cell_neighbours):
  * the target alone: each cell predicted by its neighbours' mean;
  * ridge regression from the cell's own observed profile to that target, cross-fitted on two
    halves of the cells (a linear per-cell predictor trained with the Noise2Noise target);
  * with PyTorch (Debian's python3-torch), a "gene head" alone — linear → 16 → ReLU → linear on
    the globally standardised, placeholder-coded map, no convolutions — trained like ER-Net's
    default recipe (MSE, Adam lr 1e-3, batch 64, 1 000 steps), in sample: what the head
    contributes without the convolutional trunk.
"""
import sys

import anndata
import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from ernet_ceiling import dense, lognorm, read_layout  # noqa: E402


def main():
    ref_p, obs_p, lay_p = sys.argv[1:4]
    ref, obs = anndata.read_h5ad(ref_p), anndata.read_h5ad(obs_p)
    genes = list(read_layout(lay_p))
    names = list(ref.var_names)
    idx = [names.index(g) for g in genes]
    LR = lognorm(dense(ref.X).astype(np.float64))[:, idx]
    LOall = lognorm(dense(obs.X).astype(np.float64))
    LO = LOall[:, idx]
    b = LR - LR.mean(0)

    def score(L):
        a = L - L.mean(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0))
        return float(np.nanmedian(r))

    n = LO.shape[0]
    hv = np.argsort(-LOall.var(0))[:2000]
    A = LOall[:, hv] - LOall[:, hv].mean(0)
    U, S, _ = np.linalg.svd(A, full_matrices=False)
    P = U[:, :10] * S[:10]
    D = ((P[:, None, :] - P[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(D, np.inf)
    order = np.argsort(D, 1)
    print(f"{len(genes)} genes, {n} cells; observed {score(LO):.4f}")
    for k in (15, 30, 60, 120):
        T = LO[order[:, :k]].mean(1)
        out = [f"k={k:<4d} target alone {score(T):.4f}"]
        for lam in (100.0, 1000.0, 10000.0):
            pred = np.zeros_like(T)
            for f in range(2):
                tr = np.arange(n) % 2 != f
                X = LO[tr]
                mx, my = X.mean(0), T[tr].mean(0)
                Xc = X - mx
                W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(X.shape[1]), Xc.T @ (T[tr] - my))
                pred[~tr] = (LO[~tr] - mx) @ W + my
            out.append(f"ridge λ={lam:g} {score(pred):.4f}")
        print("  ".join(out), flush=True)
    try:
        import torch
    except ImportError:
        print("(no torch: gene head alone skipped)")
        return
    torch.set_num_threads(1)
    scale = np.quantile(LO[LO > 0], 0.999) / 0.5
    V = np.minimum(LO / scale, 1)
    X = torch.tensor(np.where(LO > 0, V, 0.999), dtype=torch.float32)
    T = torch.tensor(V[order[:, :30]].mean(1), dtype=torch.float32)
    torch.manual_seed(0)
    head = torch.nn.Sequential(torch.nn.Linear(X.shape[1], 16), torch.nn.ReLU(), torch.nn.Linear(16, X.shape[1]))
    torch.nn.init.zeros_(head[2].weight)
    torch.nn.init.zeros_(head[2].bias)
    opt = torch.optim.Adam(head.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(0)

    def f(x):
        return torch.tanh(head((x - x.mean()) / x.std()))

    for step in range(1, 1001):
        i = torch.randperm(n, generator=g)[:64]
        loss = ((f(X[i]) - T[i]) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 250 == 0:
            with torch.no_grad():
                print(f"gene head alone (k=30, MSE, lr 1e-3) step {step}: {score(f(X).numpy()):.4f}", flush=True)


if __name__ == "__main__":
    main()
