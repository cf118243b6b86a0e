// Taking over DefiFundr's own databases. Two fixtures, one per schema shape
// DefiFundr's migrations produced (tests/integration/fixtures/): the
// seed-era shape, built from DefiFundr's original files (our first
// versions), and the later shape of 2db127b, from its CREATE statements.
// Each is filled with rows written the way DefiFundr's code writes them.
// Then `migrate up` must succeed, lose no row and change no stored value;
// the service must serve every row through every read RPC; a Get-then-
// Update round trip must keep values our enums do not know; and both shapes
// must end with the schema an empty database gets.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "client/pager.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "db/pg/error.h"
#include "defifundr/data/v1/kyc.grpc.pb.h"
#include "defifundr/data/v1/otp.grpc.pb.h"
#include "defifundr/data/v1/sessions.grpc.pb.h"
#include "defifundr/data/v1/transactions.grpc.pb.h"
#include "defifundr/data/v1/user_devices.grpc.pb.h"
#include "defifundr/data/v1/users.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;
using namespace data::v1;  // NOLINT

// DefiFundr's last seed-era version (its waitlist migration, 8ba3e06).
constexpr int64_t kSeedEraVersion = 20250328083212;

std::string Fixture(absl::string_view name) {
  const std::string path = absl::StrCat(DEFIFUNDR_FIXTURES_DIR, "/", name);
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<db::migrate::Migration> Builtin() {
  auto m = db::migrate::ParseMigrations(db::migrate::BuiltinMigrationFiles());
  EXPECT_TRUE(m.ok()) << m.status();
  return m.ok() ? *m : std::vector<db::migrate::Migration>{};
}

enum class Shape { kSeedEra, kLater };

std::string ShapeName(const ::testing::TestParamInfo<Shape>& info) {
  return info.param == Shape::kSeedEra ? "SeedEra" : "Later";
}

// A database of `shape` filled with DefiFundr-written rows, not yet migrated
// by us.
std::unique_ptr<testing::TestDatabase> DefiFundrDatabase(Shape shape) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  EXPECT_TRUE(db.ok()) << db.status();
  if (!db.ok()) return nullptr;
  if (shape == Shape::kSeedEra) {
    auto conn = (*db)->Connect();
    db::migrate::Migrator goose(*conn, Builtin());
    EXPECT_TRUE(goose.UpTo(kSeedEraVersion).ok());
    (*db)->Exec(Fixture("seed_era_rows.sql"));
  } else {
    (*db)->Exec(Fixture("later_shape_schema.sql"));
    (*db)->Exec(Fixture("later_shape_rows.sql"));
  }
  return *std::move(db);
}

// Every stored value of `table`, row by row in id order, over the columns
// the table has now: text (quoted, so that NULL and '' differ), and
// timestamps as epoch seconds, so that a `timestamp` read as UTC and the
// `timestamptz` it became compare equal.
struct TableContents {
  std::vector<std::string> columns;
  std::string rows;
};

std::string RowsOf(const testing::TestDatabase& db, const std::string& table,
                   const std::vector<std::string>& columns) {
  std::vector<std::string> exprs;
  for (const std::string& c : columns) {
    const std::string type = db.Scalar(absl::StrCat(
        "SELECT data_type FROM information_schema.columns WHERE table_name = '",
        table, "' AND column_name = '", c, "'"));
    exprs.push_back(
        absl::StartsWith(type, "timestamp")
            ? absl::StrCat("quote_nullable(extract(epoch FROM \"", c, "\"))")
            : absl::StrCat("quote_nullable(\"", c, "\"::text)"));
  }
  return db.Scalar(
      absl::StrCat("SELECT count(*) || E'\\n' || coalesce(string_agg(",
                   absl::StrJoin(exprs, " || '|' || "),
                   ", E'\\n' ORDER BY id), '') FROM ", table));
}

std::map<std::string, TableContents> Contents(const testing::TestDatabase& db) {
  std::map<std::string, TableContents> out;
  const std::string tables = db.Scalar(
      "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables "
      "WHERE schemaname = 'public' AND tablename <> 'goose_db_version'");
  for (absl::string_view t : absl::StrSplit(tables, ',', absl::SkipEmpty())) {
    TableContents c;
    const std::string cols = db.Scalar(absl::StrCat(
        "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM "
        "information_schema.columns WHERE table_schema = 'public' AND "
        "table_name = '",
        t, "'"));
    c.columns = absl::StrSplit(cols, ',');
    c.rows = RowsOf(db, std::string(t), c.columns);
    out[std::string(t)] = std::move(c);
  }
  return out;
}

std::set<std::string> Ids(const testing::TestDatabase& db,
                          absl::string_view table) {
  const std::string ids =
      db.Scalar(absl::StrCat("SELECT string_agg(id::text, ',') FROM ", table));
  return absl::StrSplit(ids, ',', absl::SkipEmpty());
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::seconds(10));
  return ctx;
}

class TakeoverTest : public ::testing::TestWithParam<Shape> {};

TEST_P(TakeoverTest, MigrateUpKeepsEveryRowAndEveryValue) {
  auto db = DefiFundrDatabase(GetParam());
  ASSERT_NE(db, nullptr);
  const auto before = Contents(*db);
  ASSERT_GE(before.size(), 7u);

  auto conn = db->Connect();
  std::ostringstream out;
  db::migrate::MigratorOptions options;
  options.out = &out;
  db::migrate::Migrator migrator(*conn, Builtin(), options);
  const absl::Status up = migrator.Up();
  ASSERT_TRUE(up.ok()) << up << "\n" << out.str();
  EXPECT_EQ(*migrator.Version(), Builtin().back().version);

  // The rows kept outside the value sets and the e-mail case duplicates are
  // reported, by id.
  const std::string dup = GetParam() == Shape::kSeedEra
                              ? "11111111-0000-4000-8000-000000000002"
                              : "aaaaaaaa-0000-4000-8000-000000000002";
  EXPECT_THAT(out.str(), HasSubstr(absl::StrCat(
                             "1 row(s) share an e-mail but for case with an "
                             "older row; marked email_case_duplicate (ids: ",
                             dup, ")")));
  EXPECT_THAT(out.str(), HasSubstr("transactions.status: "));
  EXPECT_EQ(db->Scalar("SELECT string_agg(id::text, ',') FROM users WHERE "
                       "email_case_duplicate"),
            dup);

  // No table, row or stored value lost or changed.
  for (const auto& [table, contents] : before) {
    EXPECT_EQ(RowsOf(*db, table, contents.columns), contents.rows) << table;
  }
}

TEST_P(TakeoverTest, EveryReadRpcServesEveryRow) {
  auto db = DefiFundrDatabase(GetParam());
  ASSERT_NE(db, nullptr);
  {
    auto conn = db->Connect();
    db::migrate::Migrator migrator(*conn, Builtin());
    ASSERT_TRUE(migrator.Up().ok());
  }
  testing::TestDatabase* raw = db.get();
  auto started = testing::TestServer::StartOn(std::move(db));
  ASSERT_TRUE(started.ok()) << started.status();
  testing::TestServer& server = **started;
  client::Client& api = server.client();
  const testing::TestDatabase& d = *raw;

  // List over all pages (2 rows a page) returns every row once; Get of each
  // answers it.
  auto walk = [&](auto item, auto method, auto request, absl::string_view table,
                  auto get) {
    using Item = decltype(item);
    request.set_page_size(2);
    std::set<std::string> seen;
    const grpc::Status s =
        client::ForEach<Item>(api, method, request, [&](const Item& row) {
          EXPECT_TRUE(seen.insert(row.id()).second) << row.id();
        });
    EXPECT_TRUE(s.ok()) << table << ": " << s.error_message();
    EXPECT_EQ(seen, Ids(d, table)) << table;
    for (const std::string& id : seen) {
      const grpc::Status g = get(id);
      EXPECT_TRUE(g.ok()) << table << " " << id << ": " << g.error_message();
    }
  };
  walk(User(), &UserService::Stub::ListUsers, ListUsersRequest(), "users",
       [&](const std::string& id) {
         GetUserRequest r;
         r.set_id(id);
         User u;
         return api.users().GetUser(Ctx().get(), r, &u);
       });
  walk(Session(), &SessionService::Stub::ListSessions, ListSessionsRequest(),
       "sessions", [&](const std::string& id) {
         GetSessionRequest r;
         r.set_id(id);
         Session s;
         return api.sessions().GetSession(Ctx().get(), r, &s);
       });
  walk(Kyc(), &KycService::Stub::ListKycs, ListKycsRequest(), "kyc",
       [&](const std::string& id) {
         GetKycRequest r;
         r.set_id(id);
         Kyc k;
         return api.kyc().GetKyc(Ctx().get(), r, &k);
       });
  walk(UserDevice(), &UserDeviceService::Stub::ListUserDevices,
       ListUserDevicesRequest(), "user_device_tokens",
       [&](const std::string& id) {
         GetUserDeviceRequest r;
         r.set_id(id);
         UserDevice u;
         return api.devices().GetUserDevice(Ctx().get(), r, &u);
       });
  walk(Otp(), &OtpService::Stub::ListOtps, ListOtpsRequest(),
       "otp_verifications", [&](const std::string& id) {
         GetOtpRequest r;
         r.set_id(id);
         Otp o;
         return api.otps().GetOtp(Ctx().get(), r, &o);
       });
  walk(Transaction(), &TransactionService::Stub::ListTransactions,
       ListTransactionsRequest(), "transactions", [&](const std::string& id) {
         GetTransactionRequest r;
         r.set_id(id);
         Transaction t;
         return api.transactions().GetTransaction(Ctx().get(), r, &t);
       });

  // The domain lookups, for every row that has a key to look up by.
  for (absl::string_view line : absl::StrSplit(
           d.Scalar("SELECT string_agg(id || ' ' || email, E'\\n') FROM users "
                    "WHERE email <> ''"),
           '\n')) {
    const std::vector<std::string> f = absl::StrSplit(line, ' ');
    GetUserByEmailRequest r;
    r.set_email(f[1]);
    User u;
    const grpc::Status s = api.users().GetUserByEmail(Ctx().get(), r, &u);
    ASSERT_TRUE(s.ok()) << f[1] << ": " << s.error_message();
    EXPECT_EQ(u.id(), f[0]) << "the row with exactly this e-mail answers";
    CheckEmailExistsRequest c;
    c.set_email(absl::AsciiStrToUpper(f[1]));
    CheckEmailExistsResponse exists;
    ASSERT_TRUE(api.users().CheckEmailExists(Ctx().get(), c, &exists).ok());
    EXPECT_TRUE(exists.exists()) << f[1];
    GetUserCredentialsRequest cr;
    cr.set_email(f[1]);
    UserCredentials cred;
    ASSERT_TRUE(api.users().GetUserCredentials(Ctx().get(), cr, &cred).ok());
    EXPECT_EQ(cred.id(), f[0]);
  }
  for (absl::string_view token : absl::StrSplit(
           d.Scalar("SELECT string_agg(DISTINCT refresh_token, E'\\n') FROM "
                    "sessions WHERE refresh_token <> ''"),
           '\n')) {
    GetSessionByRefreshTokenRequest r;
    r.set_refresh_token(std::string(token));
    Session s;
    const grpc::Status st =
        api.sessions().GetSessionByRefreshToken(Ctx().get(), r, &s);
    EXPECT_TRUE(st.ok()) << st.error_message();
  }
  for (absl::string_view user : absl::StrSplit(
           d.Scalar("SELECT string_agg(DISTINCT user_id::text, ',') FROM kyc"),
           ',', absl::SkipEmpty())) {
    GetKycByUserIdRequest r;
    r.set_user_id(std::string(user));
    Kyc k;
    EXPECT_TRUE(api.kyc().GetKycByUserId(Ctx().get(), r, &k).ok());
  }
  for (absl::string_view token :
       absl::StrSplit(d.Scalar("SELECT string_agg(device_token, E'\\n') FROM "
                               "user_device_tokens"),
                      '\n', absl::SkipEmpty())) {
    GetDeviceByTokenRequest r;
    r.set_device_token(std::string(token));
    UserDevice u;
    EXPECT_TRUE(api.devices().GetDeviceByToken(Ctx().get(), r, &u).ok());
  }
  for (absl::string_view hash : absl::StrSplit(
           d.Scalar("SELECT string_agg(tx_hash, E'\\n') FROM transactions"),
           '\n', absl::SkipEmpty())) {
    GetTransactionByTxHashRequest r;
    r.set_tx_hash(std::string(hash));
    Transaction t;
    EXPECT_TRUE(
        api.transactions().GetTransactionByTxHash(Ctx().get(), r, &t).ok());
  }
  CountUsersRequest count;
  CountResponse counted;
  ASSERT_TRUE(api.users().CountUsers(Ctx().get(), count, &counted).ok());
  EXPECT_EQ(absl::StrCat(counted.count()),
            d.Scalar("SELECT count(*) FROM users"));
}

// A migrated later-shape database served by a test server.
std::unique_ptr<testing::TestServer> ServeLaterShape() {
  auto db = DefiFundrDatabase(Shape::kLater);
  if (db == nullptr) return nullptr;
  auto conn = db->Connect();
  db::migrate::Migrator migrator(*conn, Builtin());
  EXPECT_TRUE(migrator.Up().ok());
  auto started = testing::TestServer::StartOn(std::move(db));
  EXPECT_TRUE(started.ok()) << started.status();
  return started.ok() ? *std::move(started) : nullptr;
}

constexpr char kIndividual[] = "aaaaaaaa-0000-4000-8000-000000000008";
constexpr char kEmptyAccountType[] = "aaaaaaaa-0000-4000-8000-000000000009";
constexpr char kFreeTextPersonal[] = "aaaaaaaa-0000-4000-8000-000000000007";
constexpr char kEmailRegistered[] = "aaaaaaaa-0000-4000-8000-000000000001";
constexpr char kCancelled[] = "eeeeeeee-0000-4000-8000-000000000001";
constexpr char kZeroTimeOtp[] = "dddddddd-0000-4000-8000-000000000002";

TEST(TakeoverValuesTest, ValuesOutsideTheSetsReadAsUnspecifiedPlusRaw) {
  auto server = ServeLaterShape();
  ASSERT_NE(server, nullptr);
  auto get_user = [&](const char* id) {
    GetUserRequest r;
    r.set_id(id);
    User u;
    const grpc::Status s = server->client().users().GetUser(Ctx().get(), r, &u);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return u;
  };
  User u = get_user(kIndividual);
  EXPECT_EQ(u.account_type(), ACCOUNT_TYPE_UNSPECIFIED);
  ASSERT_TRUE(u.has_account_type_raw());
  EXPECT_EQ(u.account_type_raw(), "Individual");
  EXPECT_EQ(u.personal_account_type(), PERSONAL_ACCOUNT_TYPE_USER);
  EXPECT_FALSE(u.has_personal_account_type_raw());

  u = get_user(kEmptyAccountType);
  EXPECT_EQ(u.account_type(), ACCOUNT_TYPE_UNSPECIFIED);
  ASSERT_TRUE(u.has_account_type_raw());
  EXPECT_EQ(u.account_type_raw(), "");

  u = get_user(kFreeTextPersonal);
  EXPECT_EQ(u.account_type(), ACCOUNT_TYPE_PERSONAL);
  EXPECT_FALSE(u.has_account_type_raw());
  EXPECT_EQ(u.personal_account_type(), PERSONAL_ACCOUNT_TYPE_UNSPECIFIED);
  EXPECT_EQ(u.personal_account_type_raw(), "Software engineer");

  u = get_user(kEmailRegistered);  // personal_account_type ''.
  EXPECT_EQ(u.personal_account_type(), PERSONAL_ACCOUNT_TYPE_NONE);
  EXPECT_FALSE(u.has_personal_account_type_raw());
  EXPECT_EQ(u.nationality(), "");

  GetTransactionRequest tr;
  tr.set_id(kCancelled);
  Transaction t;
  ASSERT_TRUE(
      server->client().transactions().GetTransaction(Ctx().get(), tr, &t).ok());
  EXPECT_EQ(t.status(), TRANSACTION_STATUS_UNSPECIFIED);
  EXPECT_EQ(t.status_raw(), "cancelled");

  // Go's zero time, as DefiFundr's seeder wrote it: 0001-01-01T00:00:00Z.
  GetOtpRequest or_;
  or_.set_id(kZeroTimeOtp);
  Otp o;
  ASSERT_TRUE(server->client().otps().GetOtp(Ctx().get(), or_, &o).ok());
  EXPECT_EQ(o.expires_at().seconds(), -62135596800);

  // Sessions' `timestamp` columns were read as UTC.
  GetSessionRequest sr;
  sr.set_id("bbbbbbbb-0000-4000-8000-000000000003");
  Session se;
  ASSERT_TRUE(
      server->client().sessions().GetSession(Ctx().get(), sr, &se).ok());
  EXPECT_EQ(se.expires_at().seconds(), 1746180900);  // 2025-05-02T10:15:00Z
}

TEST(TakeoverValuesTest, GetThenUpdateKeepsStoredValuesTheMaskDoesNotName) {
  auto server = ServeLaterShape();
  ASSERT_NE(server, nullptr);
  testing::TestDatabase& db = server->db();
  for (const char* id : {kIndividual, kEmptyAccountType, kFreeTextPersonal}) {
    GetUserRequest g;
    g.set_id(id);
    User u;
    ASSERT_TRUE(server->client().users().GetUser(Ctx().get(), g, &u).ok());
    const std::string before = db.Scalar(absl::StrCat(
        "SELECT account_type || '|' || personal_account_type FROM users WHERE "
        "id = '",
        id, "'"));
    UpdateUserRequest up;
    *up.mutable_user() = u;  // As read: _UNSPECIFIED enums and _raw fields.
    up.mutable_user()->set_job_role("Product manager");
    up.mutable_update_mask()->add_paths("job_role");
    User updated;
    const grpc::Status s =
        server->client().users().UpdateUser(Ctx().get(), up, &updated);
    ASSERT_TRUE(s.ok()) << id << ": " << s.error_message();
    EXPECT_EQ(updated.job_role(), "Product manager");
    EXPECT_EQ(updated.account_type_raw(), u.account_type_raw());
    EXPECT_EQ(db.Scalar(absl::StrCat("SELECT account_type || '|' || "
                                     "personal_account_type FROM users WHERE "
                                     "id = '",
                                     id, "'")),
              before)
        << id;
  }
  GetTransactionRequest g;
  g.set_id(kCancelled);
  Transaction t;
  ASSERT_TRUE(
      server->client().transactions().GetTransaction(Ctx().get(), g, &t).ok());
  UpdateTransactionRequest ut;
  *ut.mutable_transaction() = t;
  ut.mutable_transaction()->set_transaction_pin_hash("$argon2id$new");
  ut.mutable_update_mask()->add_paths("transaction_pin_hash");
  Transaction updated;
  const grpc::Status s = server->client().transactions().UpdateTransaction(
      Ctx().get(), ut, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(
      db.Scalar(absl::StrCat("SELECT status FROM transactions WHERE id = '",
                             kCancelled, "'")),
      "cancelled");
}

TEST(TakeoverValuesTest, WritesStayStrict) {
  auto server = ServeLaterShape();
  ASSERT_NE(server, nullptr);
  testing::TestDatabase& db = server->db();
  // The _raw fields are output only.
  GetUserRequest g;
  g.set_id(kIndividual);
  User u;
  ASSERT_TRUE(server->client().users().GetUser(Ctx().get(), g, &u).ok());
  UpdateUserRequest up;
  *up.mutable_user() = u;
  up.mutable_user()->set_account_type_raw("Corporate");
  up.mutable_update_mask()->add_paths("account_type_raw");
  User out;
  grpc::Status s = server->client().users().UpdateUser(Ctx().get(), up, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("account_type_raw"));
  // Naming the enum writes a member of the set and clears the raw text.
  up.mutable_update_mask()->set_paths(0, "account_type");
  up.mutable_user()->set_account_type(ACCOUNT_TYPE_BUSINESS);
  s = server->client().users().UpdateUser(Ctx().get(), up, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.account_type(), ACCOUNT_TYPE_BUSINESS);
  EXPECT_FALSE(out.has_account_type_raw());
  // _UNSPECIFIED is no value to write.
  up.mutable_user()->set_account_type(ACCOUNT_TYPE_UNSPECIFIED);
  s = server->client().users().UpdateUser(Ctx().get(), up, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  // The database refuses new values outside the sets, also from other
  // writers, and keeps stored ones through unrelated updates.
  auto conn = db.Connect();
  for (const std::string& sql :
       {absl::StrCat("UPDATE users SET account_type = 'Corporate' WHERE id = '",
                     kEmptyAccountType, "'"),
        absl::StrCat("UPDATE users SET personal_account_type = 'boss' WHERE "
                     "id = '",
                     kEmailRegistered, "'"),
        absl::StrCat("UPDATE transactions SET status = 'done' WHERE id = '",
                     kCancelled, "'")}) {
    auto r = conn->Exec(sql);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << sql;
    EXPECT_EQ(db::pg::SqlStateOf(r.status()), "23514") << sql;
  }
  auto kept = conn->Exec(absl::StrCat(
      "UPDATE users SET account_type = account_type, first_name = 'X' WHERE "
      "id = '",
      kEmptyAccountType, "'"));
  EXPECT_TRUE(kept.ok()) << kept.status();
}

// pg_dump --schema-only of `db` without Goose's table (whose form differs
// between Goose releases), with the column lines of each CREATE TABLE
// sorted: DefiFundr's later files put new columns mid-table, while `ALTER
// TABLE ... ADD COLUMN` appends them, and PostgreSQL cannot reorder columns.
std::string NormalizedSchema(const testing::TestDatabase& db) {
  const std::string dump =
      testing::SchemaDump(db.url(), "-T 'public.goose_db_version*'");
  std::string out;
  std::vector<std::string> columns;
  bool in_table = false;
  for (absl::string_view line : absl::StrSplit(dump, '\n')) {
    if (absl::StartsWith(line, "CREATE TABLE ")) {
      in_table = true;
      absl::StrAppend(&out, line, "\n");
      continue;
    }
    if (in_table && line == ");") {
      std::sort(columns.begin(), columns.end());
      absl::StrAppend(&out, absl::StrJoin(columns, "\n"), "\n);\n");
      columns.clear();
      in_table = false;
      continue;
    }
    if (in_table) {
      columns.emplace_back(absl::StripSuffix(line, ","));
    } else {
      absl::StrAppend(&out, line, "\n");
    }
  }
  return out;
}

TEST(TakeoverSchemaTest, BothShapesAndAnEmptyDatabaseEndWithOneSchema) {
  auto empty = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(empty.ok()) << empty.status();
  std::map<std::string, std::unique_ptr<testing::TestDatabase>> dbs;
  dbs["empty"] = *std::move(empty);
  dbs["seed-era"] = DefiFundrDatabase(Shape::kSeedEra);
  dbs["later"] = DefiFundrDatabase(Shape::kLater);
  std::map<std::string, std::string> schemas;
  for (auto& [name, db] : dbs) {
    ASSERT_NE(db, nullptr) << name;
    auto conn = db->Connect();
    db::migrate::Migrator migrator(*conn, Builtin());
    const absl::Status up = migrator.Up();
    ASSERT_TRUE(up.ok()) << name << ": " << up;
    schemas[name] = NormalizedSchema(*db);
  }
  EXPECT_THAT(schemas["empty"], HasSubstr("CREATE TABLE public.user_wallets"));
  EXPECT_THAT(schemas["empty"],
              HasSubstr("last_used_at timestamp with time zone DEFAULT now()"));
  EXPECT_EQ(schemas["seed-era"], schemas["empty"]);
  // DefiFundr's security events had no foreign key and name users that do
  // not exist: there the new key stays NOT VALID (20251202000001), the one
  // difference.
  EXPECT_THAT(schemas["later"],
              HasSubstr("ADD CONSTRAINT security_events_user_id_fkey FOREIGN "
                        "KEY (user_id) REFERENCES public.users(id) ON DELETE "
                        "CASCADE NOT VALID;"));
  EXPECT_EQ(absl::StrReplaceAll(schemas["later"],
                                {{"ON DELETE CASCADE NOT VALID;",
                                  "ON DELETE CASCADE;"}}),
            schemas["empty"]);
}

TEST(TakeoverSchemaTest, DownRestoresEachShapeItsOwnSchema) {
  for (Shape shape : {Shape::kSeedEra, Shape::kLater}) {
    auto db = DefiFundrDatabase(shape);
    ASSERT_NE(db, nullptr);
    const std::string before = testing::SchemaDump(db->url());
    const std::string rows_before = RowsOf(*db, "users", {"id", "email"});
    auto conn = db->Connect();
    db::migrate::Migrator migrator(*conn, Builtin());
    ASSERT_TRUE(migrator.Up().ok());
    const absl::Status down = migrator.DownTo(
        shape == Shape::kSeedEra ? kSeedEraVersion : 20250502134956);
    ASSERT_TRUE(down.ok()) << down;
    EXPECT_EQ(testing::SchemaDump(db->url()), before)
        << (shape == Shape::kSeedEra ? "seed-era" : "later");
    EXPECT_EQ(RowsOf(*db, "users", {"id", "email"}), rows_before);
  }
}

// Rows no DefiFundr code writes (negative attempt counters) stop the
// migration that validates the constraint, before it changes anything; the
// message names the table, the constraint, the count and the ids, never a
// value.
TEST(TakeoverSchemaTest, RowsBreakingAConstraintStopItsMigrationNamingThem) {
  auto db = DefiFundrDatabase(Shape::kLater);
  ASSERT_NE(db, nullptr);
  db->Exec(
      "UPDATE otp_verifications SET attempts_made = -1 WHERE id IN "
      "('dddddddd-0000-4000-8000-000000000001', "
      "'dddddddd-0000-4000-8000-000000000002');"
      "UPDATE otp_verifications SET max_attempts = 0, attempts_made = 0 "
      "WHERE id = 'dddddddd-0000-4000-8000-000000000001'");
  auto conn = db->Connect();
  db::migrate::Migrator migrator(*conn, Builtin());
  const absl::Status up = migrator.Up();
  EXPECT_EQ(up.code(), absl::StatusCode::kInvalidArgument) << up;
  EXPECT_THAT(up.message(), HasSubstr("20251201000011_validate_counters.sql"));
  // Every broken constraint at once.
  EXPECT_THAT(up.message(),
              HasSubstr("table otp_verifications: 1 row(s) violate constraint "
                        "otp_verifications_attempts_made_check (ids: "
                        "dddddddd-0000-4000-8000-000000000002)"));
  EXPECT_THAT(up.message(),
              HasSubstr("table otp_verifications: 1 row(s) violate constraint "
                        "otp_verifications_max_attempts_check (ids: "
                        "dddddddd-0000-4000-8000-000000000001)"));
  EXPECT_THAT(up.message(), ::testing::Not(HasSubstr("482913")));
  // The migrations before it stay applied; it left nothing behind.
  EXPECT_EQ(*migrator.Version(), 20251201000010);
  EXPECT_EQ(db->Scalar("SELECT count(*) FROM pg_proc WHERE proname = "
                       "'defifundr_validate_constraints'"),
            "0");
  // Once the rows are corrected, up completes.
  db->Exec(
      "UPDATE otp_verifications SET attempts_made = 0, max_attempts = 3 "
      "WHERE attempts_made < 0 OR max_attempts = 0");
  ASSERT_TRUE(migrator.Up().ok());
  EXPECT_EQ(db->Scalar("SELECT bool_and(convalidated) FROM pg_constraint WHERE "
                       "conname LIKE 'otp_verifications_%_check'"),
            "t");
}

// The convergence's Down cannot put back a narrower or NOT NULL column over
// rows written since: it names every such column with its rows' ids, before
// changing anything.
TEST(TakeoverSchemaTest, DownRefusesRowsTheEarlierShapeCannotHold) {
  auto db = DefiFundrDatabase(Shape::kLater);
  ASSERT_NE(db, nullptr);
  auto conn = db->Connect();
  db::migrate::Migrator migrator(*conn, Builtin());
  ASSERT_TRUE(migrator.Up().ok());
  // As our service may write them: a long login type, no last_used_at.
  db->Exec(absl::StrCat(
      "INSERT INTO sessions (id, user_id, refresh_token, user_agent, "
      "user_login_type, client_ip, expires_at, last_used_at) VALUES "
      "('bbbbbbbb-0000-4000-8000-0000000000f1', "
      "'aaaaaaaa-0000-4000-8000-000000000001', 't', '', '",
      std::string(150, 'x'), "', '', now(), NULL)"));
  const absl::Status down = migrator.DownTo(20250502134956);
  EXPECT_EQ(down.code(), absl::StatusCode::kInvalidArgument) << down;
  EXPECT_THAT(
      down.message(),
      HasSubstr("sessions.user_login_type: 1 row(s) longer than 100 "
                "characters (ids: bbbbbbbb-0000-4000-8000-0000000000f1)"));
  EXPECT_THAT(down.message(),
              HasSubstr("sessions.last_used_at: 1 row(s) NULL"));
  EXPECT_THAT(down.message(), HasSubstr("nothing was changed"));
  EXPECT_EQ(*migrator.Version(), 20251201000009);
  EXPECT_EQ(db->Scalar("SELECT data_type FROM information_schema.columns "
                       "WHERE table_name = 'sessions' AND column_name = "
                       "'user_login_type'"),
            "character varying");
  db->Exec(
      "UPDATE sessions SET user_login_type = 'email', last_used_at = "
      "created_at WHERE id = 'bbbbbbbb-0000-4000-8000-0000000000f1'");
  const absl::Status again = migrator.DownTo(20250502134956);
  ASSERT_TRUE(again.ok()) << again;
  EXPECT_EQ(db->Scalar("SELECT data_type FROM information_schema.columns "
                       "WHERE table_name = 'sessions' AND column_name = "
                       "'last_used_at'"),
            "timestamp without time zone");
}

INSTANTIATE_TEST_SUITE_P(BothShapes, TakeoverTest,
                         ::testing::Values(Shape::kSeedEra, Shape::kLater),
                         ShapeName);

}  // namespace
}  // namespace defifundr
