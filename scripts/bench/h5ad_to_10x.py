#!/usr/bin/python3
"""Rewrites an h5ad with a CSR X (cells x genes) as a Cell Ranger >= 3 HDF5 file.

    /usr/bin/python3 scripts/bench/h5ad_to_10x.py IN.h5ad OUT.h5

genomap-cli convert writes no 10x HDF5, so the application benchmarks
(docs/performance.md, "The application") make their 10x file with this:
/matrix CSC features x barcodes (the CSR arrays of X unchanged: CSR of cells x
genes is CSC of genes x cells), int32 data, int64 indices and indptr in
shuffle+gzip chunks of 80 000 values as Cell Ranger writes them, barcodes from
obs/_index, features from var/_index (see ../shared/specs/formats.md).
Needs Debian's python3-h5py and numpy.
"""

import sys

import h5py
import numpy as np

CHUNK = 80000
BLOCK = 8 * 1024 * 1024


def names(group):
    key = group.attrs.get("_index", "_index")
    return [s.decode() if isinstance(s, bytes) else str(s) for s in group[key][:]]


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    src, dst = argv[1], argv[2]
    with h5py.File(src, "r") as f, h5py.File(dst + ".tmp", "w") as o:
        x = f["X"]
        n_cells, n_genes = (int(v) for v in x.attrs["shape"])
        if x.attrs.get("encoding-type") != "csr_matrix":
            sys.exit("%s: X is not a CSR matrix" % src)
        nnz = x["data"].shape[0]
        o.attrs["filetype"] = "matrix"
        o.attrs["version"] = np.int64(2)
        o.attrs["software_version"] = "h5ad_to_10x.py (synthetic)"
        o.attrs["chemistry_description"] = "Single Cell 3' v3"
        g = o.create_group("matrix")
        kw = dict(shape=(nnz,), chunks=(CHUNK,), compression="gzip", shuffle=True)
        data = g.create_dataset("data", dtype=np.int32, **kw)
        indices = g.create_dataset("indices", dtype=np.int64, **kw)
        for a in range(0, nnz, BLOCK):
            b = min(nnz, a + BLOCK)
            data[a:b] = np.rint(x["data"][a:b]).astype(np.int32)
            indices[a:b] = x["indices"][a:b].astype(np.int64)
        g.create_dataset("indptr", data=x["indptr"][:].astype(np.int64), compression="gzip", shuffle=True)
        g.create_dataset("shape", data=np.array([n_genes, n_cells], dtype=np.int32))
        fixed = lambda v: np.array([s.encode("utf-8") for s in v])  # noqa: E731  (S<n>)
        g.create_dataset("barcodes", data=fixed(names(f["obs"])), compression="gzip")
        genes = names(f["var"])
        ft = g.create_group("features")
        ft.create_dataset("id", data=fixed(genes), compression="gzip")
        ft.create_dataset("name", data=fixed(genes), compression="gzip")
        ft.create_dataset("feature_type", data=fixed(["Gene Expression"] * n_genes), compression="gzip")
        ft.create_dataset("genome", data=fixed(["GRCh38"] * n_genes), compression="gzip")
        ft.create_dataset("_all_tag_keys", data=np.array([b"genome"]))
    import os
    os.replace(dst + ".tmp", dst)
    print("%s: %d cells x %d genes, %d non-zeros" % (dst, n_cells, n_genes, nnz))


if __name__ == "__main__":
    main(sys.argv)
