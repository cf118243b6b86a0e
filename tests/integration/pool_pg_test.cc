// The pool, the connection and the transaction type against a real server.
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "db/pg/pool.h"
#include "db/pg/transaction.h"
#include "db/query_catalog.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using db::pg::CallOptions;
using db::pg::Pool;
using db::pg::PoolOptions;

class PoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create(/*migrated=*/false);
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
  }
  std::unique_ptr<Pool> MakePool(int size) {
    PoolOptions options;
    options.conninfo = db_->url();
    options.max_size = size;
    return std::make_unique<Pool>(options);
  }
  // Backends connected to the test database other than `except_pid`.
  int Backends(int except_pid = 0) {
    return std::stoi(db_->Scalar(absl::StrCat(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '", db_->name(),
        "' AND pid <> pg_backend_pid() AND pid <> ", except_pid)));
  }
  std::unique_ptr<testing::TestDatabase> db_;
};

TEST_F(PoolTest, ExhaustedPoolTimesOutWithUnavailableAndLeaksNothing) {
  auto pool = MakePool(2);
  auto a = pool->Acquire(absl::Now() + absl::Seconds(5));
  auto b = pool->Acquire(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(a.ok() && b.ok());
  const absl::Time start = absl::Now();
  auto c = pool->Acquire(absl::Now() + absl::Milliseconds(200));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_EQ(pool->GetStats().in_use, 2);
  { auto released = std::move(*a); }
  EXPECT_EQ(pool->GetStats().in_use, 1);
  auto d = pool->Acquire(absl::Now() + absl::Seconds(1));
  EXPECT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(pool->GetStats().open, 2);
}

TEST_F(PoolTest, WaiterGetsConnectionReleasedByAnotherThread) {
  auto pool = MakePool(1);
  auto held = pool->Acquire(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(held.ok());
  std::thread releaser([&] {
    absl::SleepFor(absl::Milliseconds(100));
    auto gone = std::move(*held);
  });
  auto next = pool->Acquire(absl::Now() + absl::Seconds(5));
  releaser.join();
  EXPECT_TRUE(next.ok()) << next.status();
}

TEST_F(PoolTest, TerminatedBackendsAreReplacedOnNextAcquire) {
  auto pool = MakePool(3);
  {
    std::vector<db::pg::PooledConnection> held;
    for (int i = 0; i < 3; ++i) {
      auto c = pool->Acquire(absl::Now() + absl::Seconds(5));
      ASSERT_TRUE(c.ok()) << c.status();
      held.push_back(*std::move(c));
    }
  }
  ASSERT_EQ(Backends(), 3);
  // Terminate every pooled backend and wait until each is gone.
  db_->Scalar(absl::StrCat(
      "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
      "WHERE datname = '",
      db_->name(), "' AND pid <> pg_backend_pid()"));
  for (int i = 0; i < 3; ++i) {
    auto c = pool->Acquire(absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(c.ok()) << c.status();
    auto r = (*c)->Exec("SELECT 1");
    EXPECT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(pool->GetStats().discarded, 3);
}

TEST_F(PoolTest, ConnectionReturnedInsideTransactionIsNotReused) {
  auto pool = MakePool(1);
  int pid = 0;
  {
    auto c = pool->Acquire(absl::Now() + absl::Seconds(5));
    ASSERT_TRUE(c.ok());
    pid = (*c)->backend_pid();
    ASSERT_TRUE((*c)->Exec("BEGIN").ok());
    ASSERT_TRUE((*c)->Exec("CREATE TABLE leaked (x int)").ok());
  }  // Returned mid-transaction: the pool must close it.
  EXPECT_EQ(pool->GetStats().discarded, 1);
  auto c = pool->Acquire(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(c.ok());
  EXPECT_NE((*c)->backend_pid(), pid);
  EXPECT_TRUE((*c)->IsIdle());
  // The uncommitted table never became visible.
  auto r = (*c)->Exec("SELECT to_regclass('leaked') IS NULL");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->row(0).Text(0), "t");
}

TEST_F(PoolTest, DeadlineCancelsRunningStatementAndConnectionStaysUsable) {
  auto pool = MakePool(1);
  auto c = pool->Acquire(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(c.ok());
  const int pid = (*c)->backend_pid();
  CallOptions options;
  options.deadline = absl::Now() + absl::Milliseconds(100);
  const absl::Time start = absl::Now();
  auto r = (*c)->Exec("SELECT pg_sleep(30)", options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  // The server-side query is gone and the same backend serves the next call.
  EXPECT_EQ(db_->Scalar(absl::StrCat(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ", pid,
                " AND query LIKE '%pg_sleep%' AND state = 'active'")),
            "0");
  EXPECT_TRUE((*c)->IsIdle());
  auto again = (*c)->Exec("SELECT 2");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->row(0).Text(0), "2");
  EXPECT_EQ((*c)->backend_pid(), pid);
}

TEST_F(PoolTest, CancellationCheckCancelsStatement) {
  auto pool = MakePool(1);
  auto c = pool->Acquire(absl::Now() + absl::Seconds(5));
  ASSERT_TRUE(c.ok());
  CallOptions options;
  const absl::Time cancel_at = absl::Now() + absl::Milliseconds(100);
  options.cancelled = [cancel_at] { return absl::Now() >= cancel_at; };
  auto r = (*c)->Exec("SELECT pg_sleep(30)", options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_TRUE((*c)->Exec("SELECT 1").ok());
}

TEST_F(PoolTest, UnreachableDatabaseIsUnavailable) {
  PoolOptions options;
  options.conninfo =
      "postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2";
  options.max_size = 1;
  Pool pool(options);
  auto c = pool.Acquire(absl::Now() + absl::Seconds(3));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(pool.GetStats().open, 0);
}

TEST_F(PoolTest, TransactionRollsBackWhenNotCommitted) {
  auto pool = MakePool(1);
  db_->Exec("CREATE TABLE t (x int)");
  absl::Status s = db::pg::RunInTransaction(
      *pool, db::pg::IsolationLevel::kReadCommitted, {},
      [](db::pg::Connection& conn) -> absl::Status {
        if (auto r = conn.Exec("INSERT INTO t VALUES (1)"); !r.ok())
          return r.status();
        return absl::InvalidArgumentError("body failed");
      });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM t"), "0");
  s = db::pg::RunInTransaction(
      *pool, db::pg::IsolationLevel::kReadCommitted, {},
      [](db::pg::Connection& conn) {
        return conn.Exec("INSERT INTO t VALUES (1)").status();
      });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM t"), "1");
}

TEST_F(PoolTest, SerializationFailureIsRetriedThenAborted) {
  auto pool = MakePool(2);
  int attempts = 0;
  absl::Status s = db::pg::RunInTransaction(
      *pool, db::pg::IsolationLevel::kSerializable, {},
      [&](db::pg::Connection& conn) {
        ++attempts;
        // Raise SQLSTATE 40001 from the server itself.
        return conn
            .Exec(
                "DO $$BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = "
                "'serialization_failure'; END$$")
            .status();
      },
      /*max_attempts=*/3);
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(attempts, 3);
}

// ExecStatement: a statement the server lost is prepared again; inside a
// transaction the transaction is re-run, and when it keeps losing it, the
// retries end in ABORTED.
TEST_F(PoolTest, LostStatementIsPreparedAgainOrItsTransactionRetried) {
  auto pool = MakePool(1);
  constexpr char kSql[] = "SELECT $1::int + 1 AS n";
  const std::vector<db::pg::Param> params = {std::string("41")};
  {
    auto conn = pool->Acquire(absl::InfiniteFuture());
    ASSERT_TRUE(conn.ok());
    ASSERT_TRUE((*conn)->ExecStatement("AddOne", kSql, params).ok());
    ASSERT_TRUE((*conn)->Exec("DEALLOCATE ALL").ok());
    auto again = (*conn)->ExecStatement("AddOne", kSql, params);
    ASSERT_TRUE(again.ok()) << again.status();
    EXPECT_EQ(again->row(0).Get<int32_t>(0).value_or(0), 42);
  }
  int attempts = 0;
  absl::Status once = db::pg::RunInTransaction(
      *pool, db::pg::IsolationLevel::kReadCommitted, {},
      [&](db::pg::Connection& conn) {
        if (++attempts == 1) {
          if (auto d = conn.Exec("DEALLOCATE ALL"); !d.ok()) return d.status();
        }
        return conn.ExecStatement("AddOne", kSql, params).status();
      });
  EXPECT_TRUE(once.ok()) << once;
  EXPECT_EQ(attempts, 2);
  attempts = 0;
  absl::Status always = db::pg::RunInTransaction(
      *pool, db::pg::IsolationLevel::kReadCommitted, {},
      [&](db::pg::Connection& conn) {
        ++attempts;
        // Prepared (first use), then dropped behind its back, every time.
        if (auto r = conn.ExecStatement("AddOne", kSql, params); !r.ok()) {
          return r.status();
        }
        if (auto d = conn.Exec("DEALLOCATE ALL"); !d.ok()) return d.status();
        return conn.ExecStatement("AddOne", kSql, params).status();
      },
      /*max_attempts=*/3);
  EXPECT_EQ(always.code(), absl::StatusCode::kAborted) << always;
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(pool->GetStats().discarded, 0);
}

TEST(StatementCacheTest, ParsesItsTwoNames) {
  EXPECT_EQ(db::pg::ParseStatementCache("prepared").value(),
            db::pg::StatementCache::kPrepared);
  EXPECT_EQ(db::pg::ParseStatementCache("none").value(),
            db::pg::StatementCache::kNone);
  for (const char* bad : {"", "Prepared", "unnamed", "none "}) {
    EXPECT_EQ(db::pg::ParseStatementCache(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace defifundr

namespace defifundr {
namespace {

// QueryCatalog::Run: named statements bound by parameter name.
TEST(QueryCatalogRunTest, BindsByNameAndRejectsUnknownNamesAndMissingValues) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  const db::EmbeddedFile file = {
      "t.sql", "-- name: Sum :one\nSELECT @b::int + 10 * @a::int AS total;\n"};
  auto catalog = db::QueryCatalog::Parse({&file, 1});
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto r = catalog->Run(*conn, "Sum", {{"a", "4"}, {"b", "2"}});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->row(0).Text(0), "42");
  EXPECT_EQ(catalog->Run(*conn, "Nope").status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(catalog->Run(*conn, "Sum", {{"a", "1"}}).status().code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace defifundr

namespace defifundr {
namespace {

// Row::As reads a row's columns at once, in order, with Get's rules.
TEST(RowTest, AsReadsEveryColumnAtOnceOrNamesTheFirstThatFails) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  auto conn = (*db)->Connect();
  auto r = conn->Exec(
      "SELECT 'ada'::text, true, NULL::int, 42::bigint, "
      "'2025-03-21 12:26:19.5+00'::timestamptz");
  ASSERT_TRUE(r.ok()) << r.status();
  auto row = r->row(0).As<std::string, bool, std::optional<int32_t>, int64_t,
                          absl::Time>();
  ASSERT_TRUE(row.ok()) << row.status();
  const auto& [name, flag, missing, n, at] = *row;
  EXPECT_EQ(name, "ada");
  EXPECT_TRUE(flag);
  EXPECT_FALSE(missing.has_value());
  EXPECT_EQ(n, 42);
  EXPECT_EQ(at, absl::FromUnixMillis(1742559979500));
  // Too few types for the columns, and a NULL into a non-optional.
  EXPECT_EQ((r->row(0).As<std::string, bool>().status().code()),
            absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(r->row(0).As<std::string, bool>().status().message()),
              ::testing::HasSubstr("row has 5 columns, read as 2"));
  EXPECT_EQ((r->row(0).As<std::string, bool, int32_t, int64_t, absl::Time>()
                 .status()
                 .code()),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace defifundr
