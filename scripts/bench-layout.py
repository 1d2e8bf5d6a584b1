#!/usr/bin/python3
"""Side-by-side benchmark: genomap-cli layout versus the reference construct_genomap.

Usage:
    /usr/bin/python3 scripts/bench-layout.py --ref REF_DIR [--cli PATH] [--bench PATH]
        [--configs 500x1089:33x33,2000x1089:33x33,2000x2025:45x45] [--num-iter 200]
        [--seed 0] [--skip-reference] [--json OUT.json]

REF_DIR holds the reference package (REF_DIR/genomap/genomap.py), e.g. a checkout of
xinglab-ai/genomap or the PyPI wheel genomap==1.3.6 unpacked.  The reference is timed with
the shared harness ../shared/bench/genomap_ref_bench.py (--bench), which also reports its
final KL-loss GW energy.  The same synthetic counts (make_counts of that harness, same seed)
are written to an h5ad with every gene, and genomap-cli places exactly the genes the harness
keeps (--gene-list), so both solve the same problem: the correlation distances of
log1p(counts per 10 000) across cells (the harness z-scores genes first, which does not
change correlations).  genomap-cli prints the reference's energy definition for rings.

Needs Debian's python3-numpy, python3-scipy, python3-sklearn, python3-pot, python3-h5py.
"""

import argparse
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np


def load_harness(path):
    spec = importlib.util.spec_from_file_location("genomap_ref_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def write_h5ad(path, counts):
    """A minimal anndata-0.8 h5ad with X as CSR float32 and g0… gene names."""
    n, g = counts.shape
    rows, cols = np.nonzero(counts)
    data = counts[rows, cols].astype(np.float32)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, rows + 1, 1)
    indptr = np.cumsum(indptr)
    str_t = h5py.string_dtype()
    with h5py.File(path, "w") as f:
        f.attrs["encoding-type"] = "anndata"
        f.attrs["encoding-version"] = "0.1.0"
        X = f.create_group("X")
        X.attrs["encoding-type"] = "csr_matrix"
        X.attrs["encoding-version"] = "0.1.0"
        X.attrs["shape"] = np.array([n, g], dtype=np.int64)
        X["data"] = data
        X["indices"] = cols.astype(np.int32)
        X["indptr"] = indptr
        for name, labels in (("obs", [f"c{i}" for i in range(n)]), ("var", [f"g{j}" for j in range(g)])):
            df = f.create_group(name)
            df.attrs["encoding-type"] = "dataframe"
            df.attrs["encoding-version"] = "0.2.0"
            df.attrs["_index"] = "_index"
            df.attrs["column-order"] = np.array([], dtype=np.float64)
            d = df.create_dataset("_index", data=np.array(labels, dtype=object), dtype=str_t)
            d.attrs["encoding-type"] = "string-array"
            d.attrs["encoding-version"] = "0.2.0"


def kept_genes(counts, n_genes):
    """The genes the harness keeps (make_data): the first n_genes non-constant ones."""
    lib = counts.sum(axis=1, keepdims=True)
    lib[lib == 0] = 1.0
    logn = np.log1p(counts / lib * 1e4)
    sd = logn.std(axis=0, ddof=1)
    return np.flatnonzero(sd > 0)[:n_genes]


def run_cli(cli, args):
    t0 = time.perf_counter()
    out = subprocess.run([cli] + args, check=True, capture_output=True, text=True).stdout
    wall = time.perf_counter() - t0
    energy = float(re.search(r"^energy: (\S+)", out, re.M).group(1))
    solve = float(re.search(r"^time: +(\S+) s", out, re.M).group(1))
    return wall, solve, energy


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ref", help="folder with the reference genomap package")
    ap.add_argument("--cli", default=os.path.join(root, "build", "release", "app", "genomap-cli"))
    ap.add_argument("--bench", default=os.path.join(root, "..", "shared", "bench", "genomap_ref_bench.py"))
    ap.add_argument("--configs", default="500x1089:33x33,2000x1089:33x33,2000x2025:45x45")
    ap.add_argument("--num-iter", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-reference", action="store_true")
    ap.add_argument("--json")
    a = ap.parse_args()

    harness = load_harness(a.bench)
    version = subprocess.run([a.cli, "--version"], check=True, capture_output=True, text=True).stdout
    blas = re.search(r"^BLAS: +(.*)$", version, re.M).group(1)
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for cfg in a.configs.split(","):
            cells_genes, grid = cfg.split(":")
            n_cells, n_genes = (int(v) for v in cells_genes.split("x"))
            rows, cols = (int(v) for v in grid.split("x"))
            counts, _ = harness.make_counts(n_cells, n_genes, a.seed)
            keep = kept_genes(counts, n_genes)
            h5ad = os.path.join(tmp, "data.h5ad")
            genes = os.path.join(tmp, "genes.txt")
            write_h5ad(h5ad, counts)
            with open(genes, "w") as f:
                f.write("".join(f"g{j}\n" for j in keep))
            rec = {"config": cfg, "blas": blas}
            for geometry in ("rings", "euclidean"):
                wall, solve, energy = run_cli(a.cli, ["layout", h5ad, "-o", os.path.join(tmp, "l.tsv"),
                                                      "--gene-list", genes, "--rows", str(rows),
                                                      "--cols", str(cols), "--grid", geometry])
                rec[f"ours_{geometry}"] = {"wall_s": wall, "layout_s": solve, "energy": energy}
                print(f"[{cfg}] genomap-cli {geometry}: {wall:.2f} s wall ({solve:.2f} s layout), "
                      f"energy {energy:.9f}", flush=True)
            if not a.skip_reference:
                if not a.ref:
                    sys.exit("--ref is needed (or --skip-reference)")
                out_json = os.path.join(tmp, "ref.json")
                subprocess.run([sys.executable, a.bench, a.ref, "--configs", cfg, "--num-iter",
                                str(a.num_iter), "--seed", str(a.seed), "--json", out_json],
                               check=True, stdout=subprocess.DEVNULL)
                with open(out_json) as f:
                    ref = json.load(f)
                ref = ref["results"][0]
                rec["reference"] = ref
                e_ref = ref.get("gw_kl_energy")
                t_ref = ref.get("wall_s")
                print(f"[{cfg}] reference: {t_ref} s, energy {e_ref}", flush=True)
            records.append(rec)

    print()
    print(f"BLAS: {blas}")
    print("| cells × genes (grid) | reference s | reference E_KL | genomap-cli rings s (layout) | rings E_KL | speed-up | genomap-cli euclidean s (layout) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in records:
        ours, euc = r["ours_rings"], r["ours_euclidean"]
        ref = r.get("reference", {})
        t_ref = ref.get("wall_s")
        e_ref = ref.get("gw_kl_energy")
        speed = f"{t_ref / ours['wall_s']:.0f}×" if t_ref else "–"
        print(f"| {r['config']} | {f'{t_ref:.1f}' if t_ref else '–'} | {f'{e_ref:.9f}' if e_ref else '–'} | "
              f"{ours['wall_s']:.2f} ({ours['layout_s']:.2f}) | {ours['energy']:.9f} | {speed} | "
              f"{euc['wall_s']:.2f} ({euc['layout_s']:.2f}) |")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(records, f, indent=1)


if __name__ == "__main__":
    main()
