// Keyset pagination (AIP-158) through ListUsers / ListSessions.
#include <set>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using data::v1::ListUsersRequest;
using data::v1::ListUsersResponse;

class PaginationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = testing::TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    // 1,000 users; created_at repeats every 100 rows, so ties on created_at
    // are broken by id.
    server_->db().Exec(
        "INSERT INTO users (email, account_type, personal_account_type, "
        "first_name, last_name, nationality, created_at) "
        "SELECT 'u' || i || '@example.com', "
        "CASE WHEN i % 3 = 0 THEN 'business' ELSE 'personal' END, "
        "'employee', 'F' || i, 'L' || i, 'Ghana', "
        "timestamptz '2025-01-01 00:00:00+00' + (i % 100) * interval '1 "
        "second' "
        "FROM generate_series(1, 1000) AS i");
  }

  grpc::Status List(const ListUsersRequest& req, ListUsersResponse* resp) {
    grpc::ClientContext ctx;
    return server_->client().users().ListUsers(&ctx, req, resp);
  }

  std::unique_ptr<testing::TestServer> server_;
};

TEST_F(PaginationTest, WalkingAllPagesReturnsEveryRowOnceInOrder) {
  ListUsersRequest req;
  req.set_page_size(37);
  std::vector<std::string> ids;
  std::vector<std::pair<int64_t, std::string>> keys;
  int pages = 0;
  do {
    ListUsersResponse resp;
    ASSERT_TRUE(List(req, &resp).ok());
    ASSERT_LE(resp.users_size(), 37);
    for (const auto& u : resp.users()) {
      ids.push_back(u.id());
      keys.push_back(
          {u.created_at().seconds() * 1000000000LL + u.created_at().nanos(),
           u.id()});
    }
    req.set_page_token(resp.next_page_token());
    ++pages;
  } while (!req.page_token().empty());
  EXPECT_EQ(pages, 28);  // ceil(1000 / 37)
  ASSERT_EQ(ids.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1000u);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_TRUE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
}

TEST_F(PaginationTest,
       RowsInsertedAndDeletedBetweenPagesCauseNoDuplicateOrSkip) {
  const std::vector<std::string> all = absl::StrSplit(
      server_->db().Scalar("SELECT string_agg(id::text, ',') FROM users"), ',');
  ListUsersRequest req;
  req.set_page_size(100);
  ListUsersResponse first;
  ASSERT_TRUE(List(req, &first).ok());
  absl::flat_hash_set<std::string> seen;
  for (const auto& u : first.users()) seen.insert(u.id());
  // Between pages: delete 50 rows not yet seen and 20 already seen; insert
  // 30 rows before the cursor and 30 after it.
  server_->db().Exec(
      "DELETE FROM users WHERE id IN (SELECT id FROM users ORDER BY created_at "
      "DESC, id DESC LIMIT 50)");
  server_->db().Exec(
      "DELETE FROM users WHERE id IN (SELECT id FROM users ORDER BY "
      "created_at, "
      "id LIMIT 20)");
  server_->db().Exec(
      "INSERT INTO users (email, account_type, personal_account_type, "
      "first_name, last_name, nationality, created_at) "
      "SELECT 'new' || i || '@example.com', 'personal', 'employee', 'N', 'N', "
      "'Kenya', CASE WHEN i % 2 = 0 THEN timestamptz '2024-01-01 00:00:00+00' "
      "ELSE timestamptz '2026-01-01 00:00:00+00' END "
      "FROM generate_series(1, 60) AS i");
  std::vector<std::string> rest;
  req.set_page_token(first.next_page_token());
  while (!req.page_token().empty()) {
    ListUsersResponse resp;
    ASSERT_TRUE(List(req, &resp).ok());
    for (const auto& u : resp.users()) rest.push_back(u.id());
    req.set_page_token(resp.next_page_token());
  }
  for (const auto& id : rest) {
    EXPECT_TRUE(seen.insert(id).second) << "row " << id << " returned twice";
  }
  // Every original row that still exists was returned.
  const std::string remaining =
      server_->db().Scalar("SELECT string_agg(id::text, ',') FROM users");
  const std::vector<std::string> remaining_ids = absl::StrSplit(remaining, ',');
  const absl::flat_hash_set<std::string> still(remaining_ids.begin(),
                                               remaining_ids.end());
  int original_alive = 0;
  for (const auto& id : all) {
    if (!still.contains(id)) continue;
    ++original_alive;
    EXPECT_TRUE(seen.contains(id)) << "row " << id << " skipped";
  }
  EXPECT_EQ(original_alive, 930);
}

TEST_F(PaginationTest, TokenIsBoundToItsFilterAndTamperProof) {
  ListUsersRequest req;
  req.set_page_size(10);
  req.set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  ListUsersResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  const std::string token = resp.next_page_token();
  ASSERT_FALSE(token.empty());
  for (const auto& u : resp.users()) {
    EXPECT_EQ(u.account_type(), data::v1::ACCOUNT_TYPE_PERSONAL);
  }

  // Same filter, different page size: accepted (AIP-158).
  req.set_page_token(token);
  req.set_page_size(20);
  EXPECT_TRUE(List(req, &resp).ok());

  // Other filter value.
  req.set_account_type(data::v1::ACCOUNT_TYPE_BUSINESS);
  grpc::Status s = List(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), ::testing::HasSubstr("page_token"));

  // Each single-character alteration of the token is rejected.
  req.set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  for (size_t i = 0; i < token.size(); ++i) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    req.set_page_token(bad);
    EXPECT_EQ(List(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "alteration at " << i;
  }
  req.set_page_token("!!!not base64!!!");
  EXPECT_EQ(List(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // A ListUsers token is not a ListSessions token.
  data::v1::ListSessionsRequest sreq;
  sreq.set_page_token(token);
  data::v1::ListSessionsResponse sresp;
  grpc::ClientContext ctx;
  EXPECT_EQ(server_->client()
                .sessions()
                .ListSessions(&ctx, sreq, &sresp)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PaginationTest, PageSizeDefaultsClampsAndRejectsNegative) {
  ListUsersRequest req;
  ListUsersResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.users_size(), 50);
  EXPECT_EQ(resp.total_size(), 0);
  req.set_page_size(5000);
  req.set_include_total_size(true);
  resp.Clear();
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.users_size(), 1000);
  EXPECT_EQ(resp.total_size(), 1000);
  EXPECT_TRUE(resp.next_page_token().empty());
  req.set_page_size(-1);
  EXPECT_EQ(List(req, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(PaginationTest, FilteredTotalSize) {
  ListUsersRequest req;
  req.set_account_type(data::v1::ACCOUNT_TYPE_BUSINESS);
  req.set_include_total_size(true);
  ListUsersResponse resp;
  ASSERT_TRUE(List(req, &resp).ok());
  EXPECT_EQ(resp.total_size(), 333);
}

}  // namespace
}  // namespace defifundr
