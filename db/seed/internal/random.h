// Random numbers of the seeder: xoshiro256** seeded through SplitMix64,
// both fully specified, and every draw mapped by hand, so that a seed means
// the same rows with every compiler and library. Internal to db/seed.
#ifndef DEFIFUNDR_DB_SEED_INTERNAL_RANDOM_H_
#define DEFIFUNDR_DB_SEED_INTERNAL_RANDOM_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace defifundr::db::seed::internal {

// ---------------------------------------------------------------------------
// Random numbers: xoshiro256** seeded through SplitMix64, both fully
// specified, and every draw mapped by hand, so a seed means the same rows
// with every compiler and library.

inline uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

inline uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

struct Uuid {
  unsigned char b[16];
};

class Rng {
 public:
  // The stream of `table` for `key` (a user's index or id) under `seed`.
  Rng(uint64_t seed, uint64_t table, uint64_t key) {
    uint64_t x = seed;
    x = SplitMix(x) ^ (table + 1);
    x = SplitMix(x) ^ key;
    for (uint64_t& s : s_) s = SplitMix(x);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n) (the modulo bias is below 2^-40 for our n).
  int64_t Below(int64_t n) {
    return n <= 1 ? 0 : static_cast<int64_t>(Next() % static_cast<uint64_t>(n));
  }
  int64_t Between(int64_t lo, int64_t hi) { return lo + Below(hi - lo + 1); }
  bool Chance(int percent) { return Below(100) < percent; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(static_cast<int64_t>(N))];
  }
  Uuid NewUuid() {
    uint64_t hi = Next(), lo = Next();
    hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 1
    Uuid u;
    for (int i = 0; i < 8; ++i) {
      u.b[i] = static_cast<unsigned char>(hi >> (56 - 8 * i));
      u.b[8 + i] = static_cast<unsigned char>(lo >> (56 - 8 * i));
    }
    return u;
  }
  // `n` characters drawn from `alphabet` (at most 64 letters).
  void Append(std::string* out, int n, absl::string_view alphabet) {
    uint64_t bits = 0;
    int left = 0;
    for (int i = 0; i < n; ++i) {
      if (left < 6) {
        bits = Next();
        left = 64;
      }
      out->push_back(alphabet[(bits & 63) % alphabet.size()]);
      bits >>= 6;
      left -= 6;
    }
  }

 private:
  uint64_t s_[4];
};

inline constexpr absl::string_view kHex = "0123456789abcdef";
inline constexpr absl::string_view kDigits = "0123456789";
inline constexpr absl::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline constexpr absl::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
inline constexpr absl::string_view kBcrypt =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
inline constexpr absl::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
inline constexpr absl::string_view kLowerAlnum =
    "abcdefghijklmnopqrstuvwxyz0123456789";

// Uniform draws from a 16-letter alphabet use 4 bits, so hex is exact.
inline void AppendHex(Rng& rng, std::string* out, int n) {
  for (int i = 0; i < n; i += 16) {
    uint64_t v = rng.Next();
    for (int j = 0; j < 16 && i + j < n; ++j, v >>= 4) {
      out->push_back(kHex[v & 15]);
    }
  }
}

inline uint64_t UuidKey(const Uuid& u) {
  uint64_t k = 0;
  for (int i = 0; i < 16; ++i) k = (k << 8 | u.b[i]) ^ (k >> 56) * 31;
  return k;
}

inline std::optional<Uuid> ParseUuid(absl::string_view text) {
  Uuid u;
  int n = 0;
  int hi = -1;
  for (char c : text) {
    if (c == '-') continue;
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (hi < 0) {
      hi = v;
    } else {
      if (n >= 16) return std::nullopt;
      u.b[n++] = static_cast<unsigned char>(hi << 4 | v);
      hi = -1;
    }
  }
  if (n != 16) return std::nullopt;
  return u;
}


}  // namespace defifundr::db::seed::internal

#endif  // DEFIFUNDR_DB_SEED_INTERNAL_RANDOM_H_
