#include "db/seed/internal/generators.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace defifundr::db::seed::internal {
namespace {

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
constexpr absl::string_view kStreets[] = {
    "Allen Avenue", "Admiralty Way", "Ring Road",     "Oxford Street",
    "Moi Avenue",   "Long Street",   "Broad Street",  "Market Road"};
constexpr absl::string_view kCities[] = {"Lagos",   "Abuja",   "Accra",
                                         "Nairobi", "London",  "Cape Town",
                                         "Berlin",  "Toronto", "Kumasi"};
constexpr absl::string_view kAuthProviders[] = {"google", "google", "apple",
                                                "web3auth"};
constexpr absl::string_view kWalletTypes[] = {"embedded", "embedded",
                                              "external"};
constexpr absl::string_view kChains[] = {"ethereum", "base", "base",
                                         "polygon", "arbitrum"};
constexpr absl::string_view kEventTypes[] = {
    "login", "login", "login", "login", "logout", "password_change",
    "mfa_enabled", "failed_login"};
constexpr absl::string_view kReferralSources[] = {
    "twitter", "twitter", "linkedin", "friend", "newsletter", "conference"};
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

// The end of the window a user's activity falls in, [created, end]: now,
// or for a user created after now (an existing row), a day after that.
int64_t ActivityEnd(const Context& ctx, const UserRef& u) {
  return u.created < ctx.now ? ctx.now : u.created + kMicrosPerDay;
}

// Uniform in [lo, hi] microseconds, rounded to whole microseconds.
int64_t TimeBetween(Rng& rng, int64_t lo, int64_t hi) {
  return hi <= lo ? lo : lo + rng.Below(hi - lo + 1);
}


}  // namespace

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
  const bool has_password = rng.Chance(85);  // Others: Google or a wallet.
  if (has_password) {
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
  // The later columns, drawn after the earlier ones so that those stay as
  // they were. DefiFundr writes '' rather than NULL for the unknown ones.
  const bool has_phone = rng.Chance(70);
  scratch.clear();
  if (has_phone) {
    scratch = "+234";
    rng.Append(&scratch, 10, kDigits);
  }
  rows.Text(scratch);
  const bool phone_verified = has_phone && rng.Chance(60);
  rows.Bool(phone_verified);
  rows.OptTime(phone_verified,
               TimeBetween(rng, ref->created, std::max(ref->created, updated)));
  if (business) {
    rows.Text(absl::StrCat(last.display, " ",
                           absl::AsciiStrToUpper(word.substr(0, 1)),
                           word.substr(1)));
    rows.Text(absl::StrCat(1 + rng.Below(200), " ", rng.Pick(kStreets)));
    rows.Text(rng.Pick(kCities));
    scratch.clear();
    rng.Append(&scratch, 6, kDigits);
    rows.Text(scratch);
    rows.Text(nationality);
  } else {
    for (int i = 0; i < 5; ++i) rows.Text("");
  }
  if (rng.Chance(55)) {
    rows.Text(absl::StrCat(1 + rng.Below(300), " ", rng.Pick(kStreets)));
    rows.Text(rng.Pick(kCities));
    scratch.clear();
    rng.Append(&scratch, 6, kDigits);
    rows.Text(scratch);
  } else {
    for (int i = 0; i < 3; ++i) rows.Text("");
  }
  rows.Text(rng.Chance(50) ? rng.Pick(kEmployment) : "");
  if (has_password) {
    rows.Null();
    rows.Text("");
  } else {
    const absl::string_view provider = rng.Pick(kAuthProviders);
    rows.Text(provider);
    scratch.clear();
    rng.Append(&scratch, 21, kDigits);
    rows.Text(scratch);
  }
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
    rows.Time(at + rng.Below(kMicrosPerDay));  // last refreshed
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
  // Some verified a password reset or a phone number since: each purpose
  // at most once, as DefiFundr's schema before 20251201000001 required (so
  // that its Down can restore that constraint on seeded data).
  int last_purpose = 0;
  for (int n = static_cast<int>(rng.Below(3)); n > 0; --n) {
    int purpose = 1 + static_cast<int>(rng.Below(3));
    if (purpose == last_purpose) purpose = purpose % 3 + 1;
    last_purpose = purpose;
    otp(kPurposes[purpose], TimeBetween(rng, u.created, end), true);
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

// A user's wallets: none to three, the first the default; addresses
// unique (40 hex digits).
void GenerateWallets(const Context& ctx, const UserRef& u, Rows& rows,
                     std::string& scratch) {
  Rng rng(ctx.seed, kWallets, UuidKey(u.id));
  const int64_t end = ActivityEnd(ctx, u);
  const int n = rng.Chance(35) ? 0 : 1 + static_cast<int>(rng.Below(3));
  for (int i = 0; i < n; ++i) {
    const int64_t at = TimeBetween(rng, u.created, end);
    const Uuid id = rng.NewUuid();
    rows.Begin(kFieldCounts[kWallets], at, &id);
    rows.Id(id);
    rows.Id(u.id);
    scratch = "0x";
    AppendHex(rng, &scratch, 40);
    rows.Text(scratch);
    rows.Text(rng.Pick(kWalletTypes));
    rows.Text(rng.Pick(kChains));
    rows.Bool(i == 0);
    rows.Time(at);
    rows.Time(TimeBetween(rng, at, std::max(at, end)));
  }
}

// A user's security events: logins mostly, from the user's addresses.
void GenerateSecurityEvents(const Context& ctx, const UserRef& u, Rows& rows,
                            std::string& scratch) {
  Rng rng(ctx.seed, kSecurityEvents, UuidKey(u.id));
  const int64_t end = ActivityEnd(ctx, u);
  for (int n = static_cast<int>(rng.Below(9)); n > 0; --n) {
    const int64_t at = TimeBetween(rng, u.created, end);
    const Uuid id = rng.NewUuid();
    const absl::string_view type = rng.Pick(kEventTypes);
    rows.Begin(kFieldCounts[kSecurityEvents], at, &id);
    rows.Id(id);
    rows.Id(u.id);
    rows.Text(type);
    rows.Text(IpText(RandomIp(rng, 10)));
    rows.OptText(rng.Chance(90), rng.Pick(kAgents));
    if (type == "login" || type == "failed_login") {
      scratch = absl::StrCat("{\"method\": \"", rng.Pick(kLoginTypes),
                             "\", \"mfa\": ", rng.Chance(20) ? "true" : "false",
                             "}");
      rows.Jsonb(scratch);
    } else {
      rows.Null();
    }
    rows.Time(at);
  }
}

// The waitlist: most users signed up on it first (status registered, their
// own e-mail), and some of them referred someone still waiting or invited.
// Codes and the waiting entries' e-mails come from the user's id, so they
// are unique as the ids are.
void GenerateWaitlist(const Context& ctx, const UserRef& u, Rows& rows,
                      std::string& scratch) {
  Rng rng(ctx.seed, kWaitlist, UuidKey(u.id));
  std::string key;
  for (int i = 0; i < 8; ++i) absl::StrAppendFormat(&key, "%02x", u.id.b[i]);
  if (!rng.Chance(60)) return;
  const int64_t signup =
      u.created - (1 + rng.Below(60)) * kMicrosPerDay - rng.Below(kMicrosPerDay);
  const int64_t invited = TimeBetween(rng, signup, u.created);
  const Uuid id = rng.NewUuid();
  const std::string code = absl::StrCat("R", absl::AsciiStrToUpper(key));
  const bool has_source = rng.Chance(70);
  const absl::string_view source = rng.Pick(kReferralSources);
  rows.Begin(kFieldCounts[kWaitlist], signup, &id);
  rows.Id(id);
  rows.Text(u.email);
  rows.OptText(rng.Chance(80), u.email.substr(0, u.email.find('@')));
  rows.Text(code);
  rows.OptText(has_source, source);
  rows.Text("registered");
  rows.Time(signup);
  rows.Time(invited);
  rows.Time(u.created);
  scratch = absl::StrCat("{\"utm_campaign\": \"launch\", \"page\": ",
                         1 + rng.Below(4), "}");
  rows.Jsonb(scratch);
  rows.Time(signup);
  rows.Time(u.created);
  if (!rng.Chance(25)) return;
  // Someone this user referred, not (yet) a user.
  const int64_t later = TimeBetween(rng, u.created, ActivityEnd(ctx, u));
  const bool was_invited = rng.Chance(30);
  const Uuid referred = rng.NewUuid();
  rows.Begin(kFieldCounts[kWaitlist], later, &referred);
  rows.Id(referred);
  rows.Text(absl::StrCat("waitlist.", key, "@", rng.Pick(kPersonalDomains)));
  rows.Null();
  rows.Text(absl::StrCat("W", absl::AsciiStrToUpper(key)));
  rows.Text(code);
  rows.Text(was_invited ? "invited" : "waiting");
  rows.Time(later);
  rows.OptTime(was_invited, later + kMicrosPerDay);
  rows.Null();
  rows.Null();
  rows.Time(later);
  rows.Time(later);
}


}  // namespace defifundr::db::seed::internal
