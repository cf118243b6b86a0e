// SessionService's domain methods, RotateSession under concurrency, and
// idempotent creates (AIP-155).
#include <thread>

#include "tests/integration/domain_fixture.h"

namespace defifundr {
namespace {

using testing::DomainTest;
using namespace data::v1;  // NOLINT

using SessionDomainTest = DomainTest;

TEST_F(SessionDomainTest, LookupsCountsAndTokenUpdates) {
  const User u = MakeUser("s@example.com");
  const Session a = MakeSession(u.id(), "refresh-a");
  MakeSession(u.id(), "refresh-b");
  MakeSession(u.id(), "refresh-expired", -absl::Hours(1));

  GetSessionByRefreshTokenRequest by_token;
  by_token.set_refresh_token("refresh-a");
  Session got;
  auto ctx = Ctx();
  ASSERT_TRUE(api()
                  .sessions()
                  .GetSessionByRefreshToken(ctx.get(), by_token, &got)
                  .ok());
  EXPECT_EQ(got.id(), a.id());
  by_token.set_refresh_token("nope");
  ctx = Ctx();
  EXPECT_EQ(api()
                .sessions()
                .GetSessionByRefreshToken(ctx.get(), by_token, &got)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  by_token.set_refresh_token("");
  ctx = Ctx();
  EXPECT_EQ(api()
                .sessions()
                .GetSessionByRefreshToken(ctx.get(), by_token, &got)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  CountActiveSessionsRequest count;
  count.set_user_id(u.id());
  CountResponse n;
  ctx = Ctx();
  ASSERT_TRUE(api().sessions().CountActiveSessions(ctx.get(), count, &n).ok());
  EXPECT_EQ(n.count(), 2);
  count.set_user_id("bad");
  ctx = Ctx();
  EXPECT_EQ(
      api().sessions().CountActiveSessions(ctx.get(), count, &n).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);

  UpdateRefreshTokenRequest upd;
  upd.set_id(a.id());
  upd.set_refresh_token("refresh-a2");
  ctx = Ctx();
  ASSERT_TRUE(api().sessions().UpdateRefreshToken(ctx.get(), upd, &got).ok());
  EXPECT_EQ(got.refresh_token(), "refresh-a2");
  upd.set_id("00000000-0000-4000-8000-000000000000");
  ctx = Ctx();
  EXPECT_EQ(
      api().sessions().UpdateRefreshToken(ctx.get(), upd, &got).error_code(),
      grpc::StatusCode::NOT_FOUND);
}

// Refresh tokens are not unique in DefiFundr's databases: with two sessions
// holding one, the newest answers (never INTERNAL "expected one row").
// A user agent over 1 KiB is refused, naming the field; nothing is written.
TEST_F(SessionDomainTest, DuplicateRefreshTokensAnswerTheNewestAndLongAgentsAreRefused) {
  const User u = MakeUser("dup@example.com");
  const Session older = MakeSession(u.id(), "shared-token");
  absl::SleepFor(absl::Milliseconds(5));
  const Session newer = MakeSession(u.id(), "shared-token");
  GetSessionByRefreshTokenRequest get;
  get.set_refresh_token("shared-token");
  Session got;
  auto ctx = Ctx();
  const grpc::Status s =
      api().sessions().GetSessionByRefreshToken(ctx.get(), get, &got);
  ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  EXPECT_EQ(got.id(), newer.id());
  EXPECT_NE(got.id(), older.id());

  CreateSessionRequest req;
  Session* n = req.mutable_session();
  n->set_user_id(u.id());
  n->set_refresh_token("another");
  n->set_user_agent(std::string(4096, 'a'));
  n->set_user_login_type("email");
  n->set_client_ip("127.0.0.1");
  n->mutable_expires_at()->set_seconds(absl::ToUnixSeconds(absl::Now()) + 60);
  Session out;
  ctx = Ctx();
  const grpc::Status long_agent =
      api().sessions().CreateSession(ctx.get(), req, &out);
  EXPECT_EQ(long_agent.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(long_agent.error_message(),
              ::testing::HasSubstr("session.user_agent: longer than 1024 bytes"));
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM sessions"), "2");
}

// Hostile values are bounded: DeleteExpiredSessions checks its timestamp
// as Create does (nanos out of range is INVALID_ARGUMENT, nothing deleted),
// and a 1 MiB update_mask path is quoted only in part in the error.
TEST_F(SessionDomainTest, BadTimestampsAndHugeMaskPathsAreRefusedBriefly) {
  const User u = MakeUser("hostile@example.com");
  MakeSession(u.id(), "tok", absl::Seconds(1));
  DeleteExpiredSessionsRequest del;
  del.mutable_expired_before()->set_seconds(absl::ToUnixSeconds(absl::Now()) +
                                            3600);
  del.mutable_expired_before()->set_nanos(1000000000);
  AffectedRowsResponse affected;
  auto ctx = Ctx();
  const grpc::Status s =
      api().sessions().DeleteExpiredSessions(ctx.get(), del, &affected);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(),
              ::testing::HasSubstr("expired_before: timestamp out of range"));
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM sessions"), "1");

  UpdateUserRequest update;
  update.mutable_user()->set_id(u.id());
  update.mutable_update_mask()->add_paths(std::string(1 << 20, 'p'));
  User out;
  ctx = Ctx();
  const grpc::Status m = api().users().UpdateUser(ctx.get(), update, &out);
  EXPECT_EQ(m.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(m.error_message().size(), 200u) << m.error_message().size();
  EXPECT_THAT(m.error_message(), ::testing::HasSubstr("(1048576 bytes)"));
}

TEST_F(SessionDomainTest, BlockingAndDeleting) {
  const User u = MakeUser("b@example.com");
  const User other = MakeUser("o@example.com");
  const Session a = MakeSession(u.id(), "r1");
  MakeSession(u.id(), "r2");
  MakeSession(other.id(), "r3");
  MakeSession(other.id(), "r4", -absl::Hours(2));

  BlockSessionRequest block;
  block.set_id(a.id());
  Session blocked;
  auto ctx = Ctx();
  ASSERT_TRUE(api().sessions().BlockSession(ctx.get(), block, &blocked).ok());
  EXPECT_TRUE(blocked.is_blocked());
  block.set_id("00000000-0000-4000-8000-000000000000");
  ctx = Ctx();
  EXPECT_EQ(
      api().sessions().BlockSession(ctx.get(), block, &blocked).error_code(),
      grpc::StatusCode::NOT_FOUND);

  AffectedRowsResponse affected;
  BlockUserSessionsRequest block_user;
  block_user.set_user_id(u.id());
  ctx = Ctx();
  ASSERT_TRUE(api()
                  .sessions()
                  .BlockUserSessions(ctx.get(), block_user, &affected)
                  .ok());
  EXPECT_EQ(affected.affected_rows(), 1);  // a was already blocked.
  block_user.clear_user_id();
  ctx = Ctx();
  EXPECT_EQ(api()
                .sessions()
                .BlockUserSessions(ctx.get(), block_user, &affected)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  BlockExpiredSessionsRequest block_expired;
  ctx = Ctx();
  ASSERT_TRUE(api()
                  .sessions()
                  .BlockExpiredSessions(ctx.get(), block_expired, &affected)
                  .ok());
  EXPECT_EQ(affected.affected_rows(), 1);

  DeleteExpiredSessionsRequest delete_expired;
  *delete_expired.mutable_expired_before() = testing::In(absl::ZeroDuration());
  ctx = Ctx();
  ASSERT_TRUE(api()
                  .sessions()
                  .DeleteExpiredSessions(ctx.get(), delete_expired, &affected)
                  .ok());
  EXPECT_EQ(affected.affected_rows(), 1);
  delete_expired.clear_expired_before();
  ctx = Ctx();
  EXPECT_EQ(api()
                .sessions()
                .DeleteExpiredSessions(ctx.get(), delete_expired, &affected)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  DeleteUserSessionsRequest delete_user;
  delete_user.set_user_id(u.id());
  ctx = Ctx();
  ASSERT_TRUE(api()
                  .sessions()
                  .DeleteUserSessions(ctx.get(), delete_user, &affected)
                  .ok());
  EXPECT_EQ(affected.affected_rows(), 2);
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM sessions"), "1");
}

RotateSessionRequest Rotation(const std::string& id, const std::string& token) {
  RotateSessionRequest req;
  req.set_id(id);
  auto* s = req.mutable_session();
  s->set_refresh_token(token);
  s->set_user_agent("rotated");
  s->set_user_login_type("email");
  s->set_client_ip("127.0.0.1");
  *s->mutable_expires_at() = testing::In(absl::Hours(24));
  return req;
}

TEST_F(SessionDomainTest, RotateSessionBlocksOldAndCreatesNew) {
  const User u = MakeUser("r@example.com");
  const Session old = MakeSession(u.id(), "old-token");
  Session fresh;
  auto ctx = Ctx();
  ASSERT_TRUE(
      api()
          .sessions()
          .RotateSession(ctx.get(), Rotation(old.id(), "new-token"), &fresh)
          .ok());
  EXPECT_NE(fresh.id(), old.id());
  EXPECT_EQ(fresh.user_id(), u.id());
  EXPECT_FALSE(fresh.is_blocked());
  EXPECT_EQ(db().Scalar("SELECT is_blocked FROM sessions WHERE id = '" +
                        old.id() + "'"),
            "t");
  // The old one is no longer active.
  ctx = Ctx();
  EXPECT_EQ(api()
                .sessions()
                .RotateSession(ctx.get(), Rotation(old.id(), "x"), &fresh)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  ctx = Ctx();
  EXPECT_EQ(
      api()
          .sessions()
          .RotateSession(ctx.get(),
                         Rotation("00000000-0000-4000-8000-000000000000", "x"),
                         &fresh)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
  const Session expired = MakeSession(u.id(), "expired", -absl::Minutes(1));
  ctx = Ctx();
  EXPECT_EQ(api()
                .sessions()
                .RotateSession(ctx.get(), Rotation(expired.id(), "x"), &fresh)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Another user's id in the replacement is refused, and nothing changes.
  const User other = MakeUser("other@example.com");
  const Session live = MakeSession(u.id(), "live");
  RotateSessionRequest wrong = Rotation(live.id(), "y");
  wrong.mutable_session()->set_user_id(other.id());
  ctx = Ctx();
  EXPECT_EQ(
      api().sessions().RotateSession(ctx.get(), wrong, &fresh).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(db().Scalar("SELECT is_blocked FROM sessions WHERE id = '" +
                        live.id() + "'"),
            "f");
}

TEST_F(SessionDomainTest, TwentyConcurrentRotationsOfOneSessionExactlyOneWins) {
  const User u = MakeUser("c@example.com");
  const Session old = MakeSession(u.id(), "contested");
  const int before = std::stoi(db().Scalar("SELECT count(*) FROM sessions"));
  std::vector<grpc::StatusCode> codes(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      Session out;
      auto ctx = Ctx();
      codes[i] =
          api()
              .sessions()
              .RotateSession(ctx.get(),
                             Rotation(old.id(), absl::StrCat("t", i)), &out)
              .error_code();
    });
  }
  for (auto& t : threads) t.join();
  int ok = 0;
  for (grpc::StatusCode c : codes) {
    if (c == grpc::StatusCode::OK) {
      ++ok;
    } else {
      EXPECT_TRUE(c == grpc::StatusCode::FAILED_PRECONDITION ||
                  c == grpc::StatusCode::ABORTED)
          << c;
    }
  }
  EXPECT_EQ(ok, 1);
  EXPECT_EQ(std::stoi(db().Scalar("SELECT count(*) FROM sessions")),
            before + 1);
}

TEST_F(SessionDomainTest, CreateWithSameRequestIdTwiceWritesOneRow) {
  const User u = MakeUser("i@example.com");
  CreateSessionRequest req;
  auto* s = req.mutable_session();
  s->set_user_id(u.id());
  s->set_refresh_token("idem");
  s->set_user_agent("a");
  s->set_user_login_type("email");
  s->set_client_ip("127.0.0.1");
  *s->mutable_expires_at() = testing::In(absl::Hours(1));
  req.set_request_id("5f0c6a52-3d4e-4a8b-9c1d-2e3f4a5b6c7d");
  Session first, second;
  auto ctx = Ctx();
  ASSERT_TRUE(api().sessions().CreateSession(ctx.get(), req, &first).ok());
  ctx = Ctx();
  ASSERT_TRUE(api().sessions().CreateSession(ctx.get(), req, &second).ok());
  EXPECT_EQ(first.id(), second.id());
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM sessions"), "1");

  // Concurrently, with a new request_id: still one row, one id for all.
  req.set_request_id("6a1d7b63-4e5f-4b9c-8d2e-3f4a5b6c7d8e");
  std::vector<std::string> ids(10);
  std::vector<std::thread> threads;
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      Session out;
      auto c = Ctx();
      grpc::Status st = api().sessions().CreateSession(c.get(), req, &out);
      EXPECT_TRUE(st.ok()) << st.error_message();
      ids[i] = out.id();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(db().Scalar("SELECT count(*) FROM sessions"), "2");

  req.set_request_id("not-a-uuid");
  ctx = Ctx();
  EXPECT_EQ(api().sessions().CreateSession(ctx.get(), req, &first).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace defifundr
