#include "tests/support/test_database.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "db/seed/seeder.h"
#include "gtest/gtest.h"

namespace defifundr::testing {
namespace {

absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

// A name for the template that changes whenever the migrations change.
std::string TemplateName() {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over all migration bytes.
  for (const auto& f : db::migrate::BuiltinMigrationFiles()) {
    for (char c : f.name)
      h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    for (char c : f.contents)
      h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  return absl::StrFormat("defifundr_tmpl_%016x", h);
}

absl::Status Check(const absl::StatusOr<db::pg::Result>& r) {
  return r.status();
}

}  // namespace

std::string AdminUrl() {
  const char* url = std::getenv("DEFIFUNDR_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    ADD_FAILURE() << "DEFIFUNDR_TEST_DATABASE_URL is not set: run the tests "
                     "with `make test` (it starts PostgreSQL)";
    return "";
  }
  return url;
}

std::string SchemaDump(const std::string& url, const std::string& extra_args) {
  const std::string command =
      absl::StrCat("pg_dump --schema-only --no-owner --no-privileges ",
                   extra_args, " '", url, "' 2>&1");
  std::FILE* pipe = popen(command.c_str(), "r");
  EXPECT_NE(pipe, nullptr);
  if (pipe == nullptr) return "";
  std::string raw;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) {
    raw.append(buffer, n);
  }
  EXPECT_EQ(pclose(pipe), 0) << raw;
  std::string out;
  for (absl::string_view line : absl::StrSplit(raw, '\n')) {
    if (absl::StartsWith(line, "\\restrict") ||
        absl::StartsWith(line, "\\unrestrict") ||
        absl::StartsWith(line, "-- Dumped")) {
      continue;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

std::string WithDatabase(const std::string& url, const std::string& dbname) {
  // postgresql://user@host:port/db?params
  const size_t scheme = url.find("://");
  const size_t slash =
      url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  const size_t query = url.find('?');
  std::string base =
      slash == std::string::npos ? url.substr(0, query) : url.substr(0, slash);
  std::string params = query == std::string::npos ? "" : url.substr(query);
  return absl::StrCat(base, "/", dbname, params);
}

absl::StatusOr<std::unique_ptr<TestDatabase>> TestDatabase::Create(
    bool migrated) {
  const std::string admin_url = AdminUrl();
  if (admin_url.empty()) {
    return absl::FailedPreconditionError("DEFIFUNDR_TEST_DATABASE_URL unset");
  }
  auto admin = db::pg::Connection::Open(admin_url, Soon());
  if (!admin.ok()) return admin.status();
  static std::atomic<int> counter{0};
  std::random_device rd;
  const std::string name =
      absl::StrFormat("test_%d_%d_%08x", getpid(), counter++, rd());
  if (migrated) {
    const std::string tmpl = TemplateName();
    // One process builds the template; the others wait on the lock.
    if (auto s = Check((*admin)->Exec("SELECT pg_advisory_lock(4242)"));
        !s.ok())
      return s;
    auto exists = (*admin)->Exec(
        absl::StrCat("SELECT 1 FROM pg_database WHERE datname = '", tmpl, "'"));
    if (!exists.ok()) return exists.status();
    if (exists->rows() == 0) {
      const std::string building = tmpl + "_building";
      (*admin)
          ->Exec(absl::StrCat("DROP DATABASE IF EXISTS ", building))
          .status()
          .IgnoreError();
      if (auto s =
              Check((*admin)->Exec(absl::StrCat("CREATE DATABASE ", building)));
          !s.ok())
        return s;
      {
        auto conn =
            db::pg::Connection::Open(WithDatabase(admin_url, building), Soon());
        if (!conn.ok()) return conn.status();
        auto migrations =
            db::migrate::ParseMigrations(db::migrate::BuiltinMigrationFiles());
        if (!migrations.ok()) return migrations.status();
        db::migrate::Migrator migrator(**conn, *std::move(migrations));
        if (absl::Status s = migrator.Up(); !s.ok()) return s;
      }
      if (auto s = Check((*admin)->Exec(
              absl::StrCat("ALTER DATABASE ", building, " RENAME TO ", tmpl)));
          !s.ok())
        return s;
    }
    (*admin)->Exec("SELECT pg_advisory_unlock(4242)").status().IgnoreError();
    if (auto s = Check((*admin)->Exec(
            absl::StrCat("CREATE DATABASE ", name, " TEMPLATE ", tmpl)));
        !s.ok())
      return s;
  } else {
    if (auto s = Check((*admin)->Exec(absl::StrCat("CREATE DATABASE ", name)));
        !s.ok())
      return s;
  }
  // Seeding may empty it (see db::seed::CheckMaySeed).
  if (auto s = Check((*admin)->Exec(
          absl::StrCat("COMMENT ON DATABASE ", name, " IS '",
                       db::seed::kThrowawayDatabaseComment, "'")));
      !s.ok())
    return s;
  return std::unique_ptr<TestDatabase>(
      new TestDatabase(name, WithDatabase(admin_url, name)));
}

TestDatabase::~TestDatabase() {
  const char* url = std::getenv("DEFIFUNDR_TEST_DATABASE_URL");
  if (url == nullptr) return;
  auto admin = db::pg::Connection::Open(url, Soon());
  if (!admin.ok()) return;
  (*admin)
      ->Exec(absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"))
      .status()
      .IgnoreError();
}

std::unique_ptr<db::pg::Connection> TestDatabase::Connect() const {
  auto conn = db::pg::Connection::Open(url_, Soon());
  EXPECT_TRUE(conn.ok()) << conn.status();
  return conn.ok() ? *std::move(conn) : nullptr;
}

std::string TestDatabase::Scalar(const std::string& sql) const {
  auto conn = Connect();
  if (conn == nullptr) return "";
  auto r = conn->Exec(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
  if (!r.ok() || r->rows() == 0 || r->columns() == 0 || r->row(0).IsNull(0))
    return "";
  return std::string(r->row(0).Text(0));
}

void TestDatabase::Exec(const std::string& sql) const {
  auto conn = Connect();
  if (conn == nullptr) return;
  auto r = conn->Exec(sql);
  EXPECT_TRUE(r.ok()) << sql << ": " << r.status();
}

}  // namespace defifundr::testing
