#!/usr/bin/python3
"""Deterministic generator of a 10x-like single-cell count matrix for the I/O benchmark.

    /usr/bin/python3 scripts/bench/gen_10x_like.py --out DIR [--cells 100000] [--genes 30000]
        [--counts-per-cell 2000] [--seed 20240607] [--tenx] [--loom] [--loom-cells 20000]

Writes, into DIR:
  big.h5ad      anndata-0.8 layout written with h5py block by block: X as CSR float32
                (int32 indices, int32/int64 indptr), obs with the categorical `cell_type`,
                float32 `n_counts` and int32 `n_genes`, var with `gene_ids`.
  big_10x.h5    (--tenx) Cell Ranger >= 3 layout: /matrix CSC features x barcodes, int32
                data, int64 indices/indptr, shuffle+gzip chunks of 80000 as Cell Ranger does.
  big.loom      (--loom) loom 3.0.0: dense float32 genes x cells, 64x64 gzip chunks.
                Dense is N*G*4 bytes before compression (100 000 x 30 000 would be 12 GB),
                so only the first --loom-cells cells (default 20 000) go into the loom.
  manifest.json sizes, nnz, total, seed and the command line.

The model (vectorised numpy, one block of cells at a time, so memory stays well under 2 GB):
  * gene popularity follows a power law, p_j ~ (rank_j + 20)^-1.1, over a seeded random
    order of the genes;
  * a few cell types (categorical obs/cell_type), each boosting its own 60 marker genes 25x;
  * a negative-binomial library size per cell (mean --counts-per-cell, shape 4);
  * counts arrive in bursts of geometric size (mean 1.5) at genes drawn from the cell
    type's profile, which makes the per-gene counts over-dispersed (negative-binomial-like).
The same seed and sizes give byte-identical files (h5ad, 10x and loom) on every run.
At the default size it takes about a minute and under 1 GB of memory.
"""

import argparse
import json
import os
import sys
import time

import h5py
import numpy as np

CELL_TYPES = ["T cell", "B cell", "NK cell", "Monocyte", "Dendritic cell", "Platelet"]
TYPE_SHARE = [0.35, 0.20, 0.15, 0.20, 0.06, 0.04]
MARKERS_PER_TYPE = 60
MARKER_BOOST = 25.0
BURST_MEAN = 1.5
BLOCK_CELLS = 4000
STR = h5py.string_dtype("utf-8")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--genes", type=int, default=30_000)
    ap.add_argument("--counts-per-cell", type=float, default=2000.0)
    ap.add_argument("--seed", type=int, default=20240607)
    ap.add_argument("--tenx", action="store_true", help="also write big_10x.h5 (Cell Ranger v3)")
    ap.add_argument("--loom", action="store_true", help="also write big.loom (first --loom-cells cells)")
    ap.add_argument("--loom-cells", type=int, default=20_000)
    return ap.parse_args(argv)


# ---------------------------------------------------------------------------
# the model

class Model:
    def __init__(self, n_cells, n_genes, counts_per_cell, seed):
        self.n_cells, self.n_genes = n_cells, n_genes
        rng = np.random.default_rng(seed)
        self.rng = rng
        base = (np.arange(n_genes) + 20.0) ** -1.1
        base = base[rng.permutation(n_genes)]
        self.cdf = np.empty((len(CELL_TYPES), n_genes))
        for k in range(len(CELL_TYPES)):
            p = base.copy()
            markers = rng.choice(n_genes, size=min(MARKERS_PER_TYPE, n_genes), replace=False)
            p[markers] *= MARKER_BOOST
            c = np.cumsum(p)
            self.cdf[k] = c / c[-1]
        self.cell_type = rng.choice(len(CELL_TYPES), size=n_cells, p=TYPE_SHARE).astype(np.int8)
        shape = 4.0  # negative binomial: mean counts_per_cell, variance mean + mean^2/shape
        libs = rng.negative_binomial(shape, shape / (shape + counts_per_cell), size=n_cells)
        self.bursts = np.maximum(np.round(np.maximum(libs, 200) / BURST_MEAN), 1).astype(np.int64)
        self.barcodes = make_barcodes(rng, n_cells)
        self.gene_ids = np.array([f"ENSG{90000000000 + 37 * j:011d}" for j in range(n_genes)], dtype=object)
        self.gene_names = np.array([gene_name(j) for j in range(n_genes)], dtype=object)

    def max_nnz(self):
        return int(self.bursts.sum())

    def block(self, c0, c1):
        """CSR of cells [c0, c1): (indptr relative to the block, int32 indices, int32 counts)."""
        rng = self.rng
        nb = self.bursts[c0:c1]
        cell = np.repeat(np.arange(c1 - c0, dtype=np.int64), nb)
        types = self.cell_type[c0:c1][cell]
        gene = np.empty(cell.size, dtype=np.int64)
        u = rng.random(cell.size)
        for k in range(len(CELL_TYPES)):
            m = types == k
            gene[m] = np.searchsorted(self.cdf[k], u[m], side="right")
        np.minimum(gene, self.n_genes - 1, out=gene)
        size = rng.geometric(1.0 / BURST_MEAN, size=cell.size)
        keys, inverse = np.unique(cell * self.n_genes + gene, return_inverse=True)
        counts = np.bincount(inverse, weights=size, minlength=keys.size).astype(np.int32)
        rows = keys // self.n_genes
        indptr = np.zeros(c1 - c0 + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=c1 - c0), out=indptr[1:])
        return indptr, (keys % self.n_genes).astype(np.int32), counts


def make_barcodes(rng, n):
    """Unique 16-mer barcodes with the GEM-well suffix, as Cell Ranger writes them."""
    got, seen = [], set()
    while len(got) < n:
        for v in rng.integers(0, 4 ** 16, size=n - len(got) + 16).tolist():
            if v not in seen:
                seen.add(v)
                got.append(v)
    acgt = "ACGT"
    return np.array(["".join(acgt[(v >> (2 * i)) & 3] for i in range(15, -1, -1)) + "-1"
                     for v in got[:n]], dtype=object)


def gene_name(j):
    if j < 13:
        return f"MT-G{j}"
    if j % 97 == 0:
        return f"AC{j:06d}.1"
    return f"GENE{j:05d}"


# ---------------------------------------------------------------------------
# writers (all with h5py, streaming block by block)

def set_enc(obj, kind, version):
    obj.attrs["encoding-type"] = kind
    obj.attrs["encoding-version"] = version


def write_strings(group, name, values, enc=True):
    ds = group.create_dataset(name, data=np.asarray(values, dtype=object), dtype=STR)
    if enc:
        set_enc(ds, "string-array", "0.2.0")
    return ds


class H5adWriter:
    def __init__(self, path, model):
        self.f = h5py.File(path, "w")
        self.model = model
        f = self.f
        set_enc(f, "anndata", "0.1.0")
        x = f.create_group("X")
        set_enc(x, "csr_matrix", "0.1.0")
        x.attrs["shape"] = np.array([model.n_cells, model.n_genes], dtype=np.int64)
        big = model.max_nnz() > 2 ** 31 - 1
        self.indptr_dtype = np.int64 if big else np.int32
        chunk = h5py.filters.guess_chunk((max(model.max_nnz(), 1),), (None,), 4)
        self.data = x.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=chunk)
        self.indices = x.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32, chunks=chunk)
        self.indptr = [np.zeros(1, dtype=np.int64)]
        self.nnz = 0
        self.n_counts = np.zeros(model.n_cells, dtype=np.float32)
        self.n_genes = np.zeros(model.n_cells, dtype=np.int32)

    def add(self, c0, c1, indptr, indices, counts):
        n = indices.size
        for ds, values in ((self.data, counts.astype(np.float32)), (self.indices, indices)):
            ds.resize((self.nnz + n,))
            ds[self.nnz:] = values
        self.indptr.append(indptr[1:] + self.nnz)
        self.nnz += n
        rows = np.repeat(np.arange(c1 - c0), np.diff(indptr))
        self.n_counts[c0:c1] = np.bincount(rows, weights=counts, minlength=c1 - c0)
        self.n_genes[c0:c1] = np.diff(indptr)

    def close(self):
        f, m = self.f, self.model
        f["X"].create_dataset("indptr", data=np.concatenate(self.indptr).astype(self.indptr_dtype),
                              maxshape=(None,))
        obs = f.create_group("obs")
        set_enc(obs, "dataframe", "0.2.0")
        obs.attrs["_index"] = "_index"
        obs.attrs["column-order"] = ["cell_type", "n_counts", "n_genes"]
        write_strings(obs, "_index", m.barcodes)
        ct = obs.create_group("cell_type")
        set_enc(ct, "categorical", "0.2.0")
        ct.attrs["ordered"] = np.bool_(False)
        set_enc(ct.create_dataset("codes", data=m.cell_type), "array", "0.2.0")
        write_strings(ct, "categories", CELL_TYPES)
        set_enc(obs.create_dataset("n_counts", data=self.n_counts), "array", "0.2.0")
        set_enc(obs.create_dataset("n_genes", data=self.n_genes), "array", "0.2.0")
        var = f.create_group("var")
        set_enc(var, "dataframe", "0.2.0")
        var.attrs["_index"] = "_index"
        var.attrs["column-order"] = ["gene_ids"]
        write_strings(var, "_index", m.gene_names)
        write_strings(var, "gene_ids", m.gene_ids)
        for name in ("layers", "obsm", "obsp", "uns", "varm", "varp"):
            set_enc(f.create_group(name), "dict", "0.1.0")
        f.close()


class TenxWriter:
    CHUNK = 80000

    def __init__(self, path, model):
        self.f = h5py.File(path, "w")
        self.model = model
        f = self.f
        f.attrs["filetype"] = "matrix"
        f.attrs["version"] = np.int64(2)
        f.attrs["software_version"] = "gen_10x_like.py (synthetic)"
        f.attrs["chemistry_description"] = "Single Cell 3' v3"
        g = f.create_group("matrix")
        kw = dict(shape=(0,), maxshape=(None,), chunks=(self.CHUNK,), compression="gzip", shuffle=True)
        self.data = g.create_dataset("data", dtype=np.int32, **kw)
        self.indices = g.create_dataset("indices", dtype=np.int64, **kw)
        self.indptr = [np.zeros(1, dtype=np.int64)]
        self.nnz = 0

    def add(self, c0, c1, indptr, indices, counts):
        n = indices.size
        for ds, values in ((self.data, counts), (self.indices, indices.astype(np.int64))):
            ds.resize((self.nnz + n,))
            ds[self.nnz:] = values
        self.indptr.append(indptr[1:] + self.nnz)
        self.nnz += n

    def close(self):
        f, m = self.f, self.model
        g = f["matrix"]
        kw = dict(compression="gzip", shuffle=True)
        g.create_dataset("indptr", data=np.concatenate(self.indptr), chunks=True, maxshape=(None,), **kw)
        g.create_dataset("shape", data=np.array([m.n_genes, m.n_cells], dtype=np.int32))
        fixed = lambda v: np.array([s.encode("ascii") for s in v])  # noqa: E731  (S<n>)
        g.create_dataset("barcodes", data=fixed(m.barcodes), compression="gzip")
        ft = g.create_group("features")
        ft.create_dataset("id", data=fixed(m.gene_ids), compression="gzip")
        ft.create_dataset("name", data=fixed(m.gene_names), compression="gzip")
        ft.create_dataset("feature_type", data=fixed(["Gene Expression"] * m.n_genes), compression="gzip")
        ft.create_dataset("genome", data=fixed(["GRCh38"] * m.n_genes), compression="gzip")
        ft.create_dataset("_all_tag_keys", data=np.array([b"genome"]))
        f.close()


class LoomWriter:
    def __init__(self, path, model, n_cells):
        self.f = h5py.File(path, "w")
        self.model = model
        self.n_cells = n_cells
        chunks = (min(64, model.n_genes), min(64, max(n_cells, 1)))
        self.matrix = self.f.create_dataset("matrix", shape=(model.n_genes, n_cells), dtype=np.float32,
                                            chunks=chunks, compression="gzip", compression_opts=2,
                                            fillvalue=0)

    def add(self, c0, c1, indptr, indices, counts):
        c1 = min(c1, self.n_cells)
        if c0 >= c1:
            return
        block = np.zeros((self.model.n_genes, c1 - c0), dtype=np.float32)
        rows = np.repeat(np.arange(c1 - c0), np.diff(indptr[: c1 - c0 + 1]))
        n = indptr[c1 - c0]
        block[indices[:n], rows] = counts[:n]
        self.matrix[:, c0:c1] = block

    def close(self):
        f, m, n = self.f, self.model, self.n_cells
        ra, ca = f.create_group("row_attrs"), f.create_group("col_attrs")
        write_strings(ra, "Gene", m.gene_names, enc=False)
        write_strings(ra, "Accession", m.gene_ids, enc=False)
        write_strings(ca, "CellID", m.barcodes[:n], enc=False)
        write_strings(ca, "ClusterName", np.array(CELL_TYPES, dtype=object)[m.cell_type[:n]], enc=False)
        ca.create_dataset("Clusters", data=m.cell_type[:n].astype(np.int64))
        for name in ("layers", "row_graphs", "col_graphs"):
            f.create_group(name)
        attrs = f.create_group("attrs")
        attrs.create_dataset("LOOM_SPEC_VERSION", data="3.0.0", dtype=STR)
        f.close()


# ---------------------------------------------------------------------------

def main(argv):
    a = parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    model = Model(a.cells, a.genes, a.counts_per_cell, a.seed)
    writers = [H5adWriter(os.path.join(a.out, "big.h5ad"), model)]
    if a.tenx:
        writers.append(TenxWriter(os.path.join(a.out, "big_10x.h5"), model))
    loom_cells = min(a.loom_cells, a.cells)
    if a.loom:
        writers.append(LoomWriter(os.path.join(a.out, "big.loom"), model, loom_cells))
    total = 0
    for c0 in range(0, a.cells, BLOCK_CELLS):
        c1 = min(c0 + BLOCK_CELLS, a.cells)
        indptr, indices, counts = model.block(c0, c1)
        total += int(counts.sum(dtype=np.int64))
        for w in writers:
            w.add(c0, c1, indptr, indices, counts)
        print(f"\r{c1}/{a.cells} cells", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    nnz = writers[0].nnz
    for w in writers:
        w.close()
    manifest = {
        "cells": a.cells, "genes": a.genes, "nnz": nnz, "total": total, "seed": a.seed,
        "counts_per_cell": a.counts_per_cell, "cell_types": CELL_TYPES,
        "loom_cells": loom_cells if a.loom else None,
        "files": {fn: os.path.getsize(os.path.join(a.out, fn))
                  for fn in ("big.h5ad", "big_10x.h5", "big.loom") if os.path.exists(os.path.join(a.out, fn))},
        "seconds": round(time.time() - t0, 1),
        "command": " ".join([os.path.basename(sys.argv[0])] + argv),
    }
    with open(os.path.join(a.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(json.dumps(manifest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
