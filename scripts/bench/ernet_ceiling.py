#!/usr/bin/env python3
"""What a per-cell method could recover on the ER-Net accuracy benchmark, and how much of it a
convolution on the GenoMap can reach (docs/performance.md, "ER-Net accuracy", "Why").

    /usr/bin/python3 scripts/bench/ernet_ceiling.py ref.h5ad obs.h5ad magic.h5ad LAYOUT.tsv [LAYOUT.tsv…]

Every score is the benchmark's metric: median per-gene Pearson r across cells, on log1p(CP10k)
(each matrix's own library sizes), over the genes of the first layout, against the reference.
  * observed, MAGIC (the file given, made by `genomap-cli impute --method magic`);
  * per-cell group call: each cell is assigned the group whose pooled reference profile gives its
    own observed counts the highest multinomial likelihood, and is predicted by that group's mean
    reference profile (uses the groups and the reference: an upper bound, not a method);
  * rank-k reconstruction of each cell's own observed profile in the dataset's principal axes
    (a per-cell linear map learnt from all cells);
  * the 3 × 3 (and 5 × 5) mean over each gene's neighbours on a layout's grid, of the observed
    data and of the reference: how much a gene's map neighbours tell about it;
  * the best per-gene blend a·MAGIC + b·observed, with a and b fitted against the reference (an
    upper bound on what a network given MAGIC's output and the cell's own values could add).
"""
import sys

import anndata
import numpy as np


def dense(x):
    return x.toarray() if hasattr(x, "toarray") else np.asarray(x)


def lognorm(m):
    return np.log1p(m * 1e4 / np.maximum(m.sum(1, keepdims=True), 1e-12))


def read_layout(path):
    out = {}
    for line in open(path):
        if line.startswith("#") or line.startswith("gene\t"):
            continue
        g, r, c = line.rstrip("\n").split("\t")[:3]
        out[g] = (int(r), int(c))
    return out


def main():
    ref_p, obs_p, magic_p, *lays = sys.argv[1:]
    ref, obs = anndata.read_h5ad(ref_p), anndata.read_h5ad(obs_p)
    layouts = [read_layout(p) for p in lays]
    genes = list(layouts[0])
    names = list(ref.var_names)
    idx = [names.index(g) for g in genes]
    R = dense(ref.X).astype(np.float64)
    O = dense(obs.X).astype(np.float64)
    LR = lognorm(R)[:, idx]
    LO = lognorm(O)[:, idx]
    b = LR - LR.mean(0)

    def score(L):
        a = L - L.mean(0)
        with np.errstate(invalid="ignore", divide="ignore"):
            r = (a * b).sum(0) / np.sqrt((a * a).sum(0) * (b * b).sum(0))
        return np.nanmedian(r)

    print(f"{len(genes)} genes, {O.shape[0]} cells, median {np.median(O.sum(1)):.0f} UMIs per cell, "
          f"{(O[:, idx] > 0).mean() * 100:.1f} % of mapped values non-zero")
    print(f"observed                          {score(LO):.4f}")
    M = dense(anndata.read_h5ad(magic_p).X).astype(np.float64)
    LM = lognorm(M)[:, idx]
    print(f"MAGIC                             {score(LM):.4f}")

    def unit(L):
        L = L - L.mean(0)
        return L / np.maximum(np.sqrt((L * L).sum(0)), 1e-12)

    zr, zm, zo = unit(LR), unit(LM), unit(LO)
    rm, ro, c = (zm * zr).sum(0), (zo * zr).sum(0), (zm * zo).sum(0)
    r2 = (rm ** 2 + ro ** 2 - 2 * rm * ro * c) / np.maximum(1 - c ** 2, 1e-12)
    print(f"best per-gene blend of MAGIC and observed (fitted on the reference) {np.nanmedian(np.sqrt(np.clip(r2, 0, 1))):.4f}")

    grp = ref.obs["group"].values
    groups = np.unique(grp)
    prof = np.array([R[grp == g].sum(0) / R[grp == g].sum() for g in groups])
    call = groups[(O @ np.log(prof.T + 1e-12)).argmax(1)]
    P = np.zeros_like(LR)
    for g in groups:
        P[call == g] = LR[grp == g].mean(0)
    print(f"per-cell group call → group mean  {score(P):.4f}   (calls right: {(call == grp).mean() * 100:.1f} %)")

    mu = LO.mean(0)
    U, S, Vt = np.linalg.svd(LO - mu, full_matrices=False)
    print("rank-k reconstruction            " + "  ".join(
        f"k={k}: {score(U[:, :k] * S[:k] @ Vt[:k] + mu):.4f}" for k in (2, 4, 5, 8, 16, 32)))

    for path, lay in zip(lays, layouts):
        rc = np.array([lay[g] for g in genes])
        rows, cols = rc[:, 0].max() + 1, rc[:, 1].max() + 1

        def blur(L, rad):
            G = np.zeros((L.shape[0], rows + 2 * rad, cols + 2 * rad))
            W = np.zeros((rows + 2 * rad, cols + 2 * rad))
            G[:, rc[:, 0] + rad, rc[:, 1] + rad] = L
            W[rc[:, 0] + rad, rc[:, 1] + rad] = 1
            S_ = np.zeros_like(G)
            SW = np.zeros_like(W)
            for dr in range(-rad, rad + 1):
                for dc in range(-rad, rad + 1):
                    S_ += np.roll(np.roll(G, dr, 1), dc, 2)
                    SW += np.roll(np.roll(W, dr, 0), dc, 1)
            return (S_ / np.maximum(SW, 1))[:, rc[:, 0] + rad, rc[:, 1] + rad]

        print(f"{path}: observed 3×3 mean {score(blur(LO, 1)):.4f}, 5×5 {score(blur(LO, 2)):.4f}; "
              f"reference 3×3 mean vs reference {score(blur(LR, 1)):.4f}")


if __name__ == "__main__":
    main()
