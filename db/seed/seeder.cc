#include "db/seed/seeder.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/pg/result.h"
#include "db/pg/transaction.h"

namespace defifundr::db::seed {

using pg::Connection;

namespace {

// ---------------------------------------------------------------------------
// Tables.

enum Table : int {
  kUsers,
  kSessions,
  kKyc,
  kDevices,
  kOtps,
  kTransactions,
  kTableCount
};

constexpr absl::string_view kTableNames[kTableCount] = {
    "users",       "sessions", "kyc", "user_device_tokens", "otp_verifications",
    "transactions"};

// The COPY column lists; the generators below write exactly these fields.
constexpr absl::string_view kColumns[kTableCount] = {
    "id, email, password_hash, profile_picture, account_type, gender, "
    "personal_account_type, first_name, last_name, nationality, "
    "residential_country, job_role, company_website, employment_type, "
    "created_at, updated_at",
    "id, user_id, refresh_token, user_agent, web_oauth_client_id, "
    "oauth_access_token, oauth_id_token, user_login_type, mfa_enabled, "
    "client_ip, is_blocked, expires_at, created_at",
    "id, user_id, face_verification, identity_verification, "
    "verification_type, verification_number, verification_status, "
    "updated_at, created_at",
    "id, user_id, device_token, platform, device_type, device_model, os_name, "
    "os_version, push_notification_token, is_active, is_verified, "
    "last_used_at, first_registered_at, app_version, client_ip, expires_at, "
    "is_revoked",
    "id, user_id, otp_code, hashed_otp, purpose, contact_method, "
    "attempts_made, max_attempts, is_verified, created_at, expires_at, "
    "verified_at, ip_address, user_agent, device_id",
    "id, user_id, tx_hash, transaction_pin_hash, status, created_at, "
    "updated_at"};

constexpr int16_t kFieldCounts[kTableCount] = {16, 13, 9, 17, 15, 7};

// ---------------------------------------------------------------------------
// Random numbers: xoshiro256** seeded through SplitMix64, both fully
// specified, and every draw mapped by hand, so a seed means the same rows
// with every compiler and library.

uint64_t SplitMix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

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

constexpr absl::string_view kHex = "0123456789abcdef";
constexpr absl::string_view kDigits = "0123456789";
constexpr absl::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr absl::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr absl::string_view kBcrypt =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
constexpr absl::string_view kUpper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr absl::string_view kLowerAlnum =
    "abcdefghijklmnopqrstuvwxyz0123456789";

// Uniform draws from a 16-letter alphabet use 4 bits, so hex is exact.
void AppendHex(Rng& rng, std::string* out, int n) {
  for (int i = 0; i < n; i += 16) {
    uint64_t v = rng.Next();
    for (int j = 0; j < 16 && i + j < n; ++j, v >>= 4) {
      out->push_back(kHex[v & 15]);
    }
  }
}

uint64_t UuidKey(const Uuid& u) {
  uint64_t k = 0;
  for (int i = 0; i < 16; ++i) k = (k << 8 | u.b[i]) ^ (k >> 56) * 31;
  return k;
}

std::optional<Uuid> ParseUuid(absl::string_view text) {
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

// ---------------------------------------------------------------------------
// Binary COPY rows (PostgreSQL's "binary" COPY format: per row an int16
// field count, per field an int32 length, -1 for NULL, then the bytes in
// the type's send format; all integers big-endian).

constexpr char kCopyHeader[] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
constexpr size_t kCopyHeaderSize = 19;  // Signature, flags, extension size.
constexpr char kCopyTrailer[] = "\377\377";

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerDay = 86400 * kMicrosPerSecond;
// 2000-01-01T00:00:00Z, PostgreSQL's timestamp epoch, in Unix microseconds.
constexpr int64_t kPgEpochUnixMicros = 946684800LL * kMicrosPerSecond;

struct Ip {
  bool v6 = false;
  unsigned char b[16] = {};
};

class Rows {
 public:
  // Starts a row. `time` and `id` are its position in the order rows are
  // sent in by AppendSorted (for child tables: the order of their
  // (user_id, <time>, id) index, so that index builds from presorted input).
  void Begin(int16_t fields, int64_t time = 0, const Uuid* id = nullptr) {
    marks_.push_back({data_.size(), time, id != nullptr ? *id : Uuid{}});
    Put16(fields);
    ++rows_;
  }
  void Null() { Put32(-1); }
  void Text(absl::string_view s) {
    Put32(static_cast<int32_t>(s.size()));
    data_.append(s.data(), s.size());
  }
  void OptText(bool present, absl::string_view s) {
    present ? Text(s) : Null();
  }
  void Id(const Uuid& u) {
    Put32(16);
    data_.append(reinterpret_cast<const char*>(u.b), 16);
  }
  void Bool(bool b) {
    Put32(1);
    data_.push_back(b ? 1 : 0);
  }
  void Int4(int32_t v) {
    Put32(4);
    Put32(v);
  }
  // A timestamptz given in Unix microseconds.
  void Time(int64_t unix_micros) {
    Put32(8);
    Put64(unix_micros - kPgEpochUnixMicros);
  }
  void OptTime(bool present, int64_t unix_micros) {
    present ? Time(unix_micros) : Null();
  }
  void Inet(const Ip& ip) {
    const int n = ip.v6 ? 16 : 4;
    Put32(4 + n);
    data_.push_back(ip.v6 ? 3 : 2);  // PGSQL_AF_INET6 / PGSQL_AF_INET
    data_.push_back(static_cast<char>(ip.v6 ? 128 : 32));
    data_.push_back(0);  // not cidr
    data_.push_back(static_cast<char>(n));
    data_.append(reinterpret_cast<const char*>(ip.b), n);
  }

  std::string& data() { return data_; }
  int64_t rows() const { return rows_; }
  void Reset() {
    data_.clear();
    marks_.clear();
    rows_ = 0;
  }
  // Appends this buffer's rows to `out` ordered by (time, id), then resets.
  void AppendSortedTo(Rows& out) {
    std::vector<size_t> order(marks_.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (marks_[a].time != marks_[b].time) {
        return marks_[a].time < marks_[b].time;
      }
      return std::memcmp(marks_[a].id.b, marks_[b].id.b, 16) < 0;
    });
    for (size_t i : order) {
      const size_t begin = marks_[i].offset;
      const size_t end =
          i + 1 < marks_.size() ? marks_[i + 1].offset : data_.size();
      out.data_.append(data_, begin, end - begin);
    }
    out.rows_ += rows_;
    Reset();
  }

 private:
  void Put16(int16_t v) {
    data_.push_back(static_cast<char>(v >> 8));
    data_.push_back(static_cast<char>(v));
  }
  void Put32(int32_t v) {
    const uint32_t u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                 static_cast<char>(u >> 8), static_cast<char>(u)};
    data_.append(b, 4);
  }
  void Put64(int64_t v) {
    Put32(static_cast<int32_t>(static_cast<uint64_t>(v) >> 32));
    Put32(static_cast<int32_t>(static_cast<uint64_t>(v) & 0xFFFFFFFFu));
  }

  struct Mark {
    size_t offset;
    int64_t time;
    Uuid id;
  };
  std::string data_;
  std::vector<Mark> marks_;
  int64_t rows_ = 0;
};

// ---------------------------------------------------------------------------
// Vocabulary.

struct LastName {
  absl::string_view display, slug;
};
struct Country {
  absl::string_view name;
  int weight;
};

constexpr absl::string_view kFirstNames[] = {
    "Ada",    "Chidi",    "Emeka",  "Fatima", "Grace",  "Ibrahim", "Jide",
    "Kemi",   "Lola",     "Musa",   "Ngozi",  "Olu",    "Segun",   "Tolu",
    "Uche",   "Yemi",     "Zainab", "Amara",  "Bola",   "Dayo",    "Efe",
    "Funke",  "Hassan",   "Ife",    "Kunle",  "Maria",  "Noah",    "Sofia",
    "Lucas",  "Emma",     "Liam",   "Mia",    "Kwame",  "Akosua",  "Wanjiru",
    "Otieno", "Thandiwe", "Sipho",  "Priya",  "Arjun",  "Chen",    "Aiko",
    "Mateo",  "Camila",   "Omar",   "Leila",  "Daniel", "Sarah"};
constexpr LastName kLastNames[] = {
    {"Adeyemi", "adeyemi"},   {"Okafor", "okafor"},
    {"Balogun", "balogun"},   {"Eze", "eze"},
    {"Ibrahim", "ibrahim"},   {"Mohammed", "mohammed"},
    {"Okonkwo", "okonkwo"},   {"Adebayo", "adebayo"},
    {"Nwosu", "nwosu"},       {"Bello", "bello"},
    {"Afolabi", "afolabi"},   {"Obi", "obi"},
    {"Garcia", "garcia"},     {"Smith", "smith"},
    {"Müller", "mueller"},    {"Rossi", "rossi"},
    {"Dubois", "dubois"},     {"Silva", "silva"},
    {"Kowalski", "kowalski"}, {"Tanaka", "tanaka"},
    {"Mensah", "mensah"},     {"Owusu", "owusu"},
    {"Kamau", "kamau"},       {"Diallo", "diallo"},
    {"Nkosi", "nkosi"},       {"Patel", "patel"},
    {"O'Brien", "obrien"},    {"Van der Berg", "vanderberg"}};
constexpr Country kCountries[] = {
    {"Nigeria", 40},       {"Ghana", 10},  {"Kenya", 8},  {"South Africa", 6},
    {"United Kingdom", 8}, {"Germany", 4}, {"Brazil", 3}, {"India", 5},
    {"United States", 8},  {"Canada", 3},  {"France", 2}, {"Portugal", 2},
    {"Egypt", 1}};
constexpr absl::string_view kJobRoles[] = {
    "Software Engineer", "Product Designer",         "Data Analyst",
    "Accountant",        "Marketing Lead",           "Consultant",
    "Technical Writer",  "DevOps Engineer",          "Product Manager",
    "Customer Success",  "Smart Contract Developer", "HR Manager"};
constexpr absl::string_view kEmployment[] = {"full_time", "part_time",
                                             "contract", "freelance"};
constexpr absl::string_view kPersonalTypes[] = {"contractor", "freelancer",
                                                "employee"};
constexpr absl::string_view kGenders[] = {"female", "male", "female", "male",
                                          "non_binary"};
constexpr absl::string_view kPersonalDomains[] = {
    "mail.example", "inbox.example", "post.example", "webmail.example"};
constexpr absl::string_view kCompanyWords[] = {
    "ventures", "labs", "studio", "consulting", "digital", "holdings"};
constexpr absl::string_view kAgents[] = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) DefiFundr/2.3.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) DefiFundr/2.3.0",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) DefiFundr/2.2.7",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
    "like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"};
constexpr absl::string_view kLoginTypes[] = {"email", "email", "google",
                                             "web3auth"};
constexpr absl::string_view kKycTypes[] = {"passport", "national_id",
                                           "drivers_license", "bvn", "nin"};
constexpr absl::string_view kPurposes[] = {
    "email_verification", "password_reset",  "phone_verification",
    "account_recovery",   "two_factor_auth", "login_confirmation"};

struct DeviceKind {
  absl::string_view platform, type, model, os;
  int os_major_min, os_major_max;
};
constexpr DeviceKind kDeviceKinds[] = {
    {"ios", "phone", "iPhone 15", "iOS", 16, 17},
    {"ios", "phone", "iPhone 13", "iOS", 15, 17},
    {"ios", "tablet", "iPad Air", "iPadOS", 16, 17},
    {"android", "phone", "Pixel 8", "Android", 13, 14},
    {"android", "phone", "Galaxy S24", "Android", 13, 14},
    {"android", "phone", "Tecno Camon 20", "Android", 12, 13},
    {"android", "phone", "Infinix Note 30", "Android", 12, 13},
    {"web", "desktop", "Chrome on macOS", "macOS", 13, 14},
    {"web", "desktop", "Edge on Windows", "Windows", 10, 11}};

// Public address blocks of the countries above (first two octets).
constexpr unsigned char kIpPrefixes[][2] = {
    {102, 89}, {105, 112}, {197, 210}, {41, 58}, {154, 160},
    {41, 90},  {196, 201}, {81, 2},    {86, 14}, {92, 40},
    {73, 162}, {24, 48},   {177, 37},  {49, 36}};

template <size_t N>
absl::string_view PickCountry(Rng& rng, const Country (&items)[N]) {
  int total = 0;
  for (const Country& c : items) total += c.weight;
  int64_t r = rng.Below(total);
  for (const Country& c : items) {
    if (r < c.weight) return c.name;
    r -= c.weight;
  }
  return items[0].name;
}

Ip RandomIp(Rng& rng, int v6_percent) {
  Ip ip;
  if (rng.Chance(v6_percent)) {
    ip.v6 = true;
    const uint64_t a = rng.Next(), b = rng.Next();
    ip.b[0] = 0x2c;  // 2c0f::/16: AfriNIC
    ip.b[1] = 0x0f;
    for (int i = 2; i < 8; ++i)
      ip.b[i] = static_cast<unsigned char>(a >> (8 * i));
    for (int i = 8; i < 16; ++i)
      ip.b[i] = static_cast<unsigned char>(b >> (8 * (i - 8)));
    return ip;
  }
  const auto& p = rng.Pick(kIpPrefixes);
  ip.b[0] = p[0];
  ip.b[1] = p[1];
  ip.b[2] = static_cast<unsigned char>(rng.Below(256));
  ip.b[3] = static_cast<unsigned char>(1 + rng.Below(254));
  return ip;
}

std::string IpText(const Ip& ip) {
  if (!ip.v6)
    return absl::StrFormat("%d.%d.%d.%d", ip.b[0], ip.b[1], ip.b[2], ip.b[3]);
  std::string out;
  for (int i = 0; i < 16; i += 2) {
    if (i > 0) out.push_back(':');
    absl::StrAppendFormat(&out, "%x", ip.b[i] << 8 | ip.b[i + 1]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Generators. A user is what the other tables' rows need of it.

struct UserRef {
  Uuid id;
  std::string email;
  int64_t created = 0;  // Unix microseconds.
};

struct Context {
  uint64_t seed;
  int64_t now;      // Unix microseconds.
  int64_t tx_days;  // Days of transaction history.
  std::string tag;  // Seed-specific part of e-mail addresses.
};

// The end of the window a user's activity falls in, [created, end]: now,
// or for a user created after now (an existing row), a day after that.
int64_t ActivityEnd(const Context& ctx, const UserRef& u) {
  return u.created < ctx.now ? ctx.now : u.created + kMicrosPerDay;
}

// Uniform in [lo, hi] microseconds, rounded to whole microseconds.
int64_t TimeBetween(Rng& rng, int64_t lo, int64_t hi) {
  return hi <= lo ? lo : lo + rng.Below(hi - lo + 1);
}

void GenerateUser(const Context& ctx, int index, Rows& rows, UserRef* ref,
                  std::string& scratch) {
  Rng rng(ctx.seed, kUsers, static_cast<uint64_t>(index));
  ref->id = rng.NewUuid();
  const absl::string_view first = rng.Pick(kFirstNames);
  const LastName& last = rng.Pick(kLastNames);
  const bool business = rng.Chance(30);
  const absl::string_view word = rng.Pick(kCompanyWords);
  ref->created =
      ctx.now - kMicrosPerSecond * 3600 - rng.Below(365 * kMicrosPerDay);
  const int64_t updated = TimeBetween(
      rng, ref->created, std::min(ctx.now, ref->created + 30 * kMicrosPerDay));
  ref->email = absl::StrCat(absl::AsciiStrToLower(first), ".", last.slug, ".",
                            ctx.tag, index + 1, "@");
  if (business) {
    absl::StrAppend(&ref->email, last.slug, "-", word, ".example");
  } else {
    absl::StrAppend(&ref->email, rng.Pick(kPersonalDomains));
  }

  rows.Begin(kFieldCounts[kUsers]);
  rows.Id(ref->id);
  rows.Text(ref->email);
  if (rng.Chance(85)) {  // Others signed up with Google or a wallet.
    scratch = "$argon2id$v=19$m=65536,t=3,p=4$";
    rng.Append(&scratch, 22, kBase64);
    scratch.push_back('$');
    rng.Append(&scratch, 43, kBase64);
    rows.Text(scratch);
  } else {
    rows.Null();
  }
  if (rng.Chance(60)) {
    scratch = "https://cdn.defifundr.example/avatars/";
    AppendHex(rng, &scratch, 32);
    scratch += ".jpg";
    rows.Text(scratch);
  } else {
    rows.Null();
  }
  rows.Text(business ? "business" : "personal");
  const bool has_gender = rng.Chance(70);
  const absl::string_view gender = rng.Pick(kGenders);
  rows.OptText(has_gender, gender);
  rows.Text(rng.Pick(kPersonalTypes));
  rows.Text(first);
  rows.Text(last.display);
  const absl::string_view nationality = PickCountry(rng, kCountries);
  rows.Text(nationality);
  // Most live where they are from.
  const bool has_residence = rng.Chance(80);
  const absl::string_view residence =
      rng.Chance(75) ? nationality : PickCountry(rng, kCountries);
  rows.OptText(has_residence, residence);
  const bool has_role = rng.Chance(75);
  rows.OptText(has_role, rng.Pick(kJobRoles));
  if (business) {
    scratch = absl::StrCat("https://www.", last.slug, "-", word, ".example");
    rows.Text(scratch);
  } else {
    rows.Null();
  }
  const bool has_employment = rng.Chance(75);
  rows.OptText(has_employment, rng.Pick(kEmployment));
  rows.Time(ref->created);
  rows.Time(updated);
}

void GenerateSessions(const Context& ctx, const UserRef& u, Rows& rows,
                      std::string& scratch) {
  Rng rng(ctx.seed, kSessions, UuidKey(u.id));
  const int64_t end = ActivityEnd(ctx, u);
  for (int n = static_cast<int>(rng.Below(4)); n > 0; --n) {
    const int64_t at = TimeBetween(rng, u.created, end);
    const absl::string_view login = rng.Pick(kLoginTypes);
    const bool oauth = login == "google";
    const Uuid id = rng.NewUuid();
    rows.Begin(kFieldCounts[kSessions], at, &id);
    rows.Id(id);
    rows.Id(u.id);
    scratch = "v2.local.";  // A PASETO refresh token.
    rng.Append(&scratch, 120, kBase64Url);
    rows.Text(scratch);
    rows.Text(rng.Pick(kAgents));
    if (oauth) {
      scratch.clear();
      rng.Append(&scratch, 12, kDigits);
      scratch.push_back('-');
      rng.Append(&scratch, 32, kLowerAlnum);
      scratch += ".apps.googleusercontent.com";
      rows.Text(scratch);
      scratch = "ya29.";
      rng.Append(&scratch, 100, kBase64Url);
      rows.Text(scratch);
      scratch = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.";
      rng.Append(&scratch, 160, kBase64Url);
      scratch.push_back('.');
      rng.Append(&scratch, 86, kBase64Url);
      rows.Text(scratch);
    } else {
      rows.Null();
      rows.Null();
      rows.Null();
    }
    rows.Text(login);
    rows.Bool(rng.Chance(20));
    rows.Text(IpText(RandomIp(rng, 10)));
    rows.Bool(rng.Chance(3));
    rows.Time(at + (7 + rng.Below(24)) * kMicrosPerDay);  // refresh lifetime
    rows.Time(at);
  }
}

void GenerateKyc(const Context& ctx, const UserRef& u, Rows& rows,
                 std::string& scratch) {
  Rng rng(ctx.seed, kKyc, UuidKey(u.id));
  if (!rng.Chance(60)) return;
  const int64_t at = TimeBetween(
      rng, u.created,
      std::min(ActivityEnd(ctx, u), u.created + 20 * kMicrosPerDay));
  const bool face = rng.Chance(85), identity = rng.Chance(88);
  const absl::string_view type = rng.Pick(kKycTypes);
  const Uuid id = rng.NewUuid();
  rows.Begin(kFieldCounts[kKyc], at, &id);
  rows.Id(id);
  rows.Id(u.id);
  rows.Bool(face);
  rows.Bool(identity);
  rows.Text(type);
  scratch.clear();
  if (type == "passport") {
    rng.Append(&scratch, 1, kUpper);
    rng.Append(&scratch, 8, kDigits);
  } else if (type == "drivers_license") {
    rng.Append(&scratch, 3, kUpper);
    rng.Append(&scratch, 5, kDigits);
    rng.Append(&scratch, 2, kUpper);
    rng.Append(&scratch, 2, kDigits);
  } else if (type == "bvn") {
    scratch = "22";
    rng.Append(&scratch, 9, kDigits);
  } else {
    rng.Append(&scratch, 11, kDigits);
  }
  rows.Text(scratch);
  rows.Text(face && identity ? "approved"
            : rng.Chance(50) ? "pending"
                             : "rejected");
  rows.Time(at + rng.Below(3 * 86400) * kMicrosPerSecond);
  rows.Time(at);
}

// A user's devices: the count and ids are the stream's first draws, so the
// OTP generator can name them without drawing the rest.
int DeviceIds(Rng& rng, Uuid ids[2]) {
  const int n = rng.Chance(8) ? 0 : 1 + static_cast<int>(rng.Below(3)) / 2;
  for (int i = 0; i < n; ++i) ids[i] = rng.NewUuid();
  return n;
}

void GenerateDevices(const Context& ctx, const UserRef& u, Rows& rows,
                     std::string& scratch) {
  Rng rng(ctx.seed, kDevices, UuidKey(u.id));
  Uuid ids[2];
  const int n = DeviceIds(rng, ids);
  const int64_t end = ActivityEnd(ctx, u);
  for (int i = 0; i < n; ++i) {
    const DeviceKind& kind = rng.Pick(kDeviceKinds);
    const int64_t registered = TimeBetween(rng, u.created, end);
    const bool revoked = rng.Chance(5);
    rows.Begin(kFieldCounts[kDevices], registered, &ids[i]);
    rows.Id(ids[i]);
    rows.Id(u.id);
    scratch.clear();
    if (kind.platform == "ios") {  // An APNs token.
      AppendHex(rng, &scratch, 64);
    } else {  // An FCM registration token or a web push key.
      rng.Append(&scratch, 22, kBase64Url);
      scratch += ":APA91b";
      rng.Append(&scratch, 134, kBase64Url);
    }
    rows.Text(scratch);
    rows.Text(kind.platform);
    rows.Text(kind.type);
    rows.Text(kind.model);
    rows.Text(kind.os);
    rows.Text(absl::StrCat(rng.Between(kind.os_major_min, kind.os_major_max),
                           ".", rng.Below(6)));
    if (rng.Chance(70)) {
      rows.Text(scratch);  // Push goes to the same token.
    } else {
      rows.Null();
    }
    rows.Bool(!revoked && rng.Chance(92));
    rows.Bool(rng.Chance(65));
    const bool used = rng.Chance(90);
    rows.OptTime(used, TimeBetween(rng, registered, end));
    rows.Time(registered);
    rows.Text(absl::StrCat("2.", rng.Below(4), ".", rng.Below(10)));
    rows.Text(IpText(RandomIp(rng, 10)));
    const bool expires = rng.Chance(30);
    rows.OptTime(expires, registered + 365 * kMicrosPerDay);
    rows.Bool(revoked);
  }
}

void GenerateOtps(const Context& ctx, const UserRef& u, Rows& rows,
                  std::string& scratch) {
  Uuid devices[2];
  int device_count;
  {
    Rng device_rng(ctx.seed, kDevices, UuidKey(u.id));
    device_count = DeviceIds(device_rng, devices);
  }
  Rng rng(ctx.seed, kOtps, UuidKey(u.id));
  const int64_t end = ActivityEnd(ctx, u);
  auto otp = [&](absl::string_view purpose, int64_t at, bool verified) {
    const int max_attempts = rng.Chance(80) ? 5 : 3;
    const int attempts = verified
                             ? 1 + static_cast<int>(rng.Below(2))
                             : static_cast<int>(rng.Below(max_attempts + 1));
    const Uuid id = rng.NewUuid();
    rows.Begin(kFieldCounts[kOtps], at, &id);
    rows.Id(id);
    rows.Id(u.id);
    scratch.clear();
    rng.Append(&scratch, 6, kDigits);
    rows.Text(scratch);
    scratch = "$2a$10$";  // bcrypt of the code
    rng.Append(&scratch, 53, kBcrypt);
    rows.Text(scratch);
    rows.Text(purpose);
    if (purpose == "phone_verification") {
      scratch = "+234";
      scratch.push_back(rng.Chance(50) ? '8' : '7');
      scratch.push_back(rng.Chance(50) ? '0' : '1');
      rng.Append(&scratch, 8, kDigits);
      rows.Text(scratch);
    } else {
      rows.Text(u.email);
    }
    rows.Int4(attempts);
    rows.Int4(max_attempts);
    rows.Bool(verified);
    rows.Time(at);
    rows.Time(at + 10 * 60 * kMicrosPerSecond);
    rows.OptTime(verified, at + (20 + rng.Below(280)) * kMicrosPerSecond);
    const bool has_ip = rng.Chance(90);
    const Ip ip = RandomIp(rng, 10);
    if (has_ip) {
      rows.Inet(ip);
    } else {
      rows.Null();
    }
    rows.Text(rng.Pick(kAgents));
    if (device_count > 0 && rng.Chance(60)) {
      rows.Id(devices[rng.Below(device_count)]);
    } else {
      rows.Null();
    }
  };
  // Every user verified their e-mail address right after signing up.
  otp("email_verification", u.created + 30 * kMicrosPerSecond, true);
  // Some verified a password reset or a phone number since.
  for (int n = static_cast<int>(rng.Below(3)); n > 0; --n) {
    otp(kPurposes[1 + rng.Below(3)], TimeBetween(rng, u.created, end), true);
  }
  // And a quarter have one OTP pending (at most one per purpose).
  if (rng.Chance(25)) {
    otp(kPurposes[1 + rng.Below(5)],
        TimeBetween(rng, std::max(u.created, end - kMicrosPerDay), end), false);
  }
}

void GenerateTransactions(const Context& ctx, const UserRef& u, Rows& rows,
                          std::string& scratch) {
  Rng rng(ctx.seed, kTransactions, UuidKey(u.id));
  const int64_t end = ActivityEnd(ctx, u);
  const int64_t start = std::max(u.created, end - ctx.tx_days * kMicrosPerDay);
  if (end <= start) return;
  // Some users transact weekly, some daily: 0.02 to 0.32 a day.
  constexpr int kActivityPerMille[] = {20, 40, 80, 80, 160, 320};
  const int64_t days_x1000 = (end - start) / (kMicrosPerDay / 1000);
  const int64_t expected =
      days_x1000 * rng.Pick(kActivityPerMille) / (1000 * 1000);
  for (int64_t n = rng.Below(2 * expected + 2); n > 0; --n) {
    const int64_t at = TimeBetween(rng, start, end);
    const int64_t pick = rng.Below(100);
    const absl::string_view status = pick < 80   ? "confirmed"
                                     : pick < 88 ? "pending"
                                     : pick < 94 ? "failed"
                                     : pick < 98 ? "created"
                                                 : "not_found";
    const Uuid id = rng.NewUuid();
    rows.Begin(kFieldCounts[kTransactions], at, &id);
    rows.Id(id);
    rows.Id(u.id);
    scratch = "0x";
    AppendHex(rng, &scratch, 64);
    rows.Text(scratch);
    scratch = "$2a$12$";  // bcrypt of the PIN
    rng.Append(&scratch, 53, kBcrypt);
    rows.Text(scratch);
    rows.Text(status);
    rows.Time(at);
    rows.Time(at + (status == "created" ? 0 : rng.Between(12, 900)) *
                       kMicrosPerSecond);
  }
}

// ---------------------------------------------------------------------------
// The generator thread hands COPY data to the loading thread in chunks.

constexpr size_t kChunkBytes = 1 << 20;
constexpr size_t kMaxQueuedChunks = 8;

struct Chunk {
  int table = 0;
  std::string data;
  int64_t rows = 0;
  int64_t users_done = 0;  // Users whose rows of `table` are generated.
  bool last = false;       // The table's last chunk.
};

class ChunkQueue {
 public:
  // False if cancelled.
  bool Push(Chunk chunk) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](ChunkQueue* q) {
          return q->cancelled_ || q->chunks_.size() < kMaxQueuedChunks;
        },
        this));
    if (cancelled_) return false;
    chunks_.push_back(std::move(chunk));
    return true;
  }
  Chunk Pop() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](std::deque<Chunk>* c) { return !c->empty(); }, &chunks_));
    Chunk c = std::move(chunks_.front());
    chunks_.pop_front();
    return c;
  }
  void Cancel() {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
  }

 private:
  absl::Mutex mu_;
  std::deque<Chunk> chunks_ ABSL_GUARDED_BY(mu_);
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
};

// Generates the tables of `load` in order into `queue`. When users is among
// them, fills `users` (sorted by id) first; otherwise `users` holds the
// table's rows, sorted by id. Rows go out in the order of the tables'
// indexes where that is free: users by id, the others by user and time.
void Produce(const Context& ctx, const std::vector<int>& load, int user_count,
             std::vector<UserRef>* users, ChunkQueue* queue) {
  Rows rows, staging;
  std::string scratch;
  std::vector<int> order;  // Users' indexes in id order.
  for (const int table : load) {
    if (table == kUsers) {
      users->resize(user_count);
      for (int i = 0; i < user_count; ++i) {
        GenerateUser(ctx, i, staging, &(*users)[i], scratch);
        staging.Reset();
      }
      order.resize(user_count);
      for (int i = 0; i < user_count; ++i) order[i] = i;
      std::sort(order.begin(), order.end(), [&](int a, int b) {
        return std::memcmp((*users)[a].id.b, (*users)[b].id.b, 16) < 0;
      });
      std::vector<UserRef> sorted(user_count);
      for (int i = 0; i < user_count; ++i) {
        sorted[i] = std::move((*users)[order[i]]);
      }
      *users = std::move(sorted);
    }
    const int64_t n = static_cast<int64_t>(users->size());
    for (int64_t i = 0; i < n; ++i) {
      const UserRef& u = (*users)[i];
      switch (table) {
        case kUsers: {
          UserRef again;
          GenerateUser(ctx, order[i], rows, &again, scratch);
          break;
        }
        case kSessions:
          GenerateSessions(ctx, u, staging, scratch);
          break;
        case kKyc:
          GenerateKyc(ctx, u, staging, scratch);
          break;
        case kDevices:
          GenerateDevices(ctx, u, staging, scratch);
          break;
        case kOtps:
          GenerateOtps(ctx, u, staging, scratch);
          break;
        case kTransactions:
          GenerateTransactions(ctx, u, staging, scratch);
          break;
      }
      if (table != kUsers) staging.AppendSortedTo(rows);
      if (rows.data().size() >= kChunkBytes && i + 1 < n) {
        if (!queue->Push(
                {table, std::move(rows.data()), rows.rows(), i + 1, false})) {
          return;
        }
        rows.Reset();
      }
    }
    if (!queue->Push({table, std::move(rows.data()), rows.rows(), n, true})) {
      return;
    }
    rows.Reset();
  }
}

// ---------------------------------------------------------------------------
// Dropping and re-creating indexes and constraints around the load.

struct SavedIndex {
  std::string table;       // Qualified as regclass prints it.
  std::string name;        // Index name (== constraint name for keys).
  std::string definition;  // CREATE INDEX ... or the constraint's definition.
  bool is_constraint = false;
  std::optional<std::string> comment;
  bool clustered = false;
  bool replica_identity = false;
};

struct SavedForeignKey {
  std::string table, name, definition;
  std::optional<std::string> comment;
};

struct SavedSchema {
  std::vector<SavedIndex> indexes;
  std::vector<SavedForeignKey> foreign_keys;
};

std::string Quote(absl::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string Literal(absl::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

absl::Status Run(Connection& conn, absl::string_view sql) {
  return conn.Exec(sql).status();
}

absl::StatusOr<SavedSchema> DropIndexes(Connection& conn,
                                        const std::vector<int>& load) {
  std::vector<std::string> names;
  for (int t : load) names.push_back(std::string(kTableNames[t]));
  const std::vector<pg::Param> params = {
      absl::StrCat("{", absl::StrJoin(names, ","), "}")};
  SavedSchema saved;
  auto fks = conn.ExecParams(
      "SELECT c.conrelid::regclass::text, c.conname, "
      "pg_get_constraintdef(c.oid), obj_description(c.oid, 'pg_constraint') "
      "FROM pg_constraint c WHERE c.contype = 'f' AND "
      "(c.conrelid = ANY($1::regclass[]) OR c.confrelid = ANY($1::regclass[])) "
      "ORDER BY 1, 2",
      params);
  if (!fks.ok()) return fks.status();
  for (int i = 0; i < fks->rows(); ++i) {
    pg::Row r = fks->row(i);
    saved.foreign_keys.push_back(
        {std::string(r.Text(0)), std::string(r.Text(1)), std::string(r.Text(2)),
         r.IsNull(3) ? std::nullopt
                     : std::optional<std::string>(std::string(r.Text(3)))});
  }
  auto indexes = conn.ExecParams(
      "SELECT i.indrelid::regclass::text, ci.relname, "
      " coalesce(pg_get_constraintdef(c.oid), pg_get_indexdef(i.indexrelid)), "
      " c.oid IS NOT NULL, "
      " CASE WHEN c.oid IS NULL THEN obj_description(i.indexrelid, 'pg_class') "
      "  ELSE obj_description(c.oid, 'pg_constraint') END, "
      " i.indisclustered, i.indisreplident "
      "FROM pg_index i JOIN pg_class ci ON ci.oid = i.indexrelid "
      "LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
      " AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x') "
      "WHERE i.indrelid = ANY($1::regclass[]) ORDER BY 1, 2",
      params);
  if (!indexes.ok()) return indexes.status();
  for (int i = 0; i < indexes->rows(); ++i) {
    pg::Row r = indexes->row(i);
    SavedIndex index;
    index.table = std::string(r.Text(0));
    index.name = std::string(r.Text(1));
    index.definition = std::string(r.Text(2));
    index.is_constraint = r.Text(3) == "t";
    if (!r.IsNull(4)) index.comment = std::string(r.Text(4));
    index.clustered = r.Text(5) == "t";
    index.replica_identity = r.Text(6) == "t";
    saved.indexes.push_back(std::move(index));
  }
  for (const SavedForeignKey& fk : saved.foreign_keys) {
    if (absl::Status s =
            Run(conn, absl::StrCat("ALTER TABLE ", fk.table,
                                   " DROP CONSTRAINT ", Quote(fk.name)));
        !s.ok()) {
      return s;
    }
  }
  for (const SavedIndex& index : saved.indexes) {
    const std::string sql =
        index.is_constraint
            ? absl::StrCat("ALTER TABLE ", index.table, " DROP CONSTRAINT ",
                           Quote(index.name))
            : absl::StrCat("DROP INDEX ", Quote(index.name));
    if (absl::Status s = Run(conn, sql); !s.ok()) return s;
  }
  return saved;
}

// Re-creates what DropIndexes dropped; names each one that takes a second
// or more on `progress`.
absl::Status RestoreIndexes(
    Connection& conn, const SavedSchema& saved,
    absl::FunctionRef<void(absl::string_view)> progress) {
  auto timed = [&](absl::string_view name,
                   const std::string& sql) -> absl::Status {
    const absl::Time start = absl::Now();
    absl::Status s = Run(conn, sql);
    const absl::Duration took = absl::Now() - start;
    if (s.ok() && took >= absl::Seconds(1)) {
      progress(absl::StrFormat("seed: re-created %s (%.1f s)", name,
                               absl::ToDoubleSeconds(took)));
    }
    return s;
  };
  for (const SavedIndex& index : saved.indexes) {
    const std::string sql =
        index.is_constraint
            ? absl::StrCat("ALTER TABLE ", index.table, " ADD CONSTRAINT ",
                           Quote(index.name), " ", index.definition)
            : index.definition;
    if (absl::Status s = timed(index.name, sql); !s.ok()) return s;
    if (index.comment.has_value()) {
      const std::string comment =
          index.is_constraint
              ? absl::StrCat("COMMENT ON CONSTRAINT ", Quote(index.name),
                             " ON ", index.table, " IS ",
                             Literal(*index.comment))
              : absl::StrCat("COMMENT ON INDEX ", Quote(index.name), " IS ",
                             Literal(*index.comment));
      if (absl::Status s = Run(conn, comment); !s.ok()) return s;
    }
    if (index.clustered) {
      if (absl::Status s =
              Run(conn, absl::StrCat("ALTER TABLE ", index.table,
                                     " CLUSTER ON ", Quote(index.name)));
          !s.ok()) {
        return s;
      }
    }
    if (index.replica_identity) {
      if (absl::Status s =
              Run(conn, absl::StrCat("ALTER TABLE ", index.table,
                                     " REPLICA IDENTITY USING INDEX ",
                                     Quote(index.name)));
          !s.ok()) {
        return s;
      }
    }
  }
  for (const SavedForeignKey& fk : saved.foreign_keys) {
    if (absl::Status s = timed(
            fk.name, absl::StrCat("ALTER TABLE ", fk.table, " ADD CONSTRAINT ",
                                  Quote(fk.name), " ", fk.definition));
        !s.ok()) {
      return s;
    }
    if (fk.comment.has_value()) {
      if (absl::Status s =
              Run(conn,
                  absl::StrCat("COMMENT ON CONSTRAINT ", Quote(fk.name), " ON ",
                               fk.table, " IS ", Literal(*fk.comment)));
          !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------

absl::StatusOr<std::vector<int>> TableSet(const std::vector<std::string>& names,
                                          absl::string_view flag) {
  std::vector<int> out;
  for (const std::string& raw : names) {
    const std::string name(absl::StripAsciiWhitespace(raw));
    if (name.empty()) continue;
    const auto* it = std::find(std::begin(kTableNames), std::end(kTableNames),
                               absl::string_view(name));
    if (it == std::end(kTableNames)) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": unknown table `", name,
                       "` (tables: ", absl::StrJoin(kTableNames, ", "), ")"));
    }
    out.push_back(static_cast<int>(it - std::begin(kTableNames)));
  }
  return out;
}

bool Contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

std::string Names(const std::vector<int>& tables) {
  std::vector<absl::string_view> names;
  for (int t : tables) names.push_back(kTableNames[t]);
  return absl::StrJoin(names, ", ");
}

std::string SeedTag(uint64_t seed) {
  uint64_t x = seed;
  uint64_t h = SplitMix(x);
  std::string tag;
  for (int i = 0; i < 3; ++i, h /= 36) tag.push_back(kLowerAlnum[h % 36]);
  return tag;
}

absl::StatusOr<std::vector<UserRef>> ReadUsers(Connection& conn) {
  auto r =
      conn.Exec("SELECT id::text, email, created_at FROM users ORDER BY id");
  if (!r.ok()) return r.status();
  std::vector<UserRef> users;
  users.reserve(r->rows());
  for (int i = 0; i < r->rows(); ++i) {
    pg::Row row = r->row(i);
    auto created = row.Get<absl::Time>(2);
    if (!created.ok()) return created.status();
    std::optional<Uuid> id = ParseUuid(row.Text(0));
    if (!id.has_value()) {
      return absl::InternalError(
          absl::StrCat("users.id does not parse as a UUID: ", row.Text(0)));
    }
    users.push_back(
        {*id, std::string(row.Text(1)), absl::ToUnixMicros(*created)});
  }
  return users;
}

}  // namespace

absl::StatusOr<SeedSize> ParseSeedSize(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  if (lower == "small") return SeedSize::kSmall;
  if (lower == "medium") return SeedSize::kMedium;
  if (lower == "large") return SeedSize::kLarge;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown seed size `", name, "` (want small, medium or large)"));
}

SizeProfile ProfileOf(SeedSize size) {
  switch (size) {
    case SeedSize::kSmall:
      return {300, 30};
    case SeedSize::kMedium:
      return {10000, 90};
    case SeedSize::kLarge:
      return {100000, 180};
  }
  return {300, 30};
}

std::span<const absl::string_view> SeedTables() { return kTableNames; }

absl::Time SeedNow() {
  return absl::FromCivil(absl::CivilSecond(2025, 12, 1, 0, 0, 0),
                         absl::UTCTimeZone());
}

absl::StatusOr<SeedCounts> Seed(pg::Connection& conn,
                                const SeedOptions& options, std::ostream* out) {
  const absl::Time start = absl::Now();
  auto print = [&](absl::string_view line) {
    if (out != nullptr) *out << line << "\n" << std::flush;
  };
  if (options.users < 0 || options.tx_days < 0) {
    return absl::InvalidArgumentError(
        "the user count and --tx_days must not be negative");
  }
  auto selected = TableSet(options.tables, "--tables");
  if (!selected.ok()) return selected.status();
  auto preserved = TableSet(options.preserve, "--preserve");
  if (!preserved.ok()) return preserved.status();
  std::vector<int> load;
  for (int t = 0; t < kTableCount; ++t) {
    if ((selected->empty() || Contains(*selected, t)) &&
        !Contains(*preserved, t)) {
      load.push_back(t);
    }
  }
  if (load.empty()) {
    return absl::InvalidArgumentError(
        "no table left to seed: every selected table is preserved");
  }
  const bool load_users = Contains(load, kUsers);
  std::vector<int> clean;
  if (options.clean) {
    clean = load;
    if (load_users) {
      // Emptying users empties what references it.
      for (int t = kSessions; t < kTableCount; ++t) {
        if (Contains(*preserved, t)) {
          return absl::InvalidArgumentError(absl::StrCat(
              "cannot empty users while preserving ", kTableNames[t],
              " (its rows reference users): preserve users too, or seed with "
              "--clean=false"));
        }
        if (!Contains(clean, t)) clean.push_back(t);
      }
      std::sort(clean.begin(), clean.end());
    }
  }

  const SizeProfile profile = ProfileOf(options.size);
  Context ctx;
  ctx.seed = options.seed;
  ctx.now = absl::ToUnixMicros(SeedNow());
  ctx.tx_days = options.tx_days > 0 ? options.tx_days : profile.tx_days;
  ctx.tag = SeedTag(options.seed);
  const int user_count = options.users > 0 ? options.users : profile.users;

  auto tx =
      pg::Transaction::Begin(conn, pg::IsolationLevel::kReadCommitted, {});
  if (!tx.ok()) return tx.status();
  if (!clean.empty()) {
    std::vector<int> extra;
    for (int t : clean) {
      if (!Contains(load, t)) extra.push_back(t);
    }
    if (!extra.empty()) {
      print(absl::StrCat("seed: emptying ", Names(extra),
                         " too (their rows reference users)"));
    }
    if (absl::Status s = Run(conn, absl::StrCat("TRUNCATE ", Names(clean)));
        !s.ok()) {
      return s;
    }
  }
  std::vector<UserRef> users;
  if (!load_users) {
    auto existing = ReadUsers(conn);
    if (!existing.ok()) return existing.status();
    users = *std::move(existing);
    if (users.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "users is empty: the rows of ", Names(load),
          " belong to users; seed users too (add it to --tables or take it "
          "out of --preserve)"));
    }
    print(absl::StrCat("seed: attaching rows to the ", users.size(),
                       " users in the table"));
  } else {
    users.reserve(user_count);
  }
  const int64_t owners =
      load_users ? user_count : static_cast<int64_t>(users.size());
  const bool rebuild = options.index_mode == IndexMode::kRebuild ||
                       (options.index_mode == IndexMode::kAuto &&
                        options.clean && owners >= kRebuildMinUsers);
  SavedSchema saved;
  if (rebuild) {
    auto dropped = DropIndexes(conn, load);
    if (!dropped.ok()) return dropped.status();
    saved = *std::move(dropped);
  }

  ChunkQueue queue;
  std::thread producer([&] { Produce(ctx, load, user_count, &users, &queue); });
  absl::Cleanup stop = [&] {
    queue.Cancel();
    producer.join();
  };
  int64_t counts[kTableCount] = {};
  for (const int table : load) {
    const absl::Time table_start = absl::Now();
    absl::Time last_report = table_start;
    const std::string copy =
        absl::StrCat("COPY ", kTableNames[table], " (", kColumns[table],
                     ") FROM STDIN WITH (FORMAT binary",
                     Contains(clean, table) ? ", FREEZE" : "", ")");
    if (auto r = conn.Exec(copy); !r.ok()) return r.status();
    absl::Status status =
        conn.PutCopyData(absl::string_view(kCopyHeader, kCopyHeaderSize));
    while (true) {
      Chunk chunk = queue.Pop();
      if (status.ok()) status = conn.PutCopyData(chunk.data);
      counts[table] += chunk.rows;
      if (chunk.last) break;
      const absl::Time now = absl::Now();
      if (now - last_report >= options.progress_interval) {
        last_report = now;
        print(absl::StrFormat("seed: %s: %d rows, %d%% of users done (%.1f s)",
                              kTableNames[table], counts[table],
                              static_cast<int>(100 * chunk.users_done /
                                               std::max<int64_t>(1, owners)),
                              absl::ToDoubleSeconds(now - table_start)));
      }
    }
    if (status.ok())
      status = conn.PutCopyData(absl::string_view(kCopyTrailer, 2));
    auto end = conn.EndCopy();
    if (!status.ok()) return status;
    if (!end.ok()) return end.status();
    print(absl::StrFormat("seed: %s: %d rows (%.1f s)", kTableNames[table],
                          counts[table],
                          absl::ToDoubleSeconds(absl::Now() - table_start)));
  }
  std::move(stop).Invoke();
  if (rebuild) {
    const absl::Time rebuild_start = absl::Now();
    if (absl::Status s = Run(conn, "SET LOCAL maintenance_work_mem = '1GB'");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = RestoreIndexes(conn, saved, print); !s.ok()) {
      return s;
    }
    print(absl::StrFormat(
        "seed: re-created %d indexes and %d foreign keys (%.1f s)",
        saved.indexes.size(), saved.foreign_keys.size(),
        absl::ToDoubleSeconds(absl::Now() - rebuild_start)));
  }
  if (absl::Status s = tx->Commit({}); !s.ok()) return s;

  SeedCounts result;
  result.users = counts[kUsers];
  result.sessions = counts[kSessions];
  result.kyc = counts[kKyc];
  result.devices = counts[kDevices];
  result.otps = counts[kOtps];
  result.transactions = counts[kTransactions];
  result.elapsed = absl::Now() - start;
  const double secs = absl::ToDoubleSeconds(result.elapsed);
  print(absl::StrFormat("seed: %d rows in %.3f s (%.0f rows/s)", result.total(),
                        secs, secs > 0 ? result.total() / secs : 0.0));
  return result;
}

}  // namespace defifundr::db::seed
