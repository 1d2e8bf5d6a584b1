#!/usr/bin/env python3
"""Recover UMI counts of a real 10x dataset for imputation benchmarks.

scanpy's wheel (PyPI) bundles `10x_pbmc68k_reduced.h5ad`: 700 PBMCs of 10x
Genomics' "Fresh 68k PBMCs" (Zheng et al. 2017, CC BY 4.0), 765 genes.  Its
`.raw.X` holds log1p(counts × s_c) rounded to 3 decimals, with one size factor
s_c per cell.  A cell's smallest non-zero value is a count of 1, so
s_c = expm1(min) and counts = round(expm1(raw) / s_c); the script checks that
the recovered counts are integral (a real check, not an assumption) before
writing them.

    /usr/bin/python3 scripts/bench/get_pbmc68k_counts.py OUT.h5ad [--wheel-dir DIR]

Needs Debian's python3-anndata, python3-scipy and pip (to fetch the wheel).
"""
import argparse
import glob
import os
import subprocess
import sys
import tempfile
import zipfile

import anndata
import numpy as np
import scipy.sparse as sp

MEMBER = "scanpy/datasets/10x_pbmc68k_reduced.h5ad"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out")
    ap.add_argument("--wheel-dir", default=os.path.expanduser("~/.cache/genomap-bench"))
    a = ap.parse_args()
    os.makedirs(a.wheel_dir, exist_ok=True)
    wheels = sorted(glob.glob(os.path.join(a.wheel_dir, "scanpy-*.whl")))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
                        "-d", a.wheel_dir, "scanpy==1.11.5"], check=True)
        wheels = sorted(glob.glob(os.path.join(a.wheel_dir, "scanpy-*.whl")))
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(wheels[-1]) as z:
            z.extract(MEMBER, tmp)
        ad = anndata.read_h5ad(os.path.join(tmp, MEMBER))
    raw = ad.raw.X.toarray() if sp.issparse(ad.raw.X) else np.asarray(ad.raw.X)
    raw = raw.astype(np.float64)
    counts = np.zeros_like(raw)
    for i, row in enumerate(raw):
        nz = row > 0
        s = np.expm1(row[nz].min())
        counts[i, nz] = np.expm1(row[nz]) / s
    dev = np.abs(counts - np.round(counts))[raw > 0]
    frac = float(np.mean(dev < 0.05))
    if frac < 0.99:
        sys.exit(f"{MEMBER}: recovered values are not integral ({frac:.3%} within 0.05); not writing")
    counts = np.round(counts)
    out = anndata.AnnData(X=sp.csr_matrix(counts.astype(np.float32)),
                          obs=ad.obs[["bulk_labels", "louvain"]].copy(),
                          var=ad.raw.var[[]].copy())
    out.uns["source"] = ("scanpy 1.11.5 wheel, datasets/10x_pbmc68k_reduced.h5ad (10x Genomics Fresh 68k PBMCs, "
                         "CC BY 4.0); counts recovered from raw.X by scripts/bench/get_pbmc68k_counts.py")
    out.write_h5ad(a.out)
    print(f"{a.out}: {out.n_obs} cells x {out.n_vars} genes, {int(counts.sum())} UMIs, "
          f"{frac:.2%} of non-zeros integral within 0.05, median UMIs/cell {np.median(counts.sum(1)):.0f}")


if __name__ == "__main__":
    main()
