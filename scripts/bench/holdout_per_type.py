#!/usr/bin/env python3
"""Hold-out accuracy per cell type: how imputation does on rare populations
(docs/performance.md, "ER-Net accuracy", rare cell types).

    /usr/bin/python3 scripts/bench/holdout_per_type.py TRUTH.h5ad MASKED.h5ad LABEL IMPUTED.h5ad…

TRUTH is the data before `genomap-cli simulate --holdout`, MASKED its output, LABEL an obs
column of TRUTH.  The hidden entries are those non-zero in TRUTH and zero in MASKED.  For each
cell type (smallest first) and for all cells, the Pearson r over its hidden entries between
log1p(CP10k) of each imputed matrix and of TRUTH (each matrix's own library sizes), as
`genomap-cli evaluate --holdout` computes its overall r.
"""
import sys

import anndata
import numpy as np


def dense(x):
    return x.toarray() if hasattr(x, "toarray") else np.asarray(x)


def lognorm(m):
    return np.log1p(m * 1e4 / np.maximum(m.sum(1, keepdims=True), 1e-12))


def main():
    truth_p, masked_p, label, *files = sys.argv[1:]
    truth = anndata.read_h5ad(truth_p)
    T = dense(truth.X).astype(np.float64)
    M = dense(anndata.read_h5ad(masked_p).X).astype(np.float64)
    hidden = (T != 0) & (M == 0)
    lab = truth.obs[label].astype(str).values
    LT = lognorm(T)
    L = {f: lognorm(dense(anndata.read_h5ad(f).X).astype(np.float64)) for f in files}
    names = [f.rsplit("/", 1)[-1].rsplit(".", 1)[0] for f in files]
    print(f"{'cell type':32s} {'cells':>5s} {'hidden':>6s} " + " ".join(f"{n:>12s}" for n in names))
    for t in sorted(set(lab), key=lambda t: (lab == t).sum()) + [None]:
        rows = lab == t if t is not None else np.ones(len(lab), bool)
        h = hidden & rows[:, None]
        rs = [np.corrcoef(L[f][h], LT[h])[0, 1] for f in files]
        print(f"{t or 'all':32s} {rows.sum():5d} {h.sum():6d} " + " ".join(f"{r:12.4f}" for r in rs))


if __name__ == "__main__":
    main()
