#!/usr/bin/python3
"""Reference GenoMap energies for the layout solver tests (tests/test-gw.c).

Runs the published reference construction (xinglab-ai/genomap,
``gromov_wasserstein_adjusted_norm`` with ``loss_fun='kl_loss'``,
``epsilon=0``, 200 iterations, exact EMD by POT's ``ot.lp.emd``) on small,
deterministic fixtures and writes what the C test needs:

  tests/data/genomap_ref_small.tsv  one line per case: grid, n, the reference's
                                    final KL-GW energy, its first-iterate energy,
                                    where the energy stopped changing, which code
                                    produced it, and the final gene -> pixel map
  tests/data/genomap_ref_small.bin  the C1 matrices the reference was given:
                                    strict upper triangles, row-major, as
                                    little-endian uint16 codes q, C1 = q / 32768

C1 is the correlation distance (scipy ``pdist(..., 'correlation')``, which is
what the reference's ``createInteractionMatrix`` calls) of synthetic
negative-binomial counts with co-regulated gene modules, log1p of counts per
10 000.  It is rounded to multiples of 2^-15 *before* the reference runs, so the
matrix stored is exactly the one the reference saw (and it keeps the file small).

Reference code: with ``--ref DIR`` (a folder holding the ``genomap`` package,
e.g. the PyPI wheel ``genomap-1.3.6`` unpacked: ``pip download --no-deps
genomap==1.3.6`` then unzip) the real ``genomap.genomapOPT`` and
``genomap.genomap.createMeshDistance`` are used, and this script's own
re-implementation of the iteration (spec §5.2) is run alongside as a check.
Without ``--ref`` only the re-implementation runs.  The TSV records which.

Needs Debian's python3-numpy, python3-scipy, python3-sklearn and python3-pot
(run with /usr/bin/python3).

Bench mode: ``--dump-bench-c1 CELLSxGENES:RxC OUT`` writes the C1 of the shared
reference benchmark's data (/work/shared/bench/genomap_ref_bench.py, seed 0)
for tests/bench/bench-gw --c1, as "GMC1", int32 n, rows, cols, cells, then
n x n float64 (not committed: 9-33 MB).
"""

import argparse
import importlib
import importlib.util
import os
import struct
import sys
import time
import types

import numpy as np

QUANT = 32768.0
KL_EPS = 1e-15

CASES = [
    # name, cells, genes, rows, cols, seed
    ("12x12", 300, 144, 12, 12, 11),
    ("16x16", 300, 256, 16, 16, 12),
    ("11x13_n130", 300, 130, 11, 13, 13),   # odd sizes, n < rows*cols
]


# ---------------------------------------------------------------- data
def make_log_counts(n_cells, n_genes, seed):
    """log1p(CP10k) of NB counts with correlated gene modules, no constant gene."""
    rng = np.random.default_rng(seed)
    g = n_genes + max(32, n_genes // 4)
    n_groups, n_modules = 5, max(4, n_genes // 12)
    group = rng.integers(0, n_groups, n_cells)
    module = rng.integers(0, n_modules, g)
    loading = rng.uniform(0.5, 1.5, g)
    loading[rng.random(g) < 0.15] = 0.0
    base = np.exp(rng.normal(np.log(1.0), 1.0, g))
    program = rng.normal(0.0, 1.2, (n_groups, n_modules)) * (rng.random((n_groups, n_modules)) < 0.4)
    activity = rng.normal(0.0, 0.6, (n_cells, n_modules))
    size = np.exp(rng.normal(0.0, 0.3, n_cells))
    log_mu = (np.log(size)[:, None] + np.log(base)[None, :]
              + loading[None, :] * (program[group][:, module] + activity[:, module]))
    phi = np.exp(rng.normal(np.log(0.3), 0.5, g))
    lam = rng.gamma(1.0 / phi[None, :], np.exp(log_mu) * phi[None, :])
    counts = rng.poisson(lam).astype(np.float64)
    lib = counts.sum(axis=1, keepdims=True)
    lib[lib == 0] = 1.0
    x = np.log1p(counts / lib * 1e4)
    keep = np.flatnonzero(x.std(axis=0) > 0)[:n_genes]
    if keep.size < n_genes:
        raise RuntimeError("not enough non-constant genes")
    return x[:, keep]


def correlation_distance(x):
    from scipy.spatial.distance import pdist, squareform
    return squareform(pdist(x.T, "correlation"))


def quantise(c1):
    q = np.clip(np.rint(c1 * QUANT), 0, 65535).astype(np.uint16)
    q = np.triu(q, 1)
    q = q + q.T
    return q, q.astype(np.float64) / QUANT


# ------------------------------------------------------------ geometry
def radii(rows, cols):
    """rho of every pixel, pixel p = r + c*rows (column-major), spec §4."""
    def coords(size):
        if size % 2 == 0:
            return np.arange(size) - size // 2
        return np.arange(size) - (size - 1) // 2
    x = coords(rows).astype(np.float64)
    y = coords(cols).astype(np.float64)
    rr, cc = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    p = rr + cc * rows
    rho = np.empty(rows * cols)
    rho[p.ravel()] = np.sqrt(x[rr.ravel()] ** 2 + y[cc.ravel()] ** 2)
    return rho


def energy_kl(c1, rho, sigma):
    """(1/n^2) sum_ik L(C1[i,k], |rho_si - rho_sk|), the C library's definition."""
    n = len(sigma)
    r = rho[np.asarray(sigma)]
    b = np.abs(r[:, None] - r[None, :])
    loss = c1 * np.log(c1 + KL_EPS) - c1 + b - c1 * np.log(b + KL_EPS)
    return float(loss.sum() / n ** 2)


def energy_kl_matrix(c1, c2, sigma):
    n = len(sigma)
    b = c2[np.ix_(sigma, sigma)]
    loss = c1 * np.log(c1 + KL_EPS) - c1 + b - c1 * np.log(b + KL_EPS)
    return float(loss.sum() / n ** 2)


# ----------------------------------------------------------- reference
def import_reference(ref_dir):
    ref_dir = os.path.abspath(ref_dir)
    pkg = os.path.join(ref_dir, "genomap")
    if not os.path.isfile(os.path.join(pkg, "genomap.py")):
        if os.path.isfile(os.path.join(ref_dir, "genomap.py")):
            pkg = ref_dir
        else:
            raise SystemExit("no genomap/genomap.py under %s" % ref_dir)
    stub = types.ModuleType("genomap")          # skip the package __init__ (tensorflow ...)
    stub.__path__ = [pkg]
    sys.modules["genomap"] = stub
    gm = importlib.import_module("genomap.genomap")
    opt = importlib.import_module("genomap.genomapOPT.genomapOPT")
    version = "?"
    for meta in os.listdir(ref_dir):
        if meta.startswith("genomap-") and meta.endswith(".dist-info"):
            version = meta[len("genomap-"):-len(".dist-info")]
    return gm, opt, version


def run_real(gm, opt, c1, rows, cols, num_iter=200):
    """The reference solver itself; returns the gene->pixel map of every iterate."""
    import ot
    n = c1.shape[0]
    c2 = gm.createMeshDistance(rows, cols)[:n, :n]
    perms = []
    orig = ot.lp.emd

    def emd(a, b, M, *args, **kw):
        T = orig(a, b, M, *args, **kw)
        perms.append(np.argmax(T, axis=1))
        return T
    ot.lp.emd = emd
    try:
        p, q = opt.create_space_distributions(n, n)
        T = opt.gromov_wasserstein_adjusted_norm(np.zeros((n, n)), c1, c2, p, q,
                                                 loss_fun="kl_loss", epsilon=0, max_iter=num_iter)
    finally:
        ot.lp.emd = orig
    assert np.allclose(T.max(axis=1) * n, 1.0) and np.count_nonzero(T > 1e-12) == n
    return perms, c2


def run_reimplementation(c1, rows, cols, num_iter=200, tol=1e-9):
    """Spec §5.2, written out: T <- emd(p, q, shift(-C1 T log(C2 + 1e-15)^T))."""
    import ot
    from sklearn.metrics import pairwise_distances
    n = c1.shape[0]
    rho = radii(rows, cols)
    c2 = pairwise_distances(rho.reshape(-1, 1))[:n, :n]     # as createMeshDistance does
    h = np.log(c2 + KL_EPS)
    p = np.full(n, 1.0 / n)
    T = np.outer(p, p)
    perms = []
    err, it = 1.0, 0
    while err > tol and it < num_iter:
        prev = T
        K = -(c1 @ T) @ h.T
        K -= K.min()
        T = ot.lp.emd(p, p, K)
        perms.append(np.argmax(T, axis=1))
        if it % 10 == 0:
            err = np.linalg.norm(T - prev)
        it += 1
    return perms, c2


def summarise(c1, rows, cols, perms):
    rho = radii(rows, cols)
    traj = [energy_kl(c1, rho, s) for s in perms]
    last = 1
    for k in range(1, len(traj)):
        if traj[k] != traj[k - 1]:
            last = k + 1
    return traj, last


# --------------------------------------------------------------- modes
def write_fixture(args):
    out_dir = args.out_dir
    real = None
    source = "re-implementation of spec 5.2 (POT %s ot.lp.emd)"
    if args.ref:
        real = import_reference(args.ref)
    import ot
    source = source % ot.__version__
    rows_out, blob = [], bytearray()
    for name, cells, genes, rows, cols, seed in CASES:
        t0 = time.time()
        x = make_log_counts(cells, genes, seed)
        q, c1 = quantise(correlation_distance(x))
        n = genes
        perms_re, c2_re = run_reimplementation(c1, rows, cols)
        traj_re, _ = summarise(c1, rows, cols, perms_re)
        if real is not None:
            gm, opt, version = real
            perms, c2 = run_real(gm, opt, c1, rows, cols)
            traj, last = summarise(c1, rows, cols, perms)
            used = "xinglab-ai/genomap %s (PyPI wheel) gromov_wasserstein_adjusted_norm, POT %s" % (
                version, ot.__version__)
            # the real code and the re-implementation must agree on the energy
            if abs(traj[-1] - traj_re[-1]) > 1e-12:
                print("warning: %s: real %.15g vs re-implementation %.15g" % (name, traj[-1], traj_re[-1]),
                      file=sys.stderr)
            e_ref_c2 = energy_kl_matrix(c1, c2, perms[-1])
        else:
            perms, traj = perms_re, traj_re
            _, last = summarise(c1, rows, cols, perms)
            used = source
            e_ref_c2 = energy_kl_matrix(c1, c2_re, perms[-1])
        sigma = np.asarray(perms[-1], dtype=np.int64)
        iu = np.triu_indices(n, 1)
        offset = len(blob)
        blob += q[iu].astype("<u2").tobytes()
        rows_out.append((name, rows, cols, n, cells, offset, traj[-1], traj[0], len(perms), last,
                         e_ref_c2, used, ",".join(str(int(v)) for v in sigma)))
        print("%-12s n=%4d  E_ref=%.12f  first=%.12f  iters=%d  last change=%d  "
              "(with the reference's own C2: %.12f)  %.1f s" % (
                  name, n, traj[-1], traj[0], len(perms), last, e_ref_c2, time.time() - t0))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "genomap_ref_small.bin"), "wb") as f:
        f.write(bytes(blob))
    with open(os.path.join(out_dir, "genomap_ref_small.tsv"), "w") as f:
        f.write("# Written by tests/reference/genomap_reference_energy.py; do not edit.\n")
        f.write("# C1 of each case: genomap_ref_small.bin at byte offset, strict upper triangle,\n")
        f.write("# row-major, little-endian uint16 q, C1 = q / 32768, symmetric, zero diagonal.\n")
        f.write("# energy: KL-GW energy of the reference's final placement (200 iterations),\n")
        f.write("# C2 = |rho_a - rho_b| exactly; energy_ref_c2: the same with the reference's own\n")
        f.write("# C2 matrix (sklearn pairwise_distances).  sigma: gene -> pixel (column-major).\n")
        f.write("name\trows\tcols\tn\tcells\toffset\tenergy\tenergy_first_iterate\titerations\t"
                "last_energy_change\tenergy_ref_c2\tsource\tsigma\n")
        for r in rows_out:
            f.write("%s\t%d\t%d\t%d\t%d\t%d\t%.17g\t%.17g\t%d\t%d\t%.17g\t%s\t%s\n" % r)


def dump_bench_c1(args):
    cfg, out = args.dump_bench_c1
    cells_genes, grid = cfg.split(":")
    cells, genes = (int(v) for v in cells_genes.split("x"))
    rows, cols = (int(v) for v in grid.split("x"))
    spec = importlib.util.spec_from_file_location("genomap_ref_bench", args.bench)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data, _ = bench.make_data(cells, genes, args.seed)
    c1 = correlation_distance(data)
    with open(out, "wb") as f:
        f.write(b"GMC1" + struct.pack("<4i", genes, rows, cols, cells))
        f.write(np.ascontiguousarray(c1, dtype="<f8").tobytes())
    rho = radii(rows, cols)
    n = genes
    # the reference's first iterate (a sort) as a check against the spec's table
    print("wrote %s: n=%d; random-permutation energy %.6f" % (
        out, n, energy_kl(c1, rho, np.random.default_rng(1).permutation(n))))
    if args.run_reference:
        if not args.ref:
            raise SystemExit("--run-reference needs --ref")
        gm, opt, version = import_reference(args.ref)
        t0 = time.time()
        perms, _ = run_real(gm, opt, c1, rows, cols, args.num_iter)
        traj, last = summarise(c1, rows, cols, perms)
        print("reference genomap %s: %d iterations in %.1f s, E first %.9f final %.9f, "
              "last change at iteration %d" % (version, len(perms), time.time() - t0, traj[0],
                                               traj[-1], last))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ref", help="folder holding the reference genomap package")
    ap.add_argument("--out-dir", default=os.path.join(here, "..", "data"))
    ap.add_argument("--dump-bench-c1", nargs=2, metavar=("CELLSxGENES:RxC", "OUT"))
    ap.add_argument("--bench", default="/work/shared/bench/genomap_ref_bench.py")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--num-iter", type=int, default=200)
    ap.add_argument("--run-reference", action="store_true",
                    help="with --dump-bench-c1: also run the reference on that C1")
    args = ap.parse_args()
    if args.dump_bench_c1:
        dump_bench_c1(args)
    else:
        write_fixture(args)


if __name__ == "__main__":
    main()
