/* gm-random.c — xoshiro256**, and gamma, Poisson and negative binomial samplers
 *
 * Copyright 2026 The GenoMap Studio authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * See gm-random.h for the algorithms and their sources.
 */
#include "config.h"

#include <math.h>

#include "gm-random.h"

static uint64_t
splitmix64 (uint64_t *x)
{
  uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static inline uint64_t
rotl (uint64_t x,
      int      k)
{
  return (x << k) | (x >> (64 - k));
}

void
gm_rng_init (GmRng    *rng,
             uint64_t  seed)
{
  uint64_t x = seed;

  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&x);
  rng->has_cached = FALSE;
  rng->cached_normal = 0.0;
}

void
gm_rng_init_stream (GmRng    *rng,
                    uint64_t  seed,
                    uint64_t  stream)
{
  uint64_t x = seed;
  uint64_t a = splitmix64 (&x);
  uint64_t y = stream ^ 0x5851f42d4c957f2dULL;
  uint64_t b = splitmix64 (&y);

  gm_rng_init (rng, a ^ rotl (b, 17) ^ (b >> 3));
}

uint64_t
gm_rng_next (GmRng *rng)
{
  uint64_t *s = rng->s;
  const uint64_t result = rotl (s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

double
gm_rng_uniform (GmRng *rng)
{
  return (double) (gm_rng_next (rng) >> 11) * 0x1.0p-53;
}

uint64_t
gm_rng_below (GmRng    *rng,
              uint64_t  n)
{
  /* rejection of the incomplete top range */
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;

  do
    x = gm_rng_next (rng);
  while (x >= limit);
  return x % n;
}

double
gm_rng_normal (GmRng *rng)
{
  double u, v, s, f;

  if (rng->has_cached)
    {
      rng->has_cached = FALSE;
      return rng->cached_normal;
    }
  do
    {
      u = 2.0 * gm_rng_uniform (rng) - 1.0;
      v = 2.0 * gm_rng_uniform (rng) - 1.0;
      s = u * u + v * v;
    }
  while (s >= 1.0 || s == 0.0);
  f = sqrt (-2.0 * log (s) / s);
  rng->cached_normal = v * f;
  rng->has_cached = TRUE;
  return u * f;
}

double
gm_rng_gamma (GmRng  *rng,
              double  shape,
              double  rate)
{
  double d, c, x, v, u;

  if (!(shape > 0.0) || !(rate > 0.0))
    return 0.0;
  if (shape < 1.0)
    {
      double g = gm_rng_gamma (rng, shape + 1.0, 1.0);
      double w = gm_rng_uniform (rng);

      /* 1 - w is in (0, 1] */
      return g * pow (1.0 - w, 1.0 / shape) / rate;
    }
  d = shape - 1.0 / 3.0;
  c = 1.0 / sqrt (9.0 * d);
  for (;;)
    {
      do
        {
          x = gm_rng_normal (rng);
          v = 1.0 + c * x;
        }
      while (v <= 0.0);
      v = v * v * v;
      u = gm_rng_uniform (rng);
      if (u < 1.0 - 0.0331 * (x * x) * (x * x))
        return d * v / rate;
      if (u > 0.0 && log (u) < 0.5 * x * x + d * (1.0 - v + log (v)))
        return d * v / rate;
    }
}

static uint64_t
poisson_ptrs (GmRng  *rng,
              double  lambda)
{
  const double slam = sqrt (lambda);
  const double loglam = log (lambda);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2.0);

  for (;;)
    {
      double u = gm_rng_uniform (rng) - 0.5;
      double v = gm_rng_uniform (rng);
      double us = 0.5 - fabs (u);
      double k = floor ((2.0 * a / us + b) * u + lambda + 0.43);

      if (us >= 0.07 && v <= vr)
        return (uint64_t) k;
      if (k < 0.0 || (us < 0.013 && v > us))
        continue;
      if (v == 0.0)
        continue;
      if (log (v) + log (invalpha) - log (a / (us * us) + b)
          <= -lambda + k * loglam - lgamma (k + 1.0))
        return (uint64_t) k;
    }
}

uint64_t
gm_rng_poisson (GmRng  *rng,
                double  lambda)
{
  if (!(lambda > 0.0) || !isfinite (lambda))
    return 0;
  if (lambda >= 10.0)
    return poisson_ptrs (rng, lambda);
  {
    const double limit = exp (-lambda);
    double prod = gm_rng_uniform (rng);
    uint64_t k = 0;

    while (prod > limit)
      {
        prod *= gm_rng_uniform (rng);
        k++;
      }
    return k;
  }
}

uint64_t
gm_rng_negbin (GmRng  *rng,
               double  mu,
               double  phi)
{
  if (!(mu > 0.0))
    return 0;
  if (!(phi > 0.0))
    return gm_rng_poisson (rng, mu);
  return gm_rng_poisson (rng, mu * gm_rng_gamma (rng, 1.0 / phi, 1.0 / phi));
}

double
gm_rng_lognormal (GmRng  *rng,
                  double  mu,
                  double  sigma)
{
  return exp (mu + sigma * gm_rng_normal (rng));
}
