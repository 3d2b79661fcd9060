// Random numbers for the simulator: one xoshiro256** stream per replication,
// seeded through splitmix64 from (seed, replication index), and samplers for
// the workflow language's distributions. Private.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "jointreview/workflow.h"

namespace jointreview::sim {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  // The stream of replication `index` under `seed`.
  void seed(std::uint64_t seed, std::uint64_t index) {
    std::uint64_t x = seed;
    std::uint64_t mixed = splitmix64(x) ^ (index * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    for (auto& w : s_) w = splitmix64(mixed);
    if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe for log().
  double uniform_open0() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }
  bool chance(double p) { return p > 0 && (p >= 1 || uniform() < p); }
  double normal() {
    // Box-Muller, one value per call (keeps the stream position simple).
    const double u1 = uniform_open0(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // Gamma(shape >= 1, scale 1): Marsaglia and Tsang.
  double gamma(double shape) {
    const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const double u = uniform_open0();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4] = {1, 2, 3, 4};
};

// A Distribution prepared for fast sampling.
struct Sampler {
  Distribution::Kind kind = Distribution::Kind::fixed;
  double a = 0, b = 0, c = 0;  // kind-specific parameters
  double alpha = 1, beta = 1;  // pert
  double mu = 0, sigma = 0;    // lognormal (of the logarithm)
  double split = 0;            // triangular: (mode - min) / (max - min)

  static Sampler of(const Distribution& d) {
    Sampler s;
    s.kind = d.kind;
    switch (d.kind) {
      case Distribution::Kind::fixed: s.a = d.value; break;
      case Distribution::Kind::exponential: s.a = d.mean; break;
      case Distribution::Kind::uniform: s.a = d.min; s.b = d.max; break;
      case Distribution::Kind::triangular:
      case Distribution::Kind::pert:
        s.a = d.min;
        s.b = d.mode;
        s.c = d.max;
        if (d.max > d.min) {
          s.split = (d.mode - d.min) / (d.max - d.min);
          s.alpha = 1.0 + 4.0 * (d.mode - d.min) / (d.max - d.min);
          s.beta = 1.0 + 4.0 * (d.max - d.mode) / (d.max - d.min);
        }
        break;
      case Distribution::Kind::lognormal:
        s.a = d.mean;
        if (d.mean > 0) {
          const double v = std::log(1.0 + (d.sd * d.sd) / (d.mean * d.mean));
          s.sigma = std::sqrt(v);
          s.mu = std::log(d.mean) - v / 2.0;
        }
        break;
    }
    return s;
  }

  bool is_fixed() const { return kind == Distribution::Kind::fixed; }

  // Inlined where it is drawn (a few times per replication); the kinds that
  // loop (pert, lognormal) stay out of line.
  [[gnu::always_inline]] inline double operator()(Rng& r) const {
    switch (kind) {
      case Distribution::Kind::fixed: return a;
      case Distribution::Kind::exponential: return -a * std::log(r.uniform_open0());
      case Distribution::Kind::uniform: return a + (b - a) * r.uniform();
      case Distribution::Kind::triangular: {
        if (c <= a) return a;
        const double u = r.uniform();
        if (u < split) return a + std::sqrt(u * (c - a) * (b - a));
        return c - std::sqrt((1.0 - u) * (c - a) * (c - b));
      }
      case Distribution::Kind::pert:
      case Distribution::Kind::lognormal: return draw_slow(r);
    }
    return a;
  }

 private:
  [[gnu::noinline]] double draw_slow(Rng& r) const {
    if (kind == Distribution::Kind::pert) {
      if (c <= a) return a;
      const double x = r.gamma(alpha), y = r.gamma(beta);
      return a + (c - a) * (x / (x + y));
    }
    if (sigma <= 0) return a;
    return std::exp(mu + sigma * r.normal());
  }
};

}  // namespace jointreview::sim
