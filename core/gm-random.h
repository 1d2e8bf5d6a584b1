/* gm-random.h — a small, well-known PRNG and the samplers the simulators need
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Generator: xoshiro256** 1.0 (Blackman & Vigna, 2018), its 256-bit state
 * filled from the 64-bit seed with splitmix64, as its authors recommend.
 * Independent streams (one per cell, say) come from gm_rng_init_stream, which
 * mixes the stream number into the seed with splitmix64, so results do not
 * depend on the order in which streams are used or on the number of threads.
 *
 * Samplers:
 *   uniform  — the top 53 bits of a 64-bit output, in [0, 1).
 *   normal   — Marsaglia's polar method (the second value is cached).
 *   gamma    — Marsaglia & Tsang (2000), "A simple method for generating gamma
 *              variables"; shape < 1 by the boost Gamma(a) = Gamma(a + 1)·U^(1/a).
 *   poisson  — exact for every mean: multiplication of uniforms (Knuth) for
 *              λ < 10, and Hörmann's PTRS transformed rejection ("The transformed
 *              rejection method for generating Poisson random variables", 1993)
 *              for λ ≥ 10.
 *   negative binomial (mean μ, dispersion φ, variance μ + φμ²) — the gamma–Poisson
 *              mixture Poisson(μ · Gamma(1/φ, 1/φ)).
 */
#pragma once

#include <glib.h>
#include <stdint.h>

G_BEGIN_DECLS

typedef struct
{
  uint64_t s[4];
  double   cached_normal;
  gboolean has_cached;
} GmRng;

void     gm_rng_init          (GmRng *rng, uint64_t seed);
/* A stream of its own for (seed, stream): e.g. one per cell. */
void     gm_rng_init_stream   (GmRng *rng, uint64_t seed, uint64_t stream);
uint64_t gm_rng_next          (GmRng *rng);
double   gm_rng_uniform       (GmRng *rng);            /* [0, 1) */
/* Uniform integer in [0, n) without modulo bias; n > 0. */
uint64_t gm_rng_below         (GmRng *rng, uint64_t n);
double   gm_rng_normal        (GmRng *rng);            /* N(0, 1) */
/* Gamma with this shape (> 0) and rate (> 0): mean shape/rate, variance shape/rate². */
double   gm_rng_gamma         (GmRng *rng, double shape, double rate);
/* Poisson with mean lambda ≥ 0 (0 when lambda ≤ 0 or not finite). */
uint64_t gm_rng_poisson       (GmRng *rng, double lambda);
/* Negative binomial with mean mu and dispersion phi ≥ 0 (phi = 0 is Poisson). */
uint64_t gm_rng_negbin        (GmRng *rng, double mu, double phi);
/* exp (N(mu, sigma²)) */
double   gm_rng_lognormal     (GmRng *rng, double mu, double sigma);

G_END_DECLS
