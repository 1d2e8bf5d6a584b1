#!/usr/bin/env python3
"""Upper reference for the ER-Net accuracy benchmark (docs/performance.md).

Scores the 'oracle' that predicts every cell by the mean log1p(CP10k) reference profile of its
true group, with the benchmark's metric: median per-gene Pearson r across cells over the genes
of a layout, against the reference on log1p(CP10k).

    /usr/bin/python3 scripts/bench/group_oracle.py ref.h5ad layout.tsv [--group group]
"""
import argparse

import anndata
import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ref")
    ap.add_argument("layout")
    ap.add_argument("--group", default="group")
    a = ap.parse_args()
    ref = anndata.read_h5ad(a.ref)
    genes = [l.split("\t")[0] for l in open(a.layout)
             if not l.startswith("#") and not l.startswith("gene\t")]
    R = ref.X.toarray() if hasattr(ref.X, "toarray") else np.asarray(ref.X)
    L = np.log1p(R * 1e4 / R.sum(1, keepdims=True))
    names = list(ref.var_names)
    L = L[:, [names.index(g) for g in genes]]
    grp = ref.obs[a.group].values
    M = np.zeros_like(L)
    for g in np.unique(grp):
        M[grp == g] = L[grp == g].mean(0)
    r = [np.corrcoef(M[:, k], L[:, k])[0, 1] for k in range(L.shape[1])]
    print(f"group-mean oracle: median per-gene r {np.nanmedian(r):.4f} over {len(genes)} genes")


if __name__ == "__main__":
    main()
