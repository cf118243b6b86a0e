// The seeder against a real server: determinism, --tables, --preserve,
// --clean=false, --tx_days, realistic and related values, the index rebuild
// leaving the schema as it was, and the CLI's flags.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "db/seed/seeder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
namespace seed = db::seed;

// Each table's rows, in id order, hashed: equal fingerprints mean equal
// contents.
std::map<std::string, std::string> Fingerprints(
    const testing::TestDatabase& db) {
  std::map<std::string, std::string> out;
  for (absl::string_view table : seed::SeedTables()) {
    out[std::string(table)] = db.Scalar(absl::StrCat(
        "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' "
        "ORDER BY t.id)), '') FROM ",
        table, " t"));
  }
  return out;
}

std::string Count(const testing::TestDatabase& db, absl::string_view table) {
  return db.Scalar(absl::StrCat("SELECT count(*) FROM ", table));
}

seed::SeedOptions Small(uint64_t seed_value = 7) {
  seed::SeedOptions options;
  options.users = 120;
  options.seed = seed_value;
  return options;
}

class SeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    conn_ = db_->Connect();
    ASSERT_NE(conn_, nullptr);
  }
  absl::StatusOr<seed::SeedCounts> Seed(const seed::SeedOptions& options) {
    out_.str("");
    return seed::Seed(*conn_, options, &out_);
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<db::pg::Connection> conn_;
  std::ostringstream out_;
};

TEST_F(SeedTest, SameSeedTwiceGivesIdenticalTables) {
  auto counts = Seed(Small());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->users, 120);
  EXPECT_GT(counts->sessions, 0);
  EXPECT_GT(counts->kyc, 0);
  EXPECT_GT(counts->devices, 0);
  EXPECT_GE(counts->otps, 120);
  EXPECT_GT(counts->transactions, 0);
  EXPECT_GT(counts->wallets, 0);
  EXPECT_GT(counts->security_events, 0);
  EXPECT_GT(counts->waitlist, 0);
  EXPECT_EQ(Count(*db_, "waitlist"), std::to_string(counts->waitlist));
  // Every user's later columns are filled as DefiFundr fills them: never
  // NULL where DefiFundr writes '' (provider_id is NOT NULL).
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM users WHERE company_name IS NULL "
                        "OR user_city IS NULL OR phone_number IS NULL"),
            "0");
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM users WHERE (auth_provider IS "
                        "NULL) <> (password_hash IS NOT NULL)"),
            "0");
  // Registered waitlist entries are users; the referred ones name a code.
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM waitlist w WHERE status = "
                        "'registered' AND NOT EXISTS (SELECT 1 FROM users u "
                        "WHERE u.email = w.email)"),
            "0");
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM waitlist w WHERE status <> "
                        "'registered' AND NOT EXISTS (SELECT 1 FROM waitlist "
                        "r WHERE r.referral_code = w.referral_source)"),
            "0");
  const auto first = Fingerprints(*db_);
  EXPECT_EQ(first.at("users").substr(0, 4), "120:");

  auto again = Seed(Small());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(Fingerprints(*db_), first);
  EXPECT_EQ(again->total(), counts->total());

  // On another database, loading with the indexes dropped and re-created.
  auto other = testing::TestDatabase::Create();
  ASSERT_TRUE(other.ok()) << other.status();
  auto other_conn = (*other)->Connect();
  seed::SeedOptions rebuild = Small();
  rebuild.index_mode = seed::IndexMode::kRebuild;
  ASSERT_TRUE(seed::Seed(*other_conn, rebuild, nullptr).ok());
  EXPECT_EQ(Fingerprints(**other), first);

  // Another seed, other rows.
  ASSERT_TRUE(Seed(Small(8)).ok());
  const auto eight = Fingerprints(*db_);
  for (const auto& [table, fingerprint] : eight) {
    EXPECT_NE(fingerprint, first.at(table)) << table;
  }
}

TEST_F(SeedTest, TablesLoadsOnlyThoseAndTheSameRows) {
  ASSERT_TRUE(Seed(Small()).ok());
  const auto full = Fingerprints(*db_);
  db_->Exec("DELETE FROM sessions");
  db_->Exec("DELETE FROM transactions");
  seed::SeedOptions options = Small();
  options.tables = {"sessions", " kyc"};
  ASSERT_TRUE(Seed(options).ok()) << out_.str();
  const auto now = Fingerprints(*db_);
  EXPECT_EQ(now.at("sessions"), full.at("sessions"));
  EXPECT_EQ(now.at("kyc"), full.at("kyc"));
  EXPECT_EQ(now.at("users"), full.at("users"));
  EXPECT_EQ(now.at("otp_verifications"), full.at("otp_verifications"));
  EXPECT_EQ(Count(*db_, "transactions"), "0");  // Not selected: untouched.
  EXPECT_THAT(out_.str(), HasSubstr("seed: attaching rows to the 120 users"));
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("seed: users:")));
}

TEST_F(SeedTest, TablesUsersAloneEmptiesWhatReferencesIt) {
  ASSERT_TRUE(Seed(Small()).ok());
  seed::SeedOptions options = Small();
  options.tables = {"users"};
  ASSERT_TRUE(Seed(options).ok());
  EXPECT_EQ(Count(*db_, "users"), "120");
  EXPECT_EQ(Count(*db_, "sessions"), "0");
  EXPECT_EQ(Count(*db_, "transactions"), "0");
  EXPECT_THAT(out_.str(),
              HasSubstr("seed: emptying sessions, kyc, user_device_tokens, "
                        "otp_verifications, transactions, user_wallets, "
                        "security_events too"));
}

// A table a newer migration added, with a foreign key to users (and one
// referencing it in turn), does not stop the seeder: it is emptied with the
// tables it references, and named.
TEST_F(SeedTest, ATableBeyondOursThatReferencesUsersIsEmptiedAndNamed) {
  ASSERT_TRUE(Seed(Small()).ok());
  db_->Exec(
      "CREATE TABLE referrals (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
      "user_id uuid NOT NULL REFERENCES users(id), code text)");
  db_->Exec(
      "CREATE TABLE referral_rewards (referral_id uuid NOT NULL REFERENCES "
      "referrals(id), amount int)");
  db_->Exec("INSERT INTO referrals (user_id, code) SELECT id, 'r' FROM users");
  db_->Exec("INSERT INTO referral_rewards SELECT id, 5 FROM referrals");
  out_.str("");
  auto counts = Seed(Small());
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(Count(*db_, "users"), "120");
  EXPECT_EQ(Count(*db_, "referrals"), "0");
  EXPECT_EQ(Count(*db_, "referral_rewards"), "0");
  EXPECT_THAT(out_.str(),
              HasSubstr("seed: emptying referral_rewards, referrals too (not "
                        "the seeder's tables"));
}

TEST_F(SeedTest, PreserveKeepsRowsAndAttachesToExistingUsers) {
  db_->Exec(
      "INSERT INTO users (id, email, account_type, personal_account_type, "
      "first_name, last_name, nationality, created_at) VALUES "
      "('0b6f1d2e-4a5b-4c6d-8e7f-8091a2b3c4d5', 'kept@defifundr.example', "
      "'personal', 'employee', 'Kept', 'User', 'Ghana', "
      "'2025-06-01 00:00:00+00')");
  seed::SeedOptions options = Small();
  options.preserve = {"users"};
  ASSERT_TRUE(Seed(options).ok()) << out_.str();
  EXPECT_EQ(Count(*db_, "users"), "1");
  EXPECT_EQ(db_->Scalar("SELECT email FROM users"), "kept@defifundr.example");
  // Every other table's rows belong to the kept user.
  for (absl::string_view table :
       {"sessions", "otp_verifications", "user_device_tokens"}) {
    EXPECT_EQ(db_->Scalar(absl::StrCat(
                  "SELECT count(*) FROM ", table,
                  " WHERE user_id <> '0b6f1d2e-4a5b-4c6d-8e7f-8091a2b3c4d5'")),
              "0")
        << table;
  }
  EXPECT_EQ(db_->Scalar("SELECT contact_method FROM otp_verifications WHERE "
                        "purpose = 'email_verification'"),
            "kept@defifundr.example");
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM sessions WHERE created_at < "
                        "'2025-06-01 00:00:00+00'"),
            "0");
}

TEST_F(SeedTest, RowsDependOnTheUserNotOnWhatElseIsLoaded) {
  ASSERT_TRUE(Seed(Small()).ok());
  const auto full = Fingerprints(*db_);
  // Regenerate every other table for the users now in the table.
  seed::SeedOptions options = Small();
  options.preserve = {"users"};
  ASSERT_TRUE(Seed(options).ok());
  EXPECT_EQ(Fingerprints(*db_), full);
}

TEST_F(SeedTest, CleanFalseAddsRows) {
  ASSERT_TRUE(Seed(Small()).ok());
  seed::SeedOptions options = Small(9);
  options.clean = false;
  auto counts = Seed(options);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(Count(*db_, "users"), "240");
  // The same seed again would repeat the rows: refused, nothing written.
  const auto before = Fingerprints(*db_);
  absl::StatusOr<seed::SeedCounts> dup = Seed(options);
  EXPECT_EQ(dup.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(Fingerprints(*db_), before);
}

TEST_F(SeedTest, TxDaysBoundsTheTransactionHistory) {
  seed::SeedOptions options = Small();
  options.tx_days = 7;
  ASSERT_TRUE(Seed(options).ok());
  EXPECT_NE(Count(*db_, "transactions"), "0");
  EXPECT_EQ(db_->Scalar(absl::StrCat(
                "SELECT count(*) FROM transactions WHERE created_at < "
                "timestamptz '2025-12-01 00:00:00+00' - interval '7 days' OR "
                "created_at > timestamptz '2025-12-01 00:00:00+00'")),
            "0");
  // A longer history has more transactions per user.
  seed::SeedOptions longer = Small();
  longer.tx_days = 120;
  auto counts = Seed(longer);
  ASSERT_TRUE(counts.ok());
  EXPECT_GT(counts->transactions, 3 * std::stoll(Count(*db_, "users")) / 2);
}

TEST_F(SeedTest, ValuesAreRealisticAndRelated) {
  ASSERT_TRUE(Seed(Small()).ok());
  const auto zero = [&](absl::string_view what, const std::string& sql) {
    EXPECT_EQ(db_->Scalar(absl::StrCat("SELECT count(*) FROM ", sql)), "0")
        << what;
  };
  zero("e-mail shape",
       "users WHERE email !~ '^[a-z]+\\.[a-z]+\\.[a-z0-9]{3}[0-9]+@[a-z.-]+"
       "\\.example$'");
  zero("business users have a website",
       "users WHERE (account_type = 'business') <> (company_website IS NOT "
       "NULL)");
  zero("password hashes", "users WHERE password_hash !~ '^\\$argon2id\\$'");
  zero("created before the data's now",
       "users WHERE created_at >= '2025-12-01' OR created_at < '2024-11-30' "
       "OR updated_at < created_at");
  zero("sessions after their user signed up",
       "sessions s JOIN users u ON u.id = s.user_id WHERE s.created_at < "
       "u.created_at OR s.expires_at <= s.created_at");
  zero("google sessions carry OAuth tokens",
       "sessions WHERE (user_login_type = 'google') <> (oauth_id_token IS NOT "
       "NULL)");
  zero("approved KYC has both checks",
       "kyc WHERE verification_status = 'approved' AND NOT "
       "(face_verification AND identity_verification)");
  zero("one KYC record per user at most",
       "(SELECT user_id FROM kyc GROUP BY 1 HAVING count(*) > 1) d");
  zero("every user verified an e-mail address",
       "users u WHERE NOT EXISTS (SELECT 1 FROM otp_verifications o WHERE "
       "o.user_id = u.id AND o.purpose = 'email_verification' AND "
       "o.is_verified AND o.contact_method = u.email)");
  zero("OTP devices are the user's",
       "otp_verifications o WHERE device_id IS NOT NULL AND NOT EXISTS "
       "(SELECT 1 FROM user_device_tokens d WHERE d.id = o.device_id AND "
       "d.user_id = o.user_id)");
  zero("OTPs expire ten minutes after they are sent",
       "otp_verifications WHERE expires_at <> created_at + interval '10 "
       "minutes' OR (verified_at IS NOT NULL) <> is_verified");
  zero("transaction hashes",
       "transactions WHERE tx_hash !~ '^0x[0-9a-f]{64}$' OR "
       "transaction_pin_hash !~ '^\\$2a\\$12\\$[./A-Za-z0-9]{53}$'");
  zero("revoked devices are inactive",
       "user_device_tokens WHERE is_revoked AND is_active");
  EXPECT_EQ(db_->Scalar("SELECT count(DISTINCT status) FROM transactions"),
            "5");
  EXPECT_GT(
      std::stoi(db_->Scalar("SELECT count(*) FROM transactions WHERE status = "
                            "'confirmed'")) *
          2,
      std::stoi(Count(*db_, "transactions")));
}

TEST_F(SeedTest, RebuildLeavesTheSchemaAsItWas) {
  // Marks a rebuild must carry over, beyond names and definitions.
  db_->Exec("COMMENT ON INDEX transactions_created_at_id_idx IS 'by time'");
  db_->Exec(
      "COMMENT ON CONSTRAINT transactions_user_id_fkey ON transactions "
      "IS 'owner'");
  db_->Exec("COMMENT ON CONSTRAINT users_pkey ON users IS 'the key'");
  db_->Exec("ALTER TABLE transactions CLUSTER ON transactions_pkey");
  db_->Exec("ALTER TABLE users REPLICA IDENTITY USING INDEX users_pkey");
  const std::string shape =
      "SELECT string_agg(x, E'\\n' ORDER BY x) FROM ("
      " SELECT conrelid::regclass || ' ' || conname || ' ' ||"
      "  pg_get_constraintdef(oid) || ' ' || convalidated || ' ' ||"
      "  coalesce(obj_description(oid, 'pg_constraint'), '') AS x"
      " FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
      " UNION ALL SELECT pg_get_indexdef(i.indexrelid) || ' ' ||"
      "  i.indisclustered || ' ' || i.indisreplident || ' ' ||"
      "  coalesce(obj_description(i.indexrelid, 'pg_class'), '')"
      " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
      " WHERE c.relnamespace = 'public'::regnamespace) s";
  const std::string before = db_->Scalar(shape);
  seed::SeedOptions options = Small();
  options.index_mode = seed::IndexMode::kRebuild;
  ASSERT_TRUE(Seed(options).ok()) << out_.str();
  EXPECT_THAT(out_.str(), HasSubstr("seed: re-created "));
  EXPECT_EQ(db_->Scalar(shape), before);
  // The foreign keys were checked again and hold.
  EXPECT_EQ(db_->Scalar("SELECT bool_and(convalidated) FROM pg_constraint "
                        "WHERE contype = 'f' AND connamespace = "
                        "'public'::regnamespace"),
            "t");
}

TEST_F(SeedTest, ProgressLinesWhileLoading) {
  seed::SeedOptions options = Small();
  options.progress_interval = absl::ZeroDuration();
  options.users = 3000;
  ASSERT_TRUE(Seed(options).ok());
  EXPECT_THAT(out_.str(), HasSubstr("% of users done ("));
  EXPECT_THAT(out_.str(), HasSubstr("seed: users: 3000 rows ("));
  EXPECT_THAT(out_.str(), HasSubstr(" rows/s)\n"));
}

TEST_F(SeedTest, SizeGivesTheUserCount) {
  seed::SeedOptions options;
  options.size = seed::SeedSize::kSmall;
  auto counts = Seed(options);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->users, seed::ProfileOf(seed::SeedSize::kSmall).users);
}

TEST_F(SeedTest, InvalidOptionsAreRefusedBeforeAnythingChanges) {
  ASSERT_TRUE(Seed(Small()).ok());
  const auto before = Fingerprints(*db_);
  auto code = [&](const seed::SeedOptions& o) {
    return Seed(o).status().code();
  };
  seed::SeedOptions o = Small();
  o.tables = {"users", "wallets"};
  EXPECT_EQ(code(o), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.preserve = {"wallets"};
  EXPECT_EQ(code(o), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.users = -1;
  EXPECT_EQ(code(o), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.tx_days = -1;
  EXPECT_EQ(code(o), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.tables = {"users"};
  o.preserve = {"users"};
  EXPECT_EQ(code(o), absl::StatusCode::kInvalidArgument);
  o = Small();
  o.preserve = {"sessions"};  // Emptying users would take them with it.
  EXPECT_EQ(code(o), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fingerprints(*db_), before);
}

TEST_F(SeedTest, OtherTablesNeedUsers) {
  seed::SeedOptions o = Small();
  o.tables = {"sessions"};
  absl::StatusOr<seed::SeedCounts> counts = Seed(o);
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(counts.status().message()), HasSubstr("users"));
}

TEST(SeedForeignSchemaTest, UsersWhoseIdsAreNotUuidsAreInternal) {
  // Not our schema: a users table keyed by text.
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  (*db)->Exec(
      "CREATE TABLE users (id text PRIMARY KEY, email text, created_at "
      "timestamptz); INSERT INTO users VALUES ('u-1', 'a@b.example', now())");
  auto conn = (*db)->Connect();
  seed::SeedOptions options = Small();
  options.tables = {"sessions"};
  options.clean = false;
  absl::StatusOr<seed::SeedCounts> counts = seed::Seed(*conn, options, nullptr);
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(counts.status().message()), HasSubstr("u-1"));
}

TEST(SeedSizeTest, ParsesTheThreeSizes) {
  EXPECT_EQ(*seed::ParseSeedSize("small"), seed::SeedSize::kSmall);
  EXPECT_EQ(*seed::ParseSeedSize("Medium"), seed::SeedSize::kMedium);
  EXPECT_EQ(*seed::ParseSeedSize("LARGE"), seed::SeedSize::kLarge);
  EXPECT_EQ(seed::ParseSeedSize("huge").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(seed::ProfileOf(seed::SeedSize::kSmall).users, 300);
  EXPECT_EQ(seed::ProfileOf(seed::SeedSize::kMedium).users, 10000);
  EXPECT_EQ(seed::ProfileOf(seed::SeedSize::kLarge).users, 100000);
  EXPECT_EQ(seed::ProfileOf(seed::SeedSize::kLarge).tx_days, 180);
}

// --- The CLI -------------------------------------------------------------

int RunCli(const std::vector<std::string>& args, const std::string& url,
           std::string* output) {
  return testing::RunProcess(DEFIFUNDR_DATA_BINARY, args,
                             {{"DATABASE_URL", url}}, output);
}

TEST_F(SeedTest, CliFlagsMapToTheOptions) {
  std::string out;
  ASSERT_EQ(RunCli({"seed", "--users=40", "--seed=3", "--tx_days=5"},
                   db_->url(), &out),
            0)
      << out;
  EXPECT_EQ(Count(*db_, "users"), "40");
  auto direct = testing::TestDatabase::Create();
  ASSERT_TRUE(direct.ok());
  seed::SeedOptions options;
  options.users = 40;
  options.seed = 3;
  options.tx_days = 5;
  auto conn = (*direct)->Connect();
  ASSERT_TRUE(seed::Seed(*conn, options, nullptr).ok());
  EXPECT_EQ(Fingerprints(*db_), Fingerprints(**direct));

  // The older --seed_users still works; --tables and --preserve split on ','.
  ASSERT_EQ(RunCli({"seed", "--seed_users=25", "--seed=3", "--tables=users"},
                   db_->url(), &out),
            0)
      << out;
  EXPECT_EQ(Count(*db_, "users"), "25");
  ASSERT_EQ(RunCli({"seed", "--seed=3", "--preserve=users,kyc",
                    "--tables=sessions,kyc,transactions", "--clean=false"},
                   db_->url(), &out),
            0)
      << out;
  EXPECT_EQ(Count(*db_, "users"), "25");
  EXPECT_EQ(Count(*db_, "kyc"), "0");
  EXPECT_NE(Count(*db_, "sessions"), "0");

  EXPECT_EQ(RunCli({"seed", "--size=huge"}, db_->url(), &out), 2);
  EXPECT_EQ(RunCli({"seed", "--tables=wallets"}, db_->url(), &out), 1);
  EXPECT_THAT(out, HasSubstr("INVALID_ARGUMENT"));
  EXPECT_THAT(out, HasSubstr("unknown table `wallets`"));
}

}  // namespace
}  // namespace defifundr
