/* test-impute-eval.c — samplers, simulators, evaluation and the imputation baselines
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "gm-baselines.h"
#include "gm-evaluate.h"
#include "gm-io.h"
#include "gm-random.h"
#include "gm-simulate.h"
#include "gm-test-truth.h"

/* ------------------------------------------------------------ helpers */

static GmDataset *
dataset_from_dense (const double *v,
                    int           n,
                    int           g,
                    const int    *cell_order)
{
  GmDataset *ds = gm_dataset_new ();
  int64_t nnz = 0;

  ds->X.n_rows = n;
  ds->X.n_cols = g;
  ds->X.indptr = g_new0 (int64_t, n + 1);
  ds->X.indices = g_new (int32_t, (gsize) n * g + 1);
  ds->X.data = g_new (float, (gsize) n * g + 1);
  ds->cell_names = g_new0 (char *, n);
  ds->gene_names = g_new0 (char *, g);
  for (int j = 0; j < g; j++)
    ds->gene_names[j] = g_strdup_printf ("G%d", j);
  for (int r = 0; r < n; r++)
    {
      int c = cell_order ? cell_order[r] : r;
      ds->cell_names[r] = g_strdup_printf ("C%d", c);
      for (int j = 0; j < g; j++)
        if (v[(gsize) c * g + j] != 0.0)
          {
            ds->X.indices[nnz] = j;
            ds->X.data[nnz] = (float) v[(gsize) c * g + j];
            nnz++;
          }
      ds->X.indptr[r + 1] = nnz;
    }
  return ds;
}

static GmDataset *
dataset_from_floats (const GmDataset *like,
                     const float     *v)
{
  int64_t n = like->X.n_rows, g = like->X.n_cols;
  g_autofree double *d = g_new (double, (gsize) n * g);
  GmDataset *ds;

  for (gsize i = 0; i < (gsize) n * g; i++)
    d[i] = v[i];
  ds = dataset_from_dense (d, n, g, NULL);
  for (int64_t c = 0; c < n; c++)
    {
      g_free (ds->cell_names[c]);
      ds->cell_names[c] = g_strdup (like->cell_names[c]);
    }
  for (int64_t j = 0; j < g; j++)
    {
      g_free (ds->gene_names[j]);
      ds->gene_names[j] = g_strdup (like->gene_names[j]);
    }
  return ds;
}

static GmDataset *
load_fixture (void)
{
  g_autofree char *path = gm_test_data_path ("csr_counts.h5ad");
  g_autoptr(GError) error = NULL;
  GmDataset *ds = gm_read (path, NULL, &error);

  g_assert_no_error (error);
  return ds;
}

static gboolean
csr_equal (const GmCsr *a,
           const GmCsr *b)
{
  int64_t nnz = a->indptr[a->n_rows];

  return a->n_rows == b->n_rows && a->n_cols == b->n_cols && nnz == b->indptr[b->n_rows]
         && memcmp (a->indptr, b->indptr, (a->n_rows + 1) * sizeof (int64_t)) == 0
         && memcmp (a->indices, b->indices, nnz * sizeof (int32_t)) == 0
         && memcmp (a->data, b->data, nnz * sizeof (float)) == 0;
}

/* ------------------------------------------------------------ samplers */

static void
check_gamma (double shape,
             double rate)
{
  const int n = 200000;
  double s = 0.0, ss = 0.0, mean, var, m = shape / rate, v = shape / (rate * rate);
  GmRng rng;

  gm_rng_init (&rng, 42);
  for (int i = 0; i < n; i++)
    {
      double x = gm_rng_gamma (&rng, shape, rate);
      g_assert_cmpfloat (x, >=, 0.0);
      s += x;
      ss += x * x;
    }
  mean = s / n;
  var = ss / n - mean * mean;
  /* mean: 5 standard errors; variance: 5 % (sd of the sample variance is < 1 % here) */
  g_assert_cmpfloat (fabs (mean - m), <, 5.0 * sqrt (v / n));
  g_assert_cmpfloat (fabs (var / v - 1.0), <, 0.05);
}

static void
test_gamma_moments (void)
{
  check_gamma (10.0, 2000.0);
  check_gamma (8.0, 2000.0);
  check_gamma (0.5, 1.0);
  check_gamma (0.6, 0.3);
  check_gamma (30.0, 0.5);
}

static void
test_poisson_moments (void)
{
  const double lambdas[] = { 0.05, 0.7, 3.0, 9.9, 10.0, 47.5, 1000.0, 1e6 };

  for (guint t = 0; t < G_N_ELEMENTS (lambdas); t++)
    {
      const int n = 200000;
      double lam = lambdas[t], s = 0.0, ss = 0.0, mean, var;
      GmRng rng;

      gm_rng_init (&rng, 7 + t);
      for (int i = 0; i < n; i++)
        {
          double x = (double) gm_rng_poisson (&rng, lam);
          s += x;
          ss += x * x;
        }
      mean = s / n;
      var = ss / n - mean * mean;
      g_assert_cmpfloat (fabs (mean - lam), <, 5.0 * sqrt (lam / n));
      g_assert_cmpfloat (fabs (var / lam - 1.0), <, 0.05);
    }
  {
    GmRng rng;
    gm_rng_init (&rng, 1);
    g_assert_cmpuint (gm_rng_poisson (&rng, 0.0), ==, 0);
    g_assert_cmpuint (gm_rng_poisson (&rng, -1.0), ==, 0);
  }
}

static void
test_rng_determinism (void)
{
  GmRng a, b, c;

  gm_rng_init_stream (&a, 5, 3);
  gm_rng_init_stream (&b, 5, 3);
  gm_rng_init_stream (&c, 5, 4);
  for (int i = 0; i < 100; i++)
    {
      uint64_t x = gm_rng_next (&a);
      g_assert_cmpuint (x, ==, gm_rng_next (&b));
      g_assert_cmpuint (x, !=, gm_rng_next (&c));
    }
  for (int i = 0; i < 1000; i++)
    {
      double u = gm_rng_uniform (&a);
      g_assert_cmpfloat (u, >=, 0.0);
      g_assert_cmpfloat (u, <, 1.0);
      g_assert_cmpuint (gm_rng_below (&a, 7), <, 7);
    }
}

/* ------------------------------------------------------------ simulate */

static GmDataset *
splat (int     n,
       int     g,
       int     k,
       guint64 seed)
{
  GmSplatParams p;
  g_autoptr(GError) error = NULL;
  GmDataset *ds;

  gm_splat_params_init (&p);
  p.n_cells = n;
  p.n_genes = g;
  p.n_groups = k;
  p.seed = seed;
  ds = gm_simulate_splat (&p, &error);
  g_assert_no_error (error);
  return ds;
}

static void
test_simulate_efficiency (void)
{
  g_autoptr(GmDataset) ref = load_fixture ();
  g_autoptr(GmDataset) a = NULL, b = NULL, c = NULL, big = NULL, obs = NULL;
  g_autoptr(GError) error = NULL;
  double ratio;

  a = gm_simulate_efficiency (ref, 10.0, 20.0, 3, &error);
  g_assert_no_error (error);
  b = gm_simulate_efficiency (ref, 10.0, 20.0, 3, &error);
  c = gm_simulate_efficiency (ref, 10.0, 20.0, 4, &error);
  g_assert_true (csr_equal (&a->X, &b->X));
  g_assert_false (csr_equal (&a->X, &c->X));
  g_assert_cmpint (a->X.n_rows, ==, ref->X.n_rows);
  g_assert_cmpint (a->X.n_cols, ==, ref->X.n_cols);
  g_assert_true (gm_csr_is_integer (&a->X));
  g_assert_no_error (error);
  g_assert_true (gm_csr_validate (&a->X, "simulated", &error));
  g_assert_cmpstr (a->cell_names[5], ==, ref->cell_names[5]);
  g_assert_cmpstr (a->gene_names[7], ==, ref->gene_names[7]);
  g_assert_nonnull (gm_dataset_find_obs (a, "efficiency"));
  /* 60 cells, Gamma(10) efficiencies: the total ratio is 0.5 ± ~5 % */
  ratio = gm_csr_total (&a->X) / gm_csr_total (&ref->X);
  g_assert_cmpfloat (fabs (ratio / 0.5 - 1.0), <, 0.15);

  /* 0.5 % on 2000 deep cells: the ratio of totals is 0.005 within 3 % */
  big = splat (2000, 300, 2, 1);
  obs = gm_simulate_efficiency (big, 10.0, 2000.0, 9, &error);
  g_assert_no_error (error);
  ratio = gm_csr_total (&obs->X) / gm_csr_total (&big->X);
  g_assert_cmpfloat (fabs (ratio / 0.005 - 1.0), <, 0.03);

  g_assert_null (gm_simulate_efficiency (ref, 0.0, 1.0, 0, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
}

static void
test_splat (void)
{
  const int n = 400, g = 600, k = 3;
  g_autoptr(GmDataset) a = splat (n, g, k, 11);
  g_autoptr(GmDataset) b = splat (n, g, k, 11);
  g_autoptr(GmDataset) c = splat (n, g, k, 12);
  g_autoptr(GError) error = NULL;
  GmColumn *group;
  g_autofree float *ln = NULL;
  int n_diff_true = 0, n_diff_perm = 0;
  g_autofree int *perm = NULL;

  g_assert_true (csr_equal (&a->X, &b->X));
  g_assert_false (csr_equal (&a->X, &c->X));
  g_assert_true (gm_csr_is_integer (&a->X));
  g_assert_true (gm_csr_validate (&a->X, "splat", &error));
  g_assert_cmpfloat (gm_csr_total (&a->X) / n, >, 20000.0);  /* lognormal(11, 0.2) library sizes */
  group = gm_dataset_find_obs (a, "group");
  g_assert_nonnull (group);
  g_assert_cmpint (group->kind, ==, GM_COLUMN_CATEGORICAL);
  g_assert_cmpint (group->n_categories, ==, k);

  /* between-group differences: genes whose group means (log-normalised) differ by > 0.4,
   * for the true groups and for the same labels shuffled */
  ln = gm_lognorm_dense (&a->X, NULL, g, NULL);
  perm = g_new (int, n);
  for (int i = 0; i < n; i++)
    perm[i] = group->codes[i];
  {
    GmRng rng;
    gm_rng_init (&rng, 99);
    for (int i = n - 1; i > 0; i--)
      {
        int j = (int) gm_rng_below (&rng, i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
      }
  }
  for (int pass = 0; pass < 2; pass++)
    for (int j = 0; j < g; j++)
      {
        double s[8] = { 0 }, cnt[8] = { 0 }, lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < n; i++)
          {
            int gr = pass == 0 ? group->codes[i] : perm[i];
            s[gr] += ln[(gsize) i * g + j];
            cnt[gr]++;
          }
        for (int gr = 0; gr < k; gr++)
          {
            lo = MIN (lo, s[gr] / cnt[gr]);
            hi = MAX (hi, s[gr] / cnt[gr]);
          }
        if (hi - lo > 0.4)
          *(pass == 0 ? &n_diff_true : &n_diff_perm) += 1;
      }
  g_test_message ("genes with group differences: %d true groups, %d shuffled", n_diff_true, n_diff_perm);
  g_assert_cmpint (n_diff_true, >, g / 20);
  g_assert_cmpint (n_diff_true, >, 5 * n_diff_perm + 10);
}

static void
test_holdout (void)
{
  g_autoptr(GmDataset) obs = load_fixture ();
  g_autoptr(GmDataset) masked = NULL, masked2 = NULL;
  g_autoptr(GmHoldoutResult) res = NULL;
  g_autoptr(GError) error = NULL;
  int64_t hidden = 0, nnz = gm_dataset_nnz (obs);

  masked = gm_simulate_holdout (obs, 0.3, 5, &hidden, &error);
  g_assert_no_error (error);
  g_assert_cmpint (hidden, ==, (int64_t) llround (0.3 * nnz));
  g_assert_cmpint (gm_dataset_nnz (masked), ==, nnz - hidden);
  g_assert_true (gm_csr_validate (&masked->X, "masked", &error));
  masked2 = gm_simulate_holdout (obs, 0.3, 5, NULL, &error);
  g_assert_true (csr_equal (&masked->X, &masked2->X));

  /* a perfect imputation: the unmasked counts themselves */
  res = gm_evaluate_holdout (obs, masked, obs, GM_SCALE_LOGNORM, &error);
  g_assert_no_error (error);
  g_assert_cmpint (res->n_hidden, ==, hidden);
  g_assert_cmpfloat (fabs (res->overall_r - 1.0), <, 1e-9);
  g_assert_cmpfloat (res->overall_mse, <, 1e-12);
  g_assert_cmpint (res->n_scored, >, 0);
  for (int64_t j = 0; j < res->n_genes; j++)
    if (!isnan (res->r[j]))
      g_assert_cmpfloat (fabs (res->r[j] - 1.0), <, 1e-9);
  g_clear_pointer (&res, gm_holdout_result_free);
  /* the masked data as "imputation": the hidden entries are all 0 → r undefined overall */
  res = gm_evaluate_holdout (obs, masked, masked, GM_SCALE_RAW, &error);
  g_assert_no_error (error);
  g_assert_true (isnan (res->overall_r));

  g_assert_null (gm_simulate_holdout (obs, 1.0, 5, NULL, &error));
  g_clear_error (&error);
}

/* ------------------------------------------------------------ evaluate */

static void
test_evaluate_pearson (void)
{
  enum { N = 7, G = 5 };
  const double ref[N * G] = {
    1, 0, 3, 2, 5,
    2, 1, 3, 0, 1,
    0, 4, 3, 2, 0,
    5, 0, 3, 1, 2,
    3, 2, 3, 0, 7,
    1, 1, 3, 4, 0,
    0, 0, 3, 2, 1,
  };
  const double imp[N * G] = {
    1.5, 0,   2, 2,   4,
    2,   0.5, 2, 0.1, 1,
    0.2, 3,   2, 2,   0.3,
    4,   0,   2, 1,   2,
    3,   1,   2, 0,   6,
    1,   1,   2, 3,   0.5,
    0.1, 0.2, 2, 2,   1,
  };
  const int order[N] = { 3, 0, 6, 1, 5, 2, 4 };
  g_autoptr(GmDataset) r = dataset_from_dense (ref, N, G, NULL);
  g_autoptr(GmDataset) im = dataset_from_dense (imp, N, G, order);   /* cells shuffled */
  g_autoptr(GmEvalResult) res = NULL;
  g_autoptr(GmEvalResult) same = NULL;
  g_autoptr(GError) error = NULL;

  res = gm_evaluate (r, im, r, GM_SCALE_RAW, &error);
  g_assert_no_error (error);
  for (int j = 0; j < G; j++)
    {
      double x[N], y[N], direct, mse = 0.0;
      for (int c = 0; c < N; c++)
        {
          x[c] = ref[c * G + j];
          y[c] = imp[c * G + j];
          mse += (x[c] - y[c]) * (x[c] - y[c]);
        }
      direct = gm_pearson (x, y, N);
      if (j == 2)
        {
          /* gene 2 is constant in both: undefined, before and after */
          g_assert_true (isnan (res->r_after[j]));
          g_assert_true (isnan (res->r_before[j]));
          g_assert_true (isnan (direct));
        }
      else
        {
          g_assert_cmpfloat (fabs (res->r_after[j] - direct), <, 1e-6);
          g_assert_cmpfloat (fabs (res->r_before[j] - 1.0), <, 1e-9);
        }
      g_assert_cmpfloat (fabs (res->mse_after[j] - mse / N), <, 1e-5);
    }
  g_assert_cmpint (res->after.n_undefined, ==, 1);
  g_assert_cmpint (res->before.n_undefined, ==, 1);
  g_assert_cmpint (res->after.n_defined, ==, G - 1);
  g_assert_cmpint (res->n_compared, ==, G - 1);
  g_assert_cmpint (res->n_improved, ==, 0);

  /* lognorm scale: against a direct computation */
  {
    g_autoptr(GmEvalResult) ln = gm_evaluate (r, im, NULL, GM_SCALE_LOGNORM, &error);
    double lr[N], li[N];
    g_assert_no_error (error);
    for (int c = 0; c < N; c++)
      {
        lr[c] = li[c] = 0;
        for (int j = 0; j < G; j++)
          {
            lr[c] += ref[c * G + j];
            li[c] += imp[c * G + j];
          }
      }
    for (int j = 0; j < G; j++)
      {
        double x[N], y[N];
        for (int c = 0; c < N; c++)
          {
            x[c] = log1p (ref[c * G + j] * 1e4 / lr[c]);
            y[c] = log1p (imp[c * G + j] * 1e4 / li[c]);
          }
        if (isnan (gm_pearson (x, y, N)))
          g_assert_true (isnan (ln->r_after[j]));
        else
          g_assert_cmpfloat (fabs (ln->r_after[j] - gm_pearson (x, y, N)), <, 1e-6);
      }
    g_assert_false (ln->has_before);
  }

  /* identical matrices: r = 1 */
  same = gm_evaluate (r, r, NULL, GM_SCALE_LOGNORM, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (same->after.median - 1.0), <, 1e-9);
  g_assert_cmpfloat (same->after.mean_mse, <, 1e-12);

  /* names that differ are an error */
  g_free (im->gene_names[1]);
  im->gene_names[1] = g_strdup ("Other");
  g_assert_null (gm_evaluate (r, im, NULL, GM_SCALE_RAW, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_INVALID_INPUT);
  g_assert_nonnull (strstr (error->message, "Other"));
}

static void
test_quantiles (void)
{
  const double v[] = { 1, 2, 3, 4 };

  g_assert_cmpfloat (gm_quantile_sorted (v, 4, 0.5), ==, 2.5);
  g_assert_cmpfloat (gm_quantile_sorted (v, 4, 0.25), ==, 1.75);
  g_assert_cmpfloat (gm_quantile_sorted (v, 4, 1.0), ==, 4.0);
  g_assert_true (isnan (gm_quantile_sorted (v, 0, 0.5)));
}

/* ----------------------------------------------------------- baselines */

static void
test_knn_exact (void)
{
  enum { N = 300, D = 4, K = 6 };
  g_autofree float *pts = g_new (float, N * D);
  g_autofree int32_t *idx = g_new (int32_t, N * K);
  g_autofree float *dist = g_new (float, N * K);
  GmRng rng;

  gm_rng_init (&rng, 3);
  for (int i = 0; i < N * D; i++)
    pts[i] = (float) gm_rng_normal (&rng);
  gm_knn_exact (pts, N, D, K, idx, dist);
  for (int i = 0; i < N; i++)
    {
      /* brute force: the K-th smallest distance to the others */
      double d[N];
      int m = 0;
      for (int j = 0; j < N; j++)
        if (j != i)
          {
            double s = 0;
            for (int e = 0; e < D; e++)
              s += (pts[i * D + e] - pts[j * D + e]) * (double) (pts[i * D + e] - pts[j * D + e]);
            d[m++] = sqrt (s);
          }
      for (int a = 0; a < K; a++)   /* partial selection sort */
        for (int b = a + 1; b < m; b++)
          if (d[b] < d[a])
            {
              double t = d[a];
              d[a] = d[b];
              d[b] = t;
            }
      for (int h = 0; h < K; h++)
        {
          g_assert_cmpint (idx[i * K + h], !=, i);
          g_assert_cmpfloat (fabs (dist[i * K + h] - d[h]), <, 1e-3);
        }
    }
}

/* gm_cell_neighbours: on a Splatter-style reference of three strongly
 * different groups, every cell's 10 nearest cells are other cells of its
 * own group; too few cells for k is an error. */
static void
test_cell_neighbours (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmDataset) ref = NULL;
  g_autofree int32_t *nb = NULL;
  GmSplatParams sp;
  const GmColumn *group;
  int64_t n, same = 0;

  gm_splat_params_init (&sp);
  sp.n_cells = 150;
  sp.n_genes = 200;
  sp.n_groups = 3;
  sp.de_prob = 0.5;
  sp.de_loc = 1.5;
  sp.seed = 9;
  ref = gm_simulate_splat (&sp, &error);
  g_assert_no_error (error);
  group = g_ptr_array_index (ref->obs, 0);
  n = gm_dataset_n_cells (ref);
  nb = gm_cell_neighbours (&ref->X, 10, 10, 2000, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  for (int64_t c = 0; c < n; c++)
    for (int h = 0; h < 10; h++)
      {
        int32_t o = nb[c * 10 + h];
        g_assert_cmpint (o, !=, c);
        g_assert_cmpint (o, >=, 0);
        g_assert_cmpint (o, <, n);
        same += group->codes[o] == group->codes[c];
      }
  g_assert_cmpint (same, ==, n * 10);
  g_assert_null (gm_cell_neighbours (&ref->X, 150, 10, 2000, 0, NULL, NULL, &error));
  g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
}

static double
median_r (const GmDataset *ref,
          const GmDataset *x)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GmEvalResult) r = gm_evaluate (ref, x, NULL, GM_SCALE_LOGNORM, &error);

  g_assert_no_error (error);
  return r->after.median;
}

static void
test_baselines_beat_observed (void)
{
  g_autoptr(GmDataset) ref = splat (800, 400, 4, 21);
  g_autoptr(GmDataset) obs = NULL, knn = NULL, mg = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree float *vk = NULL, *vk2 = NULL, *vm = NULL, *vm2 = NULL;
  GmBaselineParams pk, pm;
  double r_obs, r_knn, r_magic;
  gsize size = (gsize) 800 * 400 * sizeof (float);

  obs = gm_simulate_efficiency (ref, 10.0, 2000.0, 22, &error);   /* 0.5 % */
  g_assert_no_error (error);
  gm_baseline_params_init (&pk, GM_BASELINE_KNN);
  gm_baseline_params_init (&pm, GM_BASELINE_MAGIC);
  vk = gm_impute_baseline (&obs->X, &pk, &error);
  g_assert_no_error (error);
  vk2 = gm_impute_baseline (&obs->X, &pk, &error);
  vm = gm_impute_baseline (&obs->X, &pm, &error);
  g_assert_no_error (error);
  vm2 = gm_impute_baseline (&obs->X, &pm, &error);
  g_assert_cmpmem (vk, size, vk2, size);
  g_assert_cmpmem (vm, size, vm2, size);

  knn = dataset_from_floats (obs, vk);
  mg = dataset_from_floats (obs, vm);
  r_obs = median_r (ref, obs);
  r_knn = median_r (ref, knn);
  r_magic = median_r (ref, mg);
  g_test_message ("median per-gene Pearson: observed %.3f, knn %.3f, magic %.3f", r_obs, r_knn, r_magic);
  g_assert_cmpfloat (r_knn, >, r_obs + 0.05);
  g_assert_cmpfloat (r_magic, >, r_obs + 0.05);

  /* the counts scale is kept: totals stay close to the observed ones */
  {
    double tot = 0.0;
    for (gsize i = 0; i < (gsize) 800 * 400; i++)
      tot += vk[i];
    g_assert_cmpfloat (fabs (tot / gm_csr_total (&obs->X) - 1.0), <, 0.1);
  }

  /* too few cells for k */
  {
    GmBaselineParams bad = pk;
    bad.k = 900;
    g_assert_null (gm_impute_baseline (&obs->X, &bad, &error));
    g_assert_error (error, GM_ERROR, GM_ERROR_USAGE);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/impute/random/gamma-moments", test_gamma_moments);
  g_test_add_func ("/impute/random/poisson-moments", test_poisson_moments);
  g_test_add_func ("/impute/random/determinism", test_rng_determinism);
  g_test_add_func ("/impute/simulate/efficiency", test_simulate_efficiency);
  g_test_add_func ("/impute/simulate/splat", test_splat);
  g_test_add_func ("/impute/simulate/holdout", test_holdout);
  g_test_add_func ("/impute/evaluate/pearson", test_evaluate_pearson);
  g_test_add_func ("/impute/evaluate/quantiles", test_quantiles);
  g_test_add_func ("/impute/baselines/knn-exact", test_knn_exact);
  g_test_add_func ("/impute/baselines/cell-neighbours", test_cell_neighbours);
  g_test_add_func ("/impute/baselines/beat-observed", test_baselines_beat_observed);
  return g_test_run ();
}
