#!/usr/bin/python3
"""Interoperability round trips between genomap-cli and the reference Python stack.

Run by meson as

    GM_CLI=.../genomap-cli GM_TEST_DATA=tests/data /usr/bin/python3 tests/interop/roundtrip.py

with Debian 12's python3-anndata (0.8), python3-h5py, python3-loompy, python3-scipy,
python3-pandas and python3-numpy (not a pyenv/venv python, which does not see them).

Three groups of checks, all compared exactly against truth.tsv:
  a. our writers -> reference readers (anndata, loompy, pandas, scipy.io.mmread);
  b. reference writers (anndata 0.8) -> our reader (`info --json`, `convert` to CSV);
  c. error behaviour (exit statuses 2/3/4, messages naming the file, safe output).

Every check prints `ok - NAME` or `FAIL - NAME: WHY`; the last line is
`N passed, M failed` and the exit status is 1 when M > 0.
"""

import gzip
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

try:
    import numpy as np
    import pandas as pd
    import scipy.io
    import scipy.sparse as sp

    import anndata
    import h5py
    import loompy
except ImportError as e:  # meson counts exit status 77 as "skipped"
    print(f"# SKIP: {e}; run with Debian's /usr/bin/python3 and python3-anndata, python3-loompy, "
          "python3-h5py, python3-scipy, python3-pandas")
    sys.exit(77)

warnings.simplefilter("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ.get("GM_CLI", "")
DATA = os.environ.get("GM_TEST_DATA", os.path.join(HERE, "..", "data"))
CLI_TIMEOUT = 120


# ---------------------------------------------------------------------------
# check bookkeeping

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, name, note=""):
        self.passed += 1
        print(f"ok - {name}" + (f" ({note})" if note else ""), flush=True)

    def fail(self, name, why):
        self.failed += 1
        why = " ".join(str(why).split())  # keep it on one line
        if len(why) > 600:
            why = why[:600] + " ..."
        print(f"FAIL - {name}: {why}", flush=True)


R = Results()


class CheckFailed(Exception):
    pass


def expect(cond, why):
    if not cond:
        raise CheckFailed(why)


def check(name, fn, *args):
    """Runs fn(*args); a CheckFailed or any exception is a failure.
    Returns True when the check passed."""
    try:
        note = fn(*args)
    except CheckFailed as e:
        R.fail(name, e)
        return False
    except Exception as e:  # a crash in a reference reader is a finding too
        tb = traceback.extract_tb(e.__traceback__)[-1]
        R.fail(name, f"{type(e).__name__}: {e} [at {os.path.basename(tb.filename)}:{tb.lineno}]")
        return False
    R.ok(name, note if isinstance(note, str) else "")
    return True


# ---------------------------------------------------------------------------
# ground truth

class Truth:
    def __init__(self, path):
        self.genes, self.cells, rows = [], [], {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if p[0] == "shape":
                    self.shape = (int(p[1]), int(p[2]))
                elif p[0] == "nnz":
                    self.nnz = int(p[1])
                elif p[0] == "sum":
                    self.total = int(p[1])
                elif p[0] == "categories":
                    self.categories = p[1:]
                elif p[0] == "gene":
                    self.genes.append((p[2], p[3]))
                elif p[0] == "cell":
                    self.cells.append((p[2], p[3]))
                elif p[0] == "row":
                    rows[int(p[1])] = [int(v) for v in p[2:]]
        self.X = np.array([rows[i] for i in range(self.shape[0])], dtype=np.int64)
        self.barcodes = [c[0] for c in self.cells]
        self.labels = [c[1] for c in self.cells]
        self.gene_ids = [g[0] for g in self.genes]
        self.gene_names = [g[1] for g in self.genes]

    def label_counts(self, labels=None):
        labels = self.labels if labels is None else labels
        return {c: sum(1 for v in labels if v == c) for c in self.categories}


T = Truth(os.path.join(DATA, "truth.tsv"))


# ---------------------------------------------------------------------------
# small helpers

def cli(*args, **kw):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, encoding="utf-8",
                          errors="replace", timeout=CLI_TIMEOUT, **kw)


def describe(proc):
    err = proc.stderr.strip().splitlines()
    rc = proc.returncode
    status = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exit {rc}"
    return f"{status}; stderr: {' | '.join(err[-3:]) if err else '(empty)'}"


def expect_success(proc, what):
    expect(proc.returncode == 0, f"{what}: {describe(proc)}")


def info_json(path, *opts):
    proc = cli("info", path, "--json", *opts)
    expect_success(proc, "info --json")
    try:
        return json.loads(proc.stdout)
    except json.JSONDecodeError as e:
        raise CheckFailed(f"stdout is not one JSON object ({e}): {proc.stdout[:200]!r}")


def dense(m):
    return m.toarray() if sp.issparse(m) else np.asarray(m)


def expect_matrix(got, want, what="X"):
    got = dense(got)
    expect(got.shape == want.shape, f"{what} shape {got.shape}, expected {want.shape}")
    g = got.astype(np.float64)
    w = np.asarray(want, dtype=np.float64)
    bad = np.argwhere(~((g == w) | (np.isnan(g) & np.isnan(w))))
    if len(bad):
        i, j = bad[0]
        raise CheckFailed(f"{what}: {len(bad)} entries differ, first [{i},{j}] = {g[i, j]!r}, "
                          f"expected {w[i, j]!r}")


def expect_list(got, want, what):
    got = [str(v) for v in got]
    want = [str(v) for v in want]
    if got != want:
        diff = next((k for k, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
        raise CheckFailed(f"{what}: {len(got)} values, expected {len(want)}; first difference at {diff}: "
                          f"{got[diff:diff + 2]!r} vs {want[diff:diff + 2]!r}")


def mentions(text, path):
    """Does an error message name the file (its path or at least its basename)?"""
    return path in text or os.path.basename(path.rstrip("/")) in text


# ---------------------------------------------------------------------------
# a. our writers -> reference readers

class Input:
    def __init__(self, file, fmt, labels=False, label_order=False, ids=False):
        self.file = file
        self.format = fmt
        self.path = os.path.join(DATA, file)
        self.labels = labels            # the input stores cell types
        self.label_order = label_order  # ... and their category order (h5ad)
        self.ids = ids                  # the input stores gene ids


INPUTS = [
    Input("csr_counts.h5ad", "h5ad", labels=True, label_order=True, ids=True),
    Input("tenx_v3_filtered_feature_bc_matrix.h5", "10x-h5", ids=True),
    Input("counts.loom", "loom", labels=True, ids=True),
    Input("counts_cells_x_genes.csv", "csv"),
]

OUTPUTS = [
    # (kind, output name, extra convert options)
    ("h5ad", "out.h5ad", []),
    ("h5ad-dense", "out_dense.h5ad", ["--dense"]),
    ("loom", "out.loom", []),
    ("csv", "out.csv", []),
    ("tsv.gz", "out.tsv.gz", []),
    ("mtx", "out_mtx", []),
]

CELL_TYPE_COLUMNS = ("cell_type", "ClusterName")


def cell_type_column(columns):
    for name in CELL_TYPE_COLUMNS:
        if name in columns:
            return name
    raise CheckFailed(f"no cell type column ({' or '.join(CELL_TYPE_COLUMNS)}) among {list(columns)}")


def check_input_info(inp):
    def run():
        j = info_json(inp.path)
        got = {k: j.get(k) for k in ("format", "n_cells", "n_genes", "nnz", "total", "is_integer")}
        want = {"format": inp.format, "n_cells": T.shape[0], "n_genes": T.shape[1], "nnz": T.nnz,
                "total": T.total, "is_integer": True}
        expect(got == want, f"got {got}, expected {want}")
    check(f"a {inp.file}: info --json format and counts", run)


def check_h5ad_output(name, path, inp, is_dense, tmp):
    holder = {}

    def read():
        holder["a"] = anndata.read_h5ad(path)
    if not check(f"{name}: anndata.read_h5ad", read):
        return
    a = holder["a"]

    def layout():
        if is_dense:
            expect(isinstance(a.X, np.ndarray), f"X is {type(a.X).__name__}, expected a dense array")
        else:
            expect(sp.isspmatrix_csr(a.X), f"X is {type(a.X).__name__}, expected csr_matrix")
        expect(a.X.dtype == np.float32, f"X dtype {a.X.dtype}, expected float32")
    check(f"{name}: X layout", layout)
    check(f"{name}: X values", lambda: expect_matrix(a.X, T.X))
    check(f"{name}: obs_names", lambda: expect_list(a.obs_names, T.barcodes, "obs_names"))
    check(f"{name}: var_names", lambda: expect_list(a.var_names, T.gene_names, "var_names"))
    if inp.labels:
        def cell_types():
            col = cell_type_column(a.obs.columns)
            s = a.obs[col]
            expect(pd.api.types.is_categorical_dtype(s), f"obs[{col!r}] dtype {s.dtype}, expected category")
            if inp.label_order:
                expect_list(s.cat.categories, T.categories, "categories")
            else:
                expect(sorted(map(str, s.cat.categories)) == sorted(T.categories),
                       f"categories {list(s.cat.categories)}")
            expect_list(s.astype(str), T.labels, f"obs[{col!r}]")
        check(f"{name}: obs cell_type categories and values", cell_types)
    if inp.ids:
        def gene_ids():
            expect("gene_ids" in a.var.columns, f"var has no gene_ids column: {list(a.var.columns)}")
            expect_list(a.var["gene_ids"], T.gene_ids, "var['gene_ids']")
        check(f"{name}: var gene_ids", gene_ids)

    def uns_strings():
        expect(len(a.uns) > 0, "uns is empty")
        bad = {k: type(v).__name__ for k, v in a.uns.items() if not isinstance(v, str)}
        expect(not bad, f"uns values that are not strings: {bad}")
    check(f"{name}: uns holds string metadata", uns_strings)

    def backed():
        b = anndata.read_h5ad(path, backed="r")
        try:
            expect_matrix(b.X[10:20], T.X[10:20], "X[10:20] in backed mode")
        finally:
            b.file.close()
    check(f"{name}: anndata backed='r' reads rows 10-19", backed)

    def resave():
        again = os.path.join(tmp, "resaved_" + os.path.basename(path))
        a.write_h5ad(again)
        b = anndata.read_h5ad(again)
        expect_matrix(b.X, T.X)
        expect_list(b.obs_names, T.barcodes, "obs_names")
        expect(list(b.obs.columns) == list(a.obs.columns), f"obs columns {list(b.obs.columns)}")
    check(f"{name}: anndata re-saves it (write_h5ad)", resave)


def check_loom_output(name, path, inp, tmp):
    def with_loompy():
        with loompy.connect(path, mode="r") as ds:  # validates against spec 3.0.0
            expect(ds.shape == (T.shape[1], T.shape[0]), f"loompy shape {ds.shape}, expected genes x cells")
            expect_matrix(ds[:, :], T.X.T, "/matrix")
            expect("Gene" in ds.ra, f"row attrs {list(ds.ra.keys())} lack Gene")
            expect_list(ds.ra["Gene"], T.gene_names, "ra['Gene']")
            expect("CellID" in ds.ca, f"col attrs {list(ds.ca.keys())} lack CellID")
            expect_list(ds.ca["CellID"], T.barcodes, "ca['CellID']")
            if inp.ids:
                expect("Accession" in ds.ra or "gene_ids" in ds.ra,
                       f"row attrs {list(ds.ra.keys())} lack Accession/gene_ids")
                expect_list(ds.ra["Accession" if "Accession" in ds.ra else "gene_ids"], T.gene_ids, "gene ids")
            if inp.labels:
                col = cell_type_column(ds.ca.keys())
                expect_list(ds.ca[col], T.labels, f"ca[{col!r}]")
    check(f"{name}: loompy.connect (validating) matrix and attributes", with_loompy)

    def with_anndata():
        a = anndata.read_loom(path)
        expect_matrix(a.X, T.X)
        expect_list(a.obs_names, T.barcodes, "obs_names")
        expect_list(a.var_names, T.gene_names, "var_names")
        if inp.labels:
            col = cell_type_column(a.obs.columns)
            expect_list(a.obs[col], T.labels, f"obs[{col!r}]")
    check(f"{name}: anndata.read_loom", with_anndata)


def check_text_output(name, path, sep):
    def run():
        if path.endswith(".gz"):
            with open(path, "rb") as f:
                expect(f.read(2) == b"\x1f\x8b", "a .gz output is not gzip-compressed")
        df = pd.read_csv(path, sep=sep, index_col=0)
        expect_list(df.index, T.barcodes, "row labels")
        expect_list(df.columns, T.gene_names, "column labels")
        expect_matrix(df.to_numpy(), T.X)
    check(f"{name}: pandas.read_csv labels and values", run)


def read_tsv_column_lists(path):
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f]


def check_mtx_output(name, path, inp):
    def run():
        files = sorted(os.listdir(path))
        want = ["barcodes.tsv.gz", "features.tsv.gz", "matrix.mtx.gz"]
        expect(all(f in files for f in want), f"folder holds {files}, expected {want}")
        m = scipy.io.mmread(os.path.join(path, "matrix.mtx.gz"))
        expect_matrix(m.T, T.X, "matrix.mtx (transposed)")
        feats = read_tsv_column_lists(os.path.join(path, "features.tsv.gz"))
        expect(all(len(f) >= 3 for f in feats), "features.tsv.gz lines need 3 columns (id, name, type)")
        expect_list([f[1] for f in feats], T.gene_names, "features column 2 (names)")
        if inp.ids:
            expect_list([f[0] for f in feats], T.gene_ids, "features column 1 (ids)")
        expect(all(f[2] == "Gene Expression" for f in feats), "features column 3 is not 'Gene Expression'")
        bcs = [line[0] for line in read_tsv_column_lists(os.path.join(path, "barcodes.tsv.gz"))]
        expect_list(bcs, T.barcodes, "barcodes.tsv.gz")
    check(f"{name}: scipy.io.mmread + features/barcodes", run)


def section_a(tmp):
    for inp in INPUTS:
        check_input_info(inp)
        for kind, out_name, opts in OUTPUTS:
            out_dir = os.path.join(tmp, "a", inp.file)
            os.makedirs(out_dir, exist_ok=True)
            out = os.path.join(out_dir, out_name)
            name = f"a {inp.file} -> {kind}"
            proc = cli("convert", inp.path, "-o", out, *opts)
            ran = check(f"{name}: convert exits 0", lambda: expect_success(proc, "convert"))
            if not ran:
                continue
            if kind.startswith("h5ad"):
                check_h5ad_output(name, out, inp, kind == "h5ad-dense", out_dir)
            elif kind == "loom":
                check_loom_output(name, out, inp, out_dir)
            elif kind == "csv":
                check_text_output(name, out, ",")
            elif kind == "tsv.gz":
                check_text_output(name, out, "\t")
            elif kind == "mtx":
                check_mtx_output(name, out, inp)
    check_compression_option(tmp)


def check_compression_option(tmp):
    out = os.path.join(tmp, "a", "compressed.h5ad")

    def run():
        expect_success(cli("convert", INPUTS[0].path, "-o", out, "--compression", "4"), "convert")
        with h5py.File(out, "r") as f:
            x = f["X"]
            ds = x["data"] if isinstance(x, h5py.Group) else x
            expect(ds.compression == "gzip", f"X data compression is {ds.compression!r}, expected gzip")
        expect_matrix(anndata.read_h5ad(out).X, T.X)
    check("a csr_counts.h5ad -> h5ad --compression 4: gzip datasets, same values", run)


# ---------------------------------------------------------------------------
# b. reference writers (anndata 0.8) -> our reader

def base_obs():
    return pd.DataFrame({"cell_type": pd.Categorical(T.labels, categories=T.categories)},
                        index=pd.Index(T.barcodes))


def base_var():
    return pd.DataFrame({"gene_ids": T.gene_ids}, index=pd.Index(T.gene_names))


def base_adata(X=None, obs=None, var=None):
    X = sp.csr_matrix(T.X.astype(np.float32)) if X is None else X
    return anndata.AnnData(X=X, obs=base_obs() if obs is None else obs,
                           var=base_var() if var is None else var, dtype=X.dtype)


def cat_spec(counts, missing=0):
    return {"type": "categorical", "categories": counts, "missing": missing}


BASE_OBS_SPEC = {"cell_type": cat_spec(T.label_counts())}

# Three leiden clusters of 30, 20 and 10 cells.
LEIDEN = [0] * 30 + [1] * 20 + [2] * 10
LEIDEN_SPEC = {"0": 30, "1": 20, "2": 10}
MISSING_AT = (0, 1, 2)  # cells whose cell_type is set to NaN (code -1)


def log_normalised(m):
    m = sp.csr_matrix(m, dtype=np.float32)
    scale = 1e4 / np.maximum(np.asarray(m.sum(axis=1)).ravel(), 1)
    m = sp.diags(scale.astype(np.float32)) @ m
    m.data = np.log1p(m.data)
    return sp.csr_matrix(m, dtype=np.float32)


class Variant:
    """One file written by anndata, and what `info`/`convert` must give for it."""

    def __init__(self, name, adata, write_kw=None, read_opts=(), want_X=None, want_genes=None,
                 obs_spec=None, is_integer=True, loom=False, h5ad_obs_check=None):
        self.name = name
        self.adata = adata
        self.write_kw = write_kw or {}
        self.read_opts = list(read_opts)
        self.want_X = T.X if want_X is None else want_X
        self.want_genes = T.gene_names if want_genes is None else want_genes
        self.obs_spec = BASE_OBS_SPEC if obs_spec is None else obs_spec
        self.is_integer = is_integer
        self.loom = loom
        self.h5ad_obs_check = h5ad_obs_check  # fn(anndata obs) for our h5ad output


def obs_with(**cols):
    obs = base_obs()
    for k, v in cols.items():
        obs[k] = v
    return obs


def variant_obs_kinds():
    rng = np.random.default_rng(7)
    is_doublet = np.zeros(T.shape[0], dtype=bool)
    is_doublet[[3, 17, 42]] = True
    n_genes = (T.X > 0).sum(axis=1).astype(np.int64)
    score = rng.random(T.shape[0])
    score[[5, 6]] = np.nan
    obs = obs_with(is_doublet=is_doublet, n_genes=n_genes, score=score)
    spec = dict(BASE_OBS_SPEC, is_doublet={"type": "boolean"}, n_genes={"type": "numeric"},
                score={"type": "numeric", "missing": 2})

    def h5ad_check(o):
        expect(o["is_doublet"].dtype == bool, f"is_doublet dtype {o['is_doublet'].dtype}, expected bool")
        expect_list(o["is_doublet"], is_doublet, "is_doublet")
        expect(np.array_equal(o["n_genes"].to_numpy(dtype=np.float64), n_genes), "n_genes values differ")
        got = o["score"].to_numpy(dtype=np.float64)
        expect(np.array_equal(np.isnan(got), np.isnan(score)), "score NaN positions differ")
        expect(np.allclose(got[~np.isnan(got)], score[~np.isnan(score)], rtol=1e-6), "score values differ")
    return Variant("obs bool, int64 and float-with-NaN columns", base_adata(obs=obs), obs_spec=spec,
                   h5ad_obs_check=h5ad_check)


def variant_leiden(as_int):
    values = LEIDEN if as_int else [str(v) for v in LEIDEN]
    cats = [0, 1, 2] if as_int else ["0", "1", "2"]
    obs = obs_with(leiden=pd.Categorical(values, categories=cats))
    spec = dict(BASE_OBS_SPEC, leiden=cat_spec(LEIDEN_SPEC))
    kind = "int" if as_int else "string"

    def h5ad_check(o):
        s = o["leiden"]
        expect(pd.api.types.is_categorical_dtype(s), f"leiden dtype {s.dtype}")
        expect_list(s.cat.categories, ["0", "1", "2"], "leiden categories")
        expect_list(s.astype(str), [str(v) for v in LEIDEN], "leiden values")
    return Variant(f"categorical leiden with {kind} categories 0,1,2", base_adata(obs=obs), obs_spec=spec,
                   h5ad_obs_check=h5ad_check)


def variant_missing_category():
    labels = [None if i in MISSING_AT else v for i, v in enumerate(T.labels)]
    obs = base_obs()
    obs["cell_type"] = pd.Categorical(labels, categories=T.categories)
    spec = {"cell_type": cat_spec(T.label_counts(labels), missing=len(MISSING_AT))}

    def h5ad_check(o):
        s = o["cell_type"]
        expect(list(s.isna().to_numpy().nonzero()[0]) == list(MISSING_AT),
               f"missing at {list(s.isna().to_numpy().nonzero()[0])}, expected {list(MISSING_AT)}")
        expect_list(s.cat.categories, T.categories, "categories")
    return Variant("categorical with a missing value (code -1)", base_adata(obs=obs), obs_spec=spec,
                   h5ad_obs_check=h5ad_check)


def variant_unique_strings():
    names = [f"donor{i:02d}-{b[:6]}" for i, b in enumerate(T.barcodes)]
    obs = obs_with(sample_tag=names)
    spec = dict(BASE_OBS_SPEC, sample_tag={"type": "string"})

    def h5ad_check(o):
        expect_list(o["sample_tag"], names, "sample_tag")
    return Variant("unique string obs column", base_adata(obs=obs), obs_spec=spec, h5ad_obs_check=h5ad_check)


def variant_var_index_name():
    var = base_var()
    var.index.name = "gene_symbols"
    return Variant("var index named gene_symbols", base_adata(var=var))


def variant_layer():
    a = base_adata(X=log_normalised(T.X))
    a.layers["counts"] = sp.csr_matrix(T.X.astype(np.float32))
    return Variant("layers['counts'] read with --layer counts", a, read_opts=["--layer", "counts"])


def variant_raw():
    full = base_adata()
    a = full[:, :30].copy()
    a.X = log_normalised(a.X)
    a.raw = full
    return Variant("raw with more genes read with --use-raw", a, read_opts=["--use-raw"])


def variant_empty_obs():
    obs = pd.DataFrame(index=pd.Index(T.barcodes))
    return Variant("no cell types, empty obs", base_adata(obs=obs), obs_spec={})


def variants():
    return [
        Variant("X float64 dense", base_adata(X=T.X.astype(np.float64))),
        Variant("X int32 dense", base_adata(X=T.X.astype(np.int32))),
        Variant("X CSC float32", base_adata(X=sp.csc_matrix(T.X.astype(np.float32)))),
        Variant("X CSR gzip-compressed", base_adata(), write_kw={"compression": "gzip"}),
        variant_obs_kinds(),
        variant_leiden(as_int=False),
        variant_leiden(as_int=True),
        variant_missing_category(),
        variant_unique_strings(),
        variant_var_index_name(),
        variant_layer(),
        variant_raw(),
        variant_empty_obs(),
        Variant("anndata write_loom", base_adata(), loom=True),
    ]


def expect_columns(got, spec, strict, order_matters):
    expect(isinstance(got, dict), f"obs is {type(got).__name__}, expected an object")
    if strict:
        expect(set(got) == set(spec), f"obs columns {sorted(got)}, expected {sorted(spec)}")
    for col, want in spec.items():
        expect(col in got, f"obs lacks {col!r} (has {sorted(got)})")
        g = got[col]
        expect(g.get("type") == want["type"], f"obs[{col!r}] type {g.get('type')!r}, expected {want['type']!r}")
        if want["type"] != "categorical":
            for key in set(want) - {"type"}:  # e.g. "missing" for a numeric column with NaN
                expect(g.get(key) == want[key], f"obs[{col!r}].{key} {g.get(key)!r}, expected {want[key]!r}")
            continue
        cats = g.get("categories")
        expect(isinstance(cats, dict), f"obs[{col!r}].categories is {cats!r}")
        if order_matters:
            expect(list(cats.items()) == list(want["categories"].items()),
                   f"obs[{col!r}] categories {cats}, expected {want['categories']} in that order")
        else:
            expect(dict(cats) == dict(want["categories"]), f"obs[{col!r}] categories {cats}")
        expect(g.get("missing") == want["missing"],
               f"obs[{col!r}].missing {g.get('missing')!r}, expected {want['missing']}")


def check_variant(v, tmp):
    name = f"b {v.name}"
    path = os.path.join(tmp, "b", v.name.replace(" ", "_").replace("'", "").replace(",", "")
                        + (".loom" if v.loom else ".h5ad"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if v.loom:
        v.adata.write_loom(path)
    else:
        v.adata.write_h5ad(path, **v.write_kw)
    want_X = np.asarray(v.want_X)

    def info():
        j = info_json(path, *v.read_opts)
        want_fmt = "loom" if v.loom else "h5ad"
        got = {k: j.get(k) for k in ("format", "n_cells", "n_genes", "nnz", "total", "is_integer")}
        want = {"format": want_fmt, "n_cells": want_X.shape[0], "n_genes": want_X.shape[1],
                "nnz": int(np.count_nonzero(want_X)), "total": int(want_X.sum()), "is_integer": v.is_integer}
        expect(got == want, f"got {got}, expected {want}")
        expect_columns(j.get("obs"), v.obs_spec, strict=not v.loom, order_matters=not v.loom)
    check(f"{name}: info --json", info)

    def to_csv():
        out = path + ".csv"
        expect_success(cli("convert", path, "-o", out, *v.read_opts), "convert")
        df = pd.read_csv(out, index_col=0)
        expect_list(df.index, T.barcodes, "row labels")
        expect_list(df.columns, v.want_genes, "column labels")
        expect_matrix(df.to_numpy(), want_X)
    check(f"{name}: convert to CSV", to_csv)

    if v.h5ad_obs_check:
        def to_h5ad():
            out = path + ".ours.h5ad"
            expect_success(cli("convert", path, "-o", out, *v.read_opts), "convert")
            a = anndata.read_h5ad(out)
            expect_matrix(a.X, want_X)
            v.h5ad_obs_check(a.obs)
        check(f"{name}: convert to h5ad keeps the obs columns", to_h5ad)


def check_layer_and_raw_defaults(tmp):
    """Without --layer/--use-raw the same files give the normalised X."""
    def layer_default():
        p = os.path.join(tmp, "b", "layer_default.h5ad")
        variant_layer().adata.write_h5ad(p)
        j = info_json(p)
        expect(j.get("is_integer") is False, f"is_integer {j.get('is_integer')!r} for log-normalised X")
        expect(j.get("n_genes") == T.shape[1], f"n_genes {j.get('n_genes')}")
    check("b layers file without --layer reads the normalised X", layer_default)

    def raw_default():
        p = os.path.join(tmp, "b", "raw_default.h5ad")
        variant_raw().adata.write_h5ad(p)
        j = info_json(p)
        expect(j.get("n_genes") == 30, f"n_genes {j.get('n_genes')}, expected 30 (X, not raw)")
    check("b raw file without --use-raw reads X (30 genes)", raw_default)


def section_b(tmp):
    for v in variants():
        try:
            check_variant(v, tmp)
        except Exception as e:  # the reference writer itself failed
            R.fail(f"b {v.name}: write with anndata", f"{type(e).__name__}: {e}")
    check_layer_and_raw_defaults(tmp)


# ---------------------------------------------------------------------------
# c. error behaviour

def expect_exit(proc, status, path=None):
    expect(proc.returncode == status, f"expected exit {status}, {describe(proc)}")
    if path:
        expect(mentions(proc.stderr, path), f"stderr does not name {os.path.basename(path)!r}: "
                                            f"{proc.stderr.strip()[:300]!r}")


def check_broken_inputs(tmp):
    for f in ("broken_truncated.h5ad", "broken_not_anndata.h5", "broken_ragged.csv"):
        p = os.path.join(DATA, f)
        check(f"c {f}: info exits 3 naming the file", lambda: expect_exit(cli("info", p, "--json"), 3, p))
        out = os.path.join(tmp, "c", f + ".out.h5ad")

        def convert():
            expect_exit(cli("convert", p, "-o", out), 3, p)
            expect(not os.path.exists(out), "an output file was left behind")
        check(f"c {f}: convert exits 3 and writes nothing", convert)

    def ragged_line():
        proc = cli("info", os.path.join(DATA, "broken_ragged.csv"))
        expect("line 6" in proc.stderr, f"stderr does not name line 6: {proc.stderr.strip()[:300]!r}")
    check("c broken_ragged.csv: message names line 6", ragged_line)

    for opt in (["--layer", "no_such_layer"], ["--use-raw"]):
        def absent(o=opt):
            proc = cli("info", INPUTS[0].path, *o)
            expect(proc.returncode in (2, 3), f"expected exit 3 (or 2), {describe(proc)}")
            expect(mentions(proc.stderr, INPUTS[0].path), f"stderr does not name the file: {proc.stderr.strip()!r}")
            word = "no_such_layer" if o[0] == "--layer" else "raw"
            expect(word in proc.stderr, f"stderr does not mention {word!r}: {proc.stderr.strip()!r}")
        check(f"c {' '.join(opt)} on a file without it: error naming file and {opt[-1].lstrip('-')}", absent)

    missing = os.path.join(tmp, "c", "no_such_file.h5ad")
    check("c missing input: exit 3 naming the file", lambda: expect_exit(cli("info", missing), 3, missing))


def check_usage_errors():
    src = INPUTS[0].path
    cases = [
        ("unknown option", ["info", src, "--no-such-option"]),
        ("unknown command", ["frobnicate", src]),
        ("convert without -o", ["convert", src]),
        ("--compression not a number", ["convert", src, "-o", "/tmp/never-written.h5ad", "--compression", "abc"]),
        ("--cells-as-rows with --genes-as-rows", ["info", src, "--cells-as-rows", "--genes-as-rows"]),
    ]
    for what, args in cases:
        check(f"c usage error ({what}): exit 2", lambda a=args: expect_exit(cli(*a), 2))


def check_output_errors(tmp):
    src = INPUTS[0].path
    out = os.path.join(tmp, "c", "no_such_dir", "out.h5ad")

    def missing_dir():
        expect_exit(cli("convert", src, "-o", out), 4, out)
        expect(not os.path.exists(os.path.dirname(out)), "the missing folder was created")
    check("c output into a non-existent folder: exit 4 naming it", missing_dir)

    for spelling in ("same path", "./relative path", "symlink"):
        check(f"c convert onto itself ({spelling}) is refused, input intact",
              lambda s=spelling: self_convert(tmp, s))
    for ext in ("h5ad", "csv", "loom"):
        check(f"c read-only output folder (.{ext}): exit 4, no output left", lambda e=ext: readonly_dir(tmp, e))
    for ext in ("h5ad", "csv", "loom", "mtx"):
        check(f"c write fails midway (file size limit, .{ext}): exit 4, no output left",
              lambda e=ext: size_limited_write(tmp, e))
    for ext in ("h5ad", "csv"):
        check(f"c failed write keeps the previous .{ext} output intact", lambda e=ext: keeps_previous(tmp, e))
    check("c interrupted write (SIGINT during a loom write): exit 130 and no output, or a complete one",
          lambda: interrupted_write(tmp))


def self_convert(tmp, spelling):
    d = tempfile.mkdtemp(dir=os.path.join(tmp, "c"))
    victim = os.path.join(d, "self.h5ad")
    shutil.copyfile(INPUTS[0].path, victim)
    before = open(victim, "rb").read()
    cwd = None
    if spelling == "same path":
        args = ["convert", victim, "-o", victim]
    elif spelling == "./relative path":
        args, cwd = ["convert", victim, "-o", "./self.h5ad"], d
    else:
        os.symlink(victim, os.path.join(d, "alias.h5ad"))
        args = ["convert", os.path.join(d, "alias.h5ad"), "-o", victim]
    proc = cli(*args, cwd=cwd)
    expect(proc.returncode in (2, 4), f"expected a refusal (exit 2 or 4), {describe(proc)}")
    expect(mentions(proc.stderr, victim), f"stderr does not name the file: {proc.stderr.strip()[:300]!r}")
    expect(open(victim, "rb").read() == before, "the input file was changed")
    left = sorted(set(os.listdir(d)) - {"self.h5ad", "alias.h5ad"})
    expect(not left, f"left behind: {left}")


def drop_privileges():
    os.setgid(65534)
    os.setuid(65534)


def readonly_dir(tmp, ext):
    """A folder we may not write into.  Root ignores permissions, so as root the
    CLI runs as nobody (uid 65534)."""
    d = tempfile.mkdtemp(dir=os.path.join(tmp, "c"))
    os.chmod(d, 0o555)
    os.chmod(tmp, 0o755)
    os.chmod(os.path.join(tmp, "c"), 0o755)
    out = os.path.join(d, "out." + ext)
    as_root = os.geteuid() == 0
    try:
        proc = cli("convert", INPUTS[0].path, "-o", out, preexec_fn=drop_privileges if as_root else None)
    except (PermissionError, subprocess.SubprocessError) as e:
        return f"skipped: cannot run the CLI as nobody ({e})"
    if as_root and proc.returncode == 3 and "ermission" in proc.stderr:
        return "skipped: nobody cannot read the input"
    expect_exit(proc, 4, out)
    expect(os.listdir(d) == [], f"left behind: {os.listdir(d)}")
    return "as uid 65534" if as_root else ""


def limit_file_size():
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG


def size_limited_write(tmp, ext):
    d = tempfile.mkdtemp(dir=os.path.join(tmp, "c"))
    out = os.path.join(d, "out" if ext == "mtx" else "out." + ext)
    proc = cli("convert", INPUTS[0].path, "-o", out, preexec_fn=limit_file_size)
    expect(os.listdir(d) == [], f"left behind: {os.listdir(d)} ({describe(proc)})")
    expect_exit(proc, 4, out)


def keeps_previous(tmp, ext):
    d = tempfile.mkdtemp(dir=os.path.join(tmp, "c"))
    out = os.path.join(d, "out." + ext)
    with open(out, "wb") as f:
        f.write(b"previous output\n")
    proc = cli("convert", INPUTS[0].path, "-o", out, preexec_fn=limit_file_size)
    expect(open(out, "rb").read() == b"previous output\n", "the previous output file was changed")
    expect(os.listdir(d) == ["out." + ext], f"left behind: {sorted(os.listdir(d))}")
    expect(proc.returncode != 0, "the conversion reported success")  # the status itself: checks above


def interrupted_write(tmp):
    """SIGINT while the writer runs: the CLI must either stop with 130 and leave nothing,
    or finish a complete file; never a partial output or a stray temporary file."""
    d = tempfile.mkdtemp(dir=os.path.join(tmp, "c"))
    src = os.path.join(tmp, "c", "interrupt_src.h5ad")
    if not os.path.exists(src):
        m = sp.random(40000, 3000, density=0.05, format="csr", dtype=np.float32, random_state=5)
        m.data = np.ceil(m.data * 10)
        anndata.AnnData(X=m, dtype=np.float32).write_h5ad(src)
    out = os.path.join(d, "out.loom")
    proc = subprocess.Popen([CLI, "convert", src, "-o", out], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, encoding="utf-8", errors="replace")
    seen = False
    while proc.poll() is None and not seen:
        seen = bool(os.listdir(d))  # the temporary output exists: the writer has started
    if seen:
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
    err = proc.communicate(timeout=CLI_TIMEOUT)[1]
    left = sorted(os.listdir(d))
    if proc.returncode == 0:
        expect(left == ["out.loom"], f"exit 0 but the folder holds {left}")
        with loompy.connect(out, mode="r") as ds:
            expect(ds.shape == (3000, 40000), f"loom shape {ds.shape}")
        return "the write finished before the interrupt" if seen else "no temporary file was seen"
    expect(proc.returncode == 130, f"expected exit 130, exit {proc.returncode}; stderr: {err.strip()[-300:]!r}")
    expect(not left, f"left behind: {left}")
    return ""


def section_c(tmp):
    os.makedirs(os.path.join(tmp, "c"), exist_ok=True)
    check_broken_inputs(tmp)
    check_usage_errors()
    check_output_errors(tmp)


# ---------------------------------------------------------------------------

def main():
    if not CLI or not os.access(CLI, os.X_OK):
        print(f"FAIL - setup: GM_CLI={CLI!r} is not an executable genomap-cli")
        print("0 passed, 1 failed")
        return 1
    tmp = tempfile.mkdtemp(prefix="gm-interop-")
    try:
        section_a(tmp)
        section_b(tmp)
        section_c(tmp)
    finally:
        for root, dirs, _ in os.walk(tmp):  # read-only test folders
            for x in dirs:
                os.chmod(os.path.join(root, x), 0o755)
        if os.environ.get("GM_KEEP_TMP"):
            print(f"# kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{R.passed} passed, {R.failed} failed")
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
