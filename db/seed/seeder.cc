#include "db/seed/seeder.h"

#include <array>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/pg/transaction.h"

namespace defifundr::db::seed {

using pg::Connection;

namespace {

constexpr absl::string_view kFirstNames[] = {
    "Ada",    "Chidi", "Emeka", "Fatima", "Grace", "Ibrahim", "Jide",   "Kemi",
    "Lola",   "Musa",  "Ngozi", "Olu",    "Segun", "Tolu",    "Uche",   "Yemi",
    "Zainab", "Amara", "Bola",  "Dayo",   "Efe",   "Funke",   "Hassan", "Ife",
    "Kunle",  "Maria", "Noah",  "Sofia",  "Lucas", "Emma",    "Liam",   "Mia"};
constexpr absl::string_view kLastNames[] = {
    "Adeyemi",  "Okafor",  "Balogun", "Eze",   "Ibrahim", "Mohammed",
    "Okonkwo",  "Adebayo", "Nwosu",   "Bello", "Afolabi", "Obi",
    "Garcia",   "Smith",   "Müller",  "Rossi", "Dubois",  "Silva",
    "Kowalski", "Tanaka",  "Mensah",  "Owusu", "Kamau",   "Diallo"};
constexpr absl::string_view kCountries[] = {
    "Nigeria",        "Ghana",   "Kenya",  "South Africa",
    "United Kingdom", "Germany", "Brazil", "India",
    "United States",  "Canada",  "France", "Portugal"};
constexpr absl::string_view kJobRoles[] = {
    "Software Engineer", "Product Designer", "Data Analyst", "Accountant",
    "Marketing Lead",    "Consultant",       "Writer",       "DevOps Engineer"};
constexpr absl::string_view kEmployment[] = {"full_time", "part_time",
                                             "contract", "freelance"};
constexpr absl::string_view kPersonalTypes[] = {"contractor", "freelancer",
                                                "employee"};
constexpr absl::string_view kGenders[] = {"female", "male", "non_binary"};
constexpr absl::string_view kLoginTypes[] = {"email", "google", "web3auth"};
constexpr absl::string_view kAgents[] = {
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) DefiFundr/2.3.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) DefiFundr/2.3.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124.0 Safari/537.36"};
constexpr absl::string_view kPlatforms[] = {"ios", "android", "web"};
constexpr absl::string_view kModels[] = {"iPhone 15", "Pixel 8", "Galaxy S24",
                                         "MacBook Pro", "ThinkPad X1"};
constexpr absl::string_view kKycTypes[] = {"passport", "national_id",
                                           "drivers_license", "bvn"};
constexpr absl::string_view kKycStatus[] = {"pending", "approved", "rejected"};
constexpr absl::string_view kPurposes[] = {
    "email_verification", "password_reset",  "phone_verification",
    "account_recovery",   "two_factor_auth", "login_confirmation"};
constexpr absl::string_view kTxStatus[] = {"created", "pending", "not_found",
                                           "failed", "confirmed"};

// The generator: std::mt19937_64 is fully specified by the standard, and
// every draw below maps its raw output by hand (the standard distributions
// may differ between library versions), so a seed means the same rows
// everywhere.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t Next() { return engine_(); }
  int Below(int n) {
    return static_cast<int>(Next() % static_cast<uint64_t>(n));
  }
  bool Chance(int percent) { return Below(100) < percent; }
  template <size_t N>
  absl::string_view Pick(const absl::string_view (&items)[N]) {
    return items[Below(static_cast<int>(N))];
  }
  std::string Uuid() {
    uint64_t hi = Next(), lo = Next();
    hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 1
    return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32,
                           (hi >> 16) & 0xFFFF, hi & 0xFFFF, lo >> 48,
                           lo & 0xFFFFFFFFFFFFULL);
  }
  std::string Hex(int chars) {
    std::string out;
    while (static_cast<int>(out.size()) < chars) {
      absl::StrAppendFormat(&out, "%016x", Next());
    }
    out.resize(chars);
    return out;
  }
  std::string Digits(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += static_cast<char>('0' + Below(10));
    return out;
  }

 private:
  std::mt19937_64 engine_;
};

// COPY text format: \N is NULL; backslash, tab, newline, CR are escaped.
std::string CopyValue(absl::string_view v) {
  std::string out;
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

class CopyBuffer {
 public:
  void Add(std::initializer_list<std::optional<std::string>> values) {
    bool first = true;
    for (const auto& v : values) {
      if (!first) data_ += '\t';
      first = false;
      data_ += v.has_value() ? CopyValue(*v) : "\\N";
    }
    data_ += '\n';
    ++rows_;
  }
  const std::string& data() const { return data_; }
  int64_t rows() const { return rows_; }

 private:
  std::string data_;
  int64_t rows_ = 0;
};

std::string Ts(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d %H:%M:%E6S+00", t, absl::UTCTimeZone());
}
std::string Bool(bool b) { return b ? "t" : "f"; }

absl::Status Copy(Connection& conn, absl::string_view copy_sql,
                  const CopyBuffer& buffer) {
  auto start = conn.Exec(copy_sql);
  if (!start.ok()) return start.status();
  if (absl::Status s = conn.PutCopyData(buffer.data()); !s.ok()) return s;
  return conn.EndCopy().status();
}

}  // namespace

absl::StatusOr<SeedCounts> Seed(pg::Connection& conn,
                                const SeedOptions& options, std::ostream* out) {
  Rng rng(options.seed);
  // A fixed epoch keeps the data deterministic; expiries reach far enough
  // ahead that part of the sessions, devices and OTPs are still active.
  const absl::Time base = absl::FromCivil(
      absl::CivilSecond(2025, 1, 1, 0, 0, 0), absl::UTCTimeZone());
  const absl::Time far = base + absl::Hours(24 * 365 * 3);
  CopyBuffer users, sessions, kyc, devices, otps, txs;

  for (int i = 0; i < options.users; ++i) {
    const std::string id = rng.Uuid();
    const std::string first(rng.Pick(kFirstNames));
    const std::string last(rng.Pick(kLastNames));
    const bool business = rng.Chance(30);
    const absl::Time created = base + absl::Seconds(rng.Below(300 * 86400));
    const absl::Time updated = created + absl::Seconds(rng.Below(30 * 86400));
    const std::string email = absl::StrCat(
        absl::AsciiStrToLower(first), ".", absl::AsciiStrToLower(last), i, "@",
        business ? "acme-corp.example" : "mail.example");
    users.Add({id, email,
               rng.Chance(85) ? std::optional<std::string>(absl::StrCat(
                                    "$argon2id$v=19$m=65536,t=3,p=2$",
                                    rng.Hex(22), "$", rng.Hex(43)))
                              : std::nullopt,
               rng.Chance(60) ? std::optional<std::string>(absl::StrCat(
                                    "https://cdn.defifundr.example/avatars/",
                                    rng.Hex(16), ".jpg"))
                              : std::nullopt,
               std::string(business ? "business" : "personal"),
               rng.Chance(70) ? std::optional<std::string>(rng.Pick(kGenders))
                              : std::nullopt,
               std::string(rng.Pick(kPersonalTypes)), first, last,
               std::string(rng.Pick(kCountries)),
               rng.Chance(80) ? std::optional<std::string>(rng.Pick(kCountries))
                              : std::nullopt,
               rng.Chance(75) ? std::optional<std::string>(rng.Pick(kJobRoles))
                              : std::nullopt,
               business ? std::optional<std::string>(absl::StrCat(
                              "https://", absl::AsciiStrToLower(last),
                              "-ventures.example"))
                        : std::nullopt,
               rng.Chance(75)
                   ? std::optional<std::string>(rng.Pick(kEmployment))
                   : std::nullopt,
               Ts(created), Ts(updated)});

    for (int s = rng.Below(4); s > 0; --s) {
      const absl::Time at = created + absl::Seconds(rng.Below(200 * 86400));
      const absl::Time expires = at + absl::Hours(24 * (7 + rng.Below(900)));
      const absl::string_view login = rng.Pick(kLoginTypes);
      const bool oauth = login == "google";
      sessions.Add(
          {rng.Uuid(), id, rng.Hex(64), std::string(rng.Pick(kAgents)),
           oauth ? std::optional<std::string>(
                       absl::StrCat(rng.Digits(12), ".apps.example"))
                 : std::nullopt,
           oauth ? std::optional<std::string>(rng.Hex(40)) : std::nullopt,
           oauth ? std::optional<std::string>(rng.Hex(60)) : std::nullopt,
           std::string(login), Bool(rng.Chance(20)),
           absl::StrCat("102.", rng.Below(256), ".", rng.Below(256), ".",
                        rng.Below(256)),
           Bool(rng.Chance(5)), Ts(std::min(expires, far)), Ts(at)});
    }
    if (rng.Chance(60)) {
      const absl::Time at = created + absl::Seconds(rng.Below(20 * 86400));
      const bool face = rng.Chance(80), identity = rng.Chance(85);
      kyc.Add(
          {rng.Uuid(), id, Bool(face), Bool(identity),
           std::string(rng.Pick(kKycTypes)), rng.Digits(11),
           std::string(face && identity ? "approved" : rng.Pick(kKycStatus)),
           Ts(at + absl::Seconds(rng.Below(86400))), Ts(at)});
    }
    for (int d = rng.Below(3); d > 0; --d) {
      const absl::Time at = created + absl::Seconds(rng.Below(100 * 86400));
      const absl::string_view platform = rng.Pick(kPlatforms);
      devices.Add({rng.Uuid(), id, rng.Hex(64), std::string(platform),
                   std::string(platform == "web" ? "desktop" : "phone"),
                   std::string(rng.Pick(kModels)),
                   std::string(platform == "ios"       ? "iOS"
                               : platform == "android" ? "Android"
                                                       : "macOS"),
                   absl::StrCat(14 + rng.Below(4), ".", rng.Below(5)),
                   rng.Chance(70) ? std::optional<std::string>(rng.Hex(152))
                                  : std::nullopt,
                   Bool(rng.Chance(90)), Bool(rng.Chance(60)),
                   Ts(at + absl::Seconds(rng.Below(60 * 86400))), Ts(at),
                   absl::StrCat("2.", rng.Below(5), ".", rng.Below(10)),
                   absl::StrCat("41.", rng.Below(256), ".", rng.Below(256), ".",
                                rng.Below(256)),
                   rng.Chance(30) ? std::optional<std::string>(
                                        Ts(at + absl::Hours(24 * 365)))
                                  : std::nullopt,
                   Bool(rng.Chance(5))});
    }
    // OTPs: a verified e-mail verification, and sometimes one pending OTP of
    // another purpose (at most one pending per user and purpose).
    {
      const absl::Time at = created + absl::Minutes(1);
      otps.Add({rng.Uuid(), id, rng.Digits(6), rng.Hex(64),
                std::string("email_verification"), email,
                absl::StrCat(1 + rng.Below(2)), "5", "t", Ts(at),
                Ts(at + absl::Minutes(10)), Ts(at + absl::Minutes(2)),
                absl::StrCat("41.", rng.Below(256), ".", rng.Below(256), ".",
                             rng.Below(256)),
                std::string(rng.Pick(kAgents)), std::nullopt});
      if (rng.Chance(25)) {
        const absl::Time p = created + absl::Seconds(rng.Below(300 * 86400));
        otps.Add({rng.Uuid(), id, rng.Digits(6), rng.Hex(64),
                  std::string(kPurposes[1 + rng.Below(5)]), email,
                  absl::StrCat(rng.Below(3)), "5", "f", Ts(p),
                  Ts(p + absl::Hours(24 * 730)), std::nullopt, std::nullopt,
                  std::string(rng.Pick(kAgents)), std::nullopt});
      }
    }
    for (int t = rng.Below(6); t > 0; --t) {
      const absl::Time at = created + absl::Seconds(rng.Below(250 * 86400));
      txs.Add({rng.Uuid(), id, absl::StrCat("0x", rng.Hex(64)),
               absl::StrCat("$2a$12$", rng.Hex(53)),
               std::string(rng.Pick(kTxStatus)), Ts(at),
               Ts(at + absl::Seconds(rng.Below(3600)))});
    }
  }

  const absl::Time start = absl::Now();
  auto tx =
      pg::Transaction::Begin(conn, pg::IsolationLevel::kReadCommitted, {});
  if (!tx.ok()) return tx.status();
  if (options.clean) {
    auto r = conn.Exec(
        "TRUNCATE users, sessions, kyc, user_device_tokens, "
        "otp_verifications, transactions");
    if (!r.ok()) return r.status();
  }
  struct Load {
    absl::string_view name, sql;
    const CopyBuffer& rows;
  };
  const Load loads[] = {
      {"users",
       "COPY users (id, email, password_hash, profile_picture, account_type, "
       "gender, personal_account_type, first_name, last_name, nationality, "
       "residential_country, job_role, company_website, employment_type, "
       "created_at, updated_at) FROM STDIN",
       users},
      {"sessions",
       "COPY sessions (id, user_id, refresh_token, user_agent, "
       "web_oauth_client_id, oauth_access_token, oauth_id_token, "
       "user_login_type, mfa_enabled, client_ip, is_blocked, expires_at, "
       "created_at) FROM STDIN",
       sessions},
      {"kyc",
       "COPY kyc (id, user_id, face_verification, identity_verification, "
       "verification_type, verification_number, verification_status, "
       "updated_at, created_at) FROM STDIN",
       kyc},
      {"user_device_tokens",
       "COPY user_device_tokens (id, user_id, device_token, platform, "
       "device_type, device_model, os_name, os_version, "
       "push_notification_token, is_active, is_verified, last_used_at, "
       "first_registered_at, app_version, client_ip, expires_at, is_revoked) "
       "FROM STDIN",
       devices},
      {"otp_verifications",
       "COPY otp_verifications (id, user_id, otp_code, hashed_otp, purpose, "
       "contact_method, attempts_made, max_attempts, is_verified, created_at, "
       "expires_at, verified_at, ip_address, user_agent, device_id) FROM STDIN",
       otps},
      {"transactions",
       "COPY transactions (id, user_id, tx_hash, transaction_pin_hash, status, "
       "created_at, updated_at) FROM STDIN",
       txs},
  };
  for (const Load& load : loads) {
    if (absl::Status s = Copy(conn, load.sql, load.rows); !s.ok()) return s;
    if (out != nullptr) {
      *out << "seed: " << load.name << ": " << load.rows.rows() << " rows\n";
    }
  }
  if (absl::Status s = tx->Commit({}); !s.ok()) return s;
  SeedCounts counts{users.rows(),   sessions.rows(), kyc.rows(),
                    devices.rows(), otps.rows(),     txs.rows()};
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  if (out != nullptr) {
    *out << absl::StrFormat("seed: %d rows in %.3f s (%.0f rows/s)\n",
                            counts.total(), secs,
                            secs > 0 ? counts.total() / secs : 0.0);
  }
  return counts;
}

}  // namespace defifundr::db::seed
