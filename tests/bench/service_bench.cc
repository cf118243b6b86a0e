// Service benchmarks: the latency of typical RPCs through the full stack
// (gRPC, validation, pool, prepared statement, mapping) against a local
// PostgreSQL, next to the same query as a bare libpq round trip, and the cost
// of a deep keyset page against the first one.
//
//   DEFIFUNDR_TEST_DATABASE_URL=$(scripts/pg.sh url postgres)
//   build/tests/bench/service_bench
// With DB_STATEMENT_CACHE=none the server runs unnamed statements (the
// transaction-mode pooler setting) instead of prepared ones.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

constexpr int kUsers = 20000;

struct Fixture {
  std::unique_ptr<testing::TestServer> server;
  std::vector<std::string> ids;
  std::string deep_token;  // Token of a page 19,000 rows in.
};

Fixture& Shared() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    server::ServerConfig config;
    config.pool_size = 8;
    // DB_STATEMENT_CACHE=none measures the unnamed-statement mode.
    if (const char* cache = std::getenv("DB_STATEMENT_CACHE")) {
      auto mode = db::pg::ParseStatementCache(cache);
      if (!mode.ok()) abort();
      config.statement_cache = *mode;
    }
    auto s = testing::TestServer::Start(config);
    if (!s.ok()) {
      fprintf(stderr, "cannot start: %s\n",
              std::string(s.status().message()).c_str());
      abort();
    }
    fx->server = *std::move(s);
    fx->server->db().Exec(absl::StrCat(
        "INSERT INTO users (email, account_type, personal_account_type, "
        "first_name, last_name, nationality, created_at) SELECT 'b' || i || "
        "'@example.com', 'personal', 'employee', 'First' || i, 'Last', "
        "'Ghana', "
        "timestamptz '2025-01-01' + i * interval '1 second' FROM "
        "generate_series(1, ",
        kUsers, ") i"));
    fx->server->db().Exec("ANALYZE users");
    const std::string ids = fx->server->db().Scalar(
        "SELECT string_agg(id::text, ',') FROM (SELECT id FROM users LIMIT "
        "1000) s");
    for (absl::string_view id : absl::StrSplit(ids, ','))
      fx->ids.emplace_back(id);
    // Walk to a deep page once.
    data::v1::ListUsersRequest req;
    req.set_page_size(1000);
    for (int i = 0; i < 19; ++i) {
      data::v1::ListUsersResponse resp;
      grpc::ClientContext ctx;
      fx->server->client().users().ListUsers(&ctx, req, &resp);
      req.set_page_token(resp.next_page_token());
    }
    fx->deep_token = req.page_token();
    return fx;
  }();
  return *f;
}

void BM_GetUserRpc(benchmark::State& state) {
  Fixture& f = Shared();
  data::v1::GetUserRequest req;
  data::v1::User user;
  size_t i = 0;
  for (auto _ : state) {
    req.set_id(f.ids[i++ % f.ids.size()]);
    grpc::ClientContext ctx;
    grpc::Status s = f.server->client().users().GetUser(&ctx, req, &user);
    if (!s.ok()) state.SkipWithError("GetUser failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetUserRpc)->UseRealTime()->Threads(1)->Threads(4);

void BM_GetUserBareLibpq(benchmark::State& state) {
  Fixture& f = Shared();
  auto conn = f.server->db().Connect();
  if (!conn->Prepare("get",
                     "SELECT id, email, first_name, last_name, created_at "
                     "FROM users WHERE id = $1")
           .ok()) {
    state.SkipWithError("prepare failed");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    std::vector<db::pg::Param> params = {f.ids[i++ % f.ids.size()]};
    auto r = conn->ExecPrepared("get", params);
    if (!r.ok()) state.SkipWithError("query failed");
    benchmark::DoNotOptimize(r->rows());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GetUserBareLibpq)->UseRealTime();

// Lists one page of state.range(0) rows starting at `token`.
void ListPage(benchmark::State& state, const std::string& token) {
  Fixture& f = Shared();
  data::v1::ListUsersRequest req;
  req.set_page_size(static_cast<int>(state.range(0)));
  req.set_page_token(token);
  for (auto _ : state) {
    data::v1::ListUsersResponse resp;
    grpc::ClientContext ctx;
    if (!f.server->client().users().ListUsers(&ctx, req, &resp).ok()) {
      state.SkipWithError("ListUsers failed");
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_ListUsersFirstPage(benchmark::State& state) { ListPage(state, ""); }
BENCHMARK(BM_ListUsersFirstPage)->Arg(50)->Arg(1000)->UseRealTime();

// 19,000 rows in: keyset pagination makes it cost what the first page costs.
void BM_ListUsersDeepPage(benchmark::State& state) {
  ListPage(state, Shared().deep_token);
}
BENCHMARK(BM_ListUsersDeepPage)->Arg(50)->Arg(1000)->UseRealTime();

void BM_CreateSessionRpc(benchmark::State& state) {
  Fixture& f = Shared();
  data::v1::CreateSessionRequest req;
  auto* s = req.mutable_session();
  s->set_user_id(f.ids[0]);
  s->set_user_agent("bench");
  s->set_user_login_type("email");
  s->set_client_ip("127.0.0.1");
  s->mutable_expires_at()->set_seconds(4102444800);  // 2100-01-01
  int64_t n = 0;
  for (auto _ : state) {
    s->set_refresh_token(absl::StrCat("bench-", n++));
    data::v1::Session out;
    grpc::ClientContext ctx;
    if (!f.server->client().sessions().CreateSession(&ctx, req, &out).ok()) {
      state.SkipWithError("CreateSession failed");
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreateSessionRpc)->UseRealTime();

}  // namespace
}  // namespace defifundr

BENCHMARK_MAIN();
