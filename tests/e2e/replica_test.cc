// Past one machine, on one machine: a PostgreSQL primary and its streaming
// replica (scripts/pg_pair.sh: pg_basebackup -R), three defifundr-data
// processes on their own ports, and clients balancing over all three
// (round_robin over an ipv4: list). Load spread, rolling restarts, reads
// on the replica with read-your-writes, a replica that lags or is down,
// and a failover to the promoted replica.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "db/pg/connection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"

namespace defifundr {
namespace {

using namespace data::v1;  // NOLINT
using testing::FreePort;
using testing::ReadAll;

constexpr char kTokenKey[] = "defifundr-consistency-token";

// GET http://127.0.0.1:port/metrics; "" when it cannot.
std::string ScrapeMetrics(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request =
      "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  if (write(fd, request.data(), request.size()) < 0) {
    close(fd);
    return "";
  }
  std::string out;
  char buffer[8192];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof(buffer))) > 0) out.append(buffer, n);
  close(fd);
  return out;
}

// The value of the sample `series` (name and labels as printed) in a
// scrape; -1 when absent.
double Sample(const std::string& scrape, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(scrape, '\n')) {
    if (absl::StartsWith(line, series + " ")) {
      double v;
      if (absl::SimpleAtod(line.substr(series.size() + 1), &v)) return v;
    }
  }
  return -1;
}

// A primary and its streaming replica in a directory of their own.
class Pair {
 public:
  Pair() {
    static int count = 0;
    dir_ = absl::StrCat("/tmp/defifundr-pair-", getpid(), "-", ++count);
    primary_port_ = FreePort();
    do {
      replica_port_ = FreePort();
    } while (replica_port_ == primary_port_);
  }
  ~Pair() { Run("destroy"); }

  // Runs scripts/pg_pair.sh's `command`; true on success.
  bool Run(const std::string& command, const std::string& arg = "") {
    std::vector<std::string> args = {DEFIFUNDR_PG_PAIR_SCRIPT, dir_,
                                     absl::StrCat(primary_port_),
                                     absl::StrCat(replica_port_), command};
    if (!arg.empty()) args.push_back(arg);
    std::string out;
    const int rc =
        testing::RunProcess("/bin/bash", args, {}, &out, absl::Seconds(120));
    if (rc != 0) ADD_FAILURE() << "pg_pair.sh " << command << ": " << out;
    return rc == 0;
  }

  static std::string Url(int port) {
    return absl::StrCat("postgresql://postgres@127.0.0.1:", port,
                        "/defifundr?sslmode=disable");
  }
  std::string primary_url() const { return Url(primary_port_); }
  std::string replica_url() const { return Url(replica_port_); }
  // libpq's multi-host URI: whichever of the two accepts writes.
  std::string both_url() const {
    return absl::StrCat("postgresql://postgres@127.0.0.1:", primary_port_,
                        ",127.0.0.1:", replica_port_,
                        "/defifundr?sslmode=disable&target_session_attrs="
                        "read-write&connect_timeout=2");
  }

  std::string Scalar(const std::string& url, const std::string& sql) {
    auto conn = db::pg::Connection::Open(url, absl::Now() + absl::Seconds(10));
    if (!conn.ok()) return absl::StrCat("error: ", conn.status().message());
    auto r = (*conn)->Exec(sql);
    if (!r.ok()) return absl::StrCat("error: ", r.status().message());
    auto v = r->row(0).Get<std::string>(0);
    return v.ok() ? *v : "error";
  }

 private:
  std::string dir_;
  int primary_port_ = 0;
  int replica_port_ = 0;
};

// One `defifundr-data serve` process on a port of its own, which a restart
// keeps.
class Server {
 public:
  Server(testing::Env env) : env_(std::move(env)) {
    static int count = 0;
    log_ = absl::StrCat(::testing::TempDir(), "/replica-serve-", getpid(), "-",
                        ++count, ".log");
    port_ = FreePort();
    metrics_port_ = FreePort();
  }
  ~Server() { Stop(); }

  // Starts it and waits until its health check is SERVING. The log is
  // kept across restarts (appended), so that calls can be counted.
  bool Start() {
    testing::Env env = env_;
    env.push_back({"GRPC_LISTEN", absl::StrCat("127.0.0.1:", port_)});
    env.push_back({"METRICS_LISTEN", absl::StrCat("127.0.0.1:", metrics_port_)});
    env.push_back({"LOG_FORMAT", "json"});
    const std::string run_log = absl::StrCat(log_, ".", ++runs_);
    pid_ = testing::SpawnProcess(DEFIFUNDR_DATA_BINARY, {"serve"}, env,
                                 run_log);
    client::ClientOptions options;
    options.target = absl::StrCat("127.0.0.1:", port_);
    client::Client probe(options);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (absl::Now() < deadline) {
      grpc::health::v1::HealthCheckRequest req;
      grpc::health::v1::HealthCheckResponse resp;
      auto ctx = probe.NewContext(absl::Seconds(1));
      if (probe.health().Check(ctx.get(), req, &resp).ok() &&
          resp.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
        return true;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    ADD_FAILURE() << "server on port " << port_
                  << " not SERVING: " << ReadAll(run_log);
    return false;
  }
  // SIGTERM; waits for the drain and the exit. Returns the exit code.
  int Stop() {
    if (pid_ <= 0) return 0;
    const int rc = testing::StopProcess(pid_, absl::Seconds(30));
    pid_ = -1;
    return rc;
  }
  // Everything every run of it logged.
  std::string Log() const {
    std::string all;
    for (int i = 1; i <= runs_; ++i) {
      absl::StrAppend(&all, ReadAll(absl::StrCat(log_, ".", i)));
    }
    return all;
  }
  int port() const { return port_; }
  std::string Metrics() const { return ScrapeMetrics(metrics_port_); }

 private:
  testing::Env env_;
  std::string log_;
  int runs_ = 0;
  int port_ = 0;
  int metrics_port_ = 0;
  pid_t pid_ = -1;
};

// Lines of an RPC of `method` in a JSON log.
int CountRpcs(const std::string& log, const std::string& method) {
  int n = 0;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, "\"msg\":\"rpc\"") &&
        absl::StrContains(line, method)) {
      ++n;
    }
  }
  return n;
}

User NewUser(const std::string& email) {
  User u;
  u.set_email(email);
  u.set_account_type(ACCOUNT_TYPE_PERSONAL);
  u.set_personal_account_type(PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
  u.set_first_name("Ada");
  u.set_last_name("Okafor");
  u.set_nationality("Nigeria");
  return u;
}

class ReplicaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pair_.Run("start"));
    std::string out;
    ASSERT_EQ(testing::RunProcess(DEFIFUNDR_DATA_BINARY, {"migrate", "up"},
                                  {{"DATABASE_URL", pair_.primary_url()}},
                                  &out),
              0)
        << out;
  }
  void TearDown() override { servers_.clear(); }

  // Starts `n` servers with `env` on top of the defaults.
  void StartServers(int n, const testing::Env& env) {
    for (int i = 0; i < n; ++i) {
      servers_.push_back(std::make_unique<Server>(env));
      ASSERT_TRUE(servers_.back()->Start());
    }
  }
  // A client balancing over every server (round_robin, ipv4: list).
  std::unique_ptr<client::Client> Balanced() const {
    std::vector<std::string> addresses;
    for (const auto& s : servers_) {
      addresses.push_back(absl::StrCat("127.0.0.1:", s->port()));
    }
    client::ClientOptions options;
    options.target = absl::StrCat("ipv4:", absl::StrJoin(addresses, ","));
    options.load_balancing_policy = "round_robin";
    return std::make_unique<client::Client>(options);
  }
  // Creates a user; returns the consistency token of the response ("" if
  // it carried none).
  static std::string CreateWithToken(client::Client& api,
                                     const std::string& email, User* out) {
    CreateUserRequest req;
    *req.mutable_user() = NewUser(email);
    auto ctx = api.NewContext();
    grpc::Status s = api.users().CreateUser(ctx.get(), req, out);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    const auto& md = ctx->GetServerInitialMetadata();
    const auto token = md.find(kTokenKey);
    return token == md.end()
               ? ""
               : std::string(token->second.data(), token->second.size());
  }
  User Create(client::Client& api, const std::string& email) {
    CreateUserRequest req;
    *req.mutable_user() = NewUser(email);
    User out;
    auto ctx = api.NewContext();
    grpc::Status s = api.users().CreateUser(ctx.get(), req, &out);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    return out;
  }

  Pair pair_;
  std::vector<std::unique_ptr<Server>> servers_;

 public:
  // The port of server `i`.
  int port(int i) const { return servers_[i]->port(); }
};

// Calls through a round_robin client reach each of the three servers.
TEST_F(ReplicaTest, CallsSpreadOverThreeServers) {
  StartServers(3, {{"DATABASE_URL", pair_.primary_url()},
                   {"DATABASE_READ_URL", pair_.replica_url()}});
  auto api = Balanced();
  const User ada = Create(*api, "spread3@example.com");
  int ok = 0;
  for (int i = 0; i < 90; ++i) {
    GetUserRequest req;
    req.set_id(ada.id());
    // Each call presents no token: any server, the replica may lag.
    User got;
    auto ctx = api->NewContext();
    grpc::Status s = api->users().GetUser(ctx.get(), req, &got);
    if (s.ok() || s.error_code() == grpc::StatusCode::NOT_FOUND) ++ok;
  }
  EXPECT_EQ(ok, 90);
  for (auto& server : servers_) {
    server->Stop();
    const int calls = CountRpcs(server->Log(), "/GetUser");
    std::printf("server on port %d: %d GetUser calls\n", server->port(), calls);
    EXPECT_GE(calls, 15) << "port " << server->port();
  }
}

// SIGTERM and restart each of the three servers in turn while 16 clients
// call GetUser (deadlines of 5 s, the client's retry policy): no call
// fails.
TEST_F(ReplicaTest, RollingRestartUnderSixteenClientsFailsNoCall) {
  StartServers(3, {{"DATABASE_URL", pair_.primary_url()}});
  User ada;
  {
    auto api = Balanced();
    ada = Create(*api, "rolling@example.com");
  }
  constexpr int kClients = 16;
  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0};
  std::mutex mu;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&] {
      auto api = Balanced();
      while (!stop.load()) {
        GetUserRequest req;
        req.set_id(ada.id());
        User got;
        auto ctx = api->NewContext(absl::Seconds(5));
        grpc::Status s = api->users().GetUser(ctx.get(), req, &got);
        calls.fetch_add(1);
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          failures.push_back(
              absl::StrCat(s.error_code(), " ", s.error_message()));
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(500));
  const absl::Time begin = absl::Now();
  for (auto& server : servers_) {
    EXPECT_EQ(server->Stop(), 0);
    ASSERT_TRUE(server->Start());
    absl::SleepFor(absl::Milliseconds(300));  // Clients find it again.
  }
  const absl::Duration took = absl::Now() - begin;
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("rolling restart of 3 servers in %.1f s under %d clients: "
              "%lld calls, %zu failed\n",
              absl::ToDoubleSeconds(took), kClients,
              static_cast<long long>(calls.load()), failures.size());
  EXPECT_GT(calls.load(), 1000);
  EXPECT_THAT(failures, ::testing::IsEmpty());
}

// With the replica replaying WAL 10 ms late, a write followed at once by a
// read that presents the write's consistency token returns the written
// value, 1,000 times in a row, and most of those reads ran on the replica.
// Reads without the token do see the replica's lag (the proof that reads
// go there).
TEST_F(ReplicaTest, ReadYourWritesThroughALaggingReplicaAThousandTimes) {
  ASSERT_TRUE(pair_.Run("delay-replica", "10"));
  StartServers(1, {{"DATABASE_URL", pair_.primary_url()},
                   {"DATABASE_READ_URL", pair_.replica_url()}});
  client::ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", servers_[0]->port());
  options.read_your_writes = false;  // The test sends the tokens itself.
  client::Client api(options);
  const User ada = Create(api, "ryw@example.com");
  int stale_without_token = 0;
  int wrong = 0;
  for (int i = 0; i < 1000; ++i) {
    UpdateUserRequest update;
    update.mutable_user()->set_id(ada.id());
    update.mutable_user()->set_first_name(absl::StrCat("v", i));
    update.mutable_update_mask()->add_paths("first_name");
    User updated;
    auto write = api.NewContext();
    grpc::Status s = api.users().UpdateUser(write.get(), update, &updated);
    ASSERT_TRUE(s.ok()) << s.error_message();
    const auto& md = write->GetServerInitialMetadata();
    const auto token = md.find(kTokenKey);
    ASSERT_NE(token, md.end()) << "no consistency token on a write";
    const std::string lsn(token->second.data(), token->second.size());
    if (i % 100 == 0) {
      // Without the token: the replica, which lags.
      GetUserRequest get;
      get.set_id(ada.id());
      User got;
      auto ctx = api.NewContext();
      s = api.users().GetUser(ctx.get(), get, &got);
      // NOT_FOUND: the replica has not even replayed the user's creation.
      ASSERT_TRUE(s.ok() || s.error_code() == grpc::StatusCode::NOT_FOUND)
          << s.error_message();
      if (!s.ok() || got.first_name() != absl::StrCat("v", i)) {
        ++stale_without_token;
      }
    }
    GetUserRequest get;
    get.set_id(ada.id());
    User got;
    auto read = api.NewContext();
    read->AddMetadata(kTokenKey, lsn);
    s = api.users().GetUser(read.get(), get, &got);
    ASSERT_TRUE(s.ok()) << s.error_message();
    if (got.first_name() != absl::StrCat("v", i)) ++wrong;
  }
  EXPECT_EQ(wrong, 0);
  const std::string metrics = servers_[0]->Metrics();
  const double on_replica =
      Sample(metrics, R"(defifundr_db_reads_total{reason="",target="replica"})");
  const double lagging = Sample(
      metrics,
      R"(defifundr_db_reads_total{reason="replica_lagging",target="primary"})");
  std::printf("1000 writes, each read back with its token: %d wrong; "
              "%.0f reads on the replica, %.0f on the primary (lagging); "
              "%d of 10 token-less reads stale\n",
              wrong, on_replica, lagging, stale_without_token);
  EXPECT_GE(on_replica, 900);
  EXPECT_GE(stale_without_token, 1);
}

// The client library does it itself (ClientOptions::read_your_writes, on
// by default): it keeps the newest token its writes' responses carried and
// sends it on later calls, so reads through it see its writes without the
// caller touching metadata. Turned off, the same reads often miss them.
TEST_F(ReplicaTest, TheClientReadsItsOwnWritesWithoutHandlingTokens) {
  ASSERT_TRUE(pair_.Run("delay-replica", "10"));
  StartServers(1, {{"DATABASE_URL", pair_.primary_url()},
                   {"DATABASE_READ_URL", pair_.replica_url()}});
  for (const bool read_your_writes : {true, false}) {
    SCOPED_TRACE(read_your_writes ? "read_your_writes" : "off");
    client::ClientOptions options;
    options.target = absl::StrCat("127.0.0.1:", servers_[0]->port());
    options.read_your_writes = read_your_writes;
    client::Client api(options);
    const User ada = Create(
        api, absl::StrCat("auto-", read_your_writes, "@example.com"));
    EXPECT_EQ(api.consistency_token().empty(), !read_your_writes);
    int missed = 0;
    for (int i = 0; i < 100; ++i) {
      UpdateUserRequest update;
      update.mutable_user()->set_id(ada.id());
      update.mutable_user()->set_first_name(absl::StrCat("w", i));
      update.mutable_update_mask()->add_paths("first_name");
      User updated;
      auto write = api.NewContext();
      ASSERT_TRUE(api.users().UpdateUser(write.get(), update, &updated).ok());
      GetUserRequest get;
      get.set_id(ada.id());
      User got;
      auto read = api.NewContext();
      grpc::Status s = api.users().GetUser(read.get(), get, &got);
      if (!s.ok() || got.first_name() != absl::StrCat("w", i)) ++missed;
    }
    std::printf("read_your_writes=%d: %d of 100 reads missed the write "
                "just made\n",
                read_your_writes, missed);
    if (read_your_writes) {
      EXPECT_EQ(missed, 0);
    } else {
      EXPECT_GT(missed, 0);
    }
  }
}

// A malformed consistency token is INVALID_ARGUMENT naming the metadata
// key; a domain lookup and a list also take the token.
TEST_F(ReplicaTest, ABadTokenIsInvalidArgumentAndEveryReadTakesOne) {
  StartServers(1, {{"DATABASE_URL", pair_.primary_url()},
                   {"DATABASE_READ_URL", pair_.replica_url()}});
  client::ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", servers_[0]->port());
  client::Client api(options);
  User ada;
  const std::string lsn = CreateWithToken(api, "token@example.com", &ada);
  ASSERT_FALSE(lsn.empty()) << "no consistency token on a write";
  for (const std::string bad : {"yesterday", "1/", "/1", "123456789/0", "0/0/0"}) {
    GetUserRequest get;
    get.set_id(ada.id());
    User got;
    auto ctx = api.NewContext();
    ctx->AddMetadata(kTokenKey, bad);
    grpc::Status s = api.users().GetUser(ctx.get(), get, &got);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), ::testing::HasSubstr(kTokenKey));
  }
  GetUserByEmailRequest by_email;
  by_email.set_email("token@example.com");
  User got;
  auto ctx = api.NewContext();
  ctx->AddMetadata(kTokenKey, lsn);
  EXPECT_TRUE(api.users().GetUserByEmail(ctx.get(), by_email, &got).ok());
  EXPECT_EQ(got.id(), ada.id());
  ListUsersRequest list;
  ListUsersResponse page;
  auto list_ctx = api.NewContext();
  list_ctx->AddMetadata(kTokenKey, lsn);
  ASSERT_TRUE(api.users().ListUsers(list_ctx.get(), list, &page).ok());
  EXPECT_EQ(page.users_size(), 1);
}

// With the replica stopped, reads (with and without a token: a get, a
// list, a domain lookup) still succeed, from the primary; once it is back,
// reads go to it again.
TEST_F(ReplicaTest, WithTheReplicaStoppedReadsComeFromThePrimary) {
  StartServers(1, {{"DATABASE_URL", pair_.primary_url()},
                   {"DATABASE_READ_URL", pair_.replica_url()}});
  client::ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", servers_[0]->port());
  options.read_your_writes = false;  // Reads with and without a token.
  client::Client api(options);
  ASSERT_TRUE(pair_.Run("stop-replica"));
  User ada;
  const std::string lsn = CreateWithToken(api, "down@example.com", &ada);
  ASSERT_FALSE(lsn.empty()) << "no consistency token on a write";
  for (int i = 0; i < 20; ++i) {
    for (bool with_token : {false, true}) {
      GetUserRequest get;
      get.set_id(ada.id());
      User got;
      auto ctx = api.NewContext();
      if (with_token) ctx->AddMetadata(kTokenKey, lsn);
      grpc::Status s = api.users().GetUser(ctx.get(), get, &got);
      EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
      EXPECT_EQ(got.email(), "down@example.com");
    }
    ListUsersRequest list;
    ListUsersResponse page;
    auto ctx = api.NewContext();
    grpc::Status s = api.users().ListUsers(ctx.get(), list, &page);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    EXPECT_EQ(page.users_size(), 1);
    GetUserByEmailRequest by_email;
    by_email.set_email("down@example.com");
    User got;
    auto ctx2 = api.NewContext();
    s = api.users().GetUserByEmail(ctx2.get(), by_email, &got);
    EXPECT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
  }
  const std::string down = servers_[0]->Metrics();
  EXPECT_EQ(Sample(down, "defifundr_replica_available"), 0) << down;
  EXPECT_GE(Sample(down, R"(defifundr_db_reads_total{reason="replica_unavailable",target="primary"})"),
            1);
  // Back: within a health interval or two, reads go to the replica again.
  ASSERT_TRUE(pair_.Run("start-replica"));
  const absl::Time until = absl::Now() + absl::Seconds(15);
  double before = Sample(servers_[0]->Metrics(),
                         R"(defifundr_db_reads_total{reason="",target="replica"})");
  double after = before;
  while (after <= before && absl::Now() < until) {
    GetUserRequest get;
    get.set_id(ada.id());
    User got;
    auto ctx = api.NewContext();
    EXPECT_TRUE(api.users().GetUser(ctx.get(), get, &got).ok());
    absl::SleepFor(absl::Milliseconds(100));
    after = Sample(servers_[0]->Metrics(),
                   R"(defifundr_db_reads_total{reason="",target="replica"})");
  }
  EXPECT_GT(after, before);
}

// Creates transactions one after another, each with its own request_id,
// which it retries (with the same request_id) on any error for up to 30 s,
// as a DefiFundr service would. Records what was acknowledged and every
// error on the way.
class Writer {
 public:
  // `index` keeps its request_ids and tx_hashes apart from other writers'.
  Writer(client::Client& api, std::string user_id, int index)
      : api_(api),
        user_id_(std::move(user_id)),
        index_(index),
        thread_([this] { Loop(); }) {}
  ~Writer() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t acknowledged_count() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_.size();
  }
  std::vector<std::string> acknowledged() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_;
  }
  std::map<std::string, int> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }
  // The longest time one write took from its first attempt to its
  // acknowledgement.
  absl::Duration longest() {
    std::lock_guard<std::mutex> lock(mu_);
    return longest_;
  }

 private:
  void Loop() {
    for (int n = 0; !stop_.load(); ++n) {
      CreateTransactionRequest req;
      req.set_request_id(absl::StrCat("00000000-0000-4000-8000-",
                                      absl::Dec(index_, absl::kZeroPad4),
                                      absl::Dec(n, absl::kZeroPad8)));
      req.mutable_transaction()->set_user_id(user_id_);
      req.mutable_transaction()->set_tx_hash(
          absl::StrCat("0xfail", index_, "-", n));
      req.mutable_transaction()->set_transaction_pin_hash("pin-hash");
      req.mutable_transaction()->set_status(TRANSACTION_STATUS_PENDING);
      const absl::Time first_try = absl::Now();
      while (absl::Now() < first_try + absl::Seconds(30)) {
        Transaction out;
        auto ctx = api_.NewContext(absl::Seconds(2));
        grpc::Status s =
            api_.transactions().CreateTransaction(ctx.get(), req, &out);
        {
          std::lock_guard<std::mutex> lock(mu_);
          if (s.ok()) {
            acknowledged_.push_back(out.id());
            longest_ = std::max(longest_, absl::Now() - first_try);
          } else {
            ++errors_[absl::StrCat(
                s.error_code(),
                s.error_code() == grpc::StatusCode::UNAVAILABLE
                    ? ""
                    : absl::StrCat(" ", s.error_message()))];
          }
        }
        if (s.ok()) break;
        absl::SleepFor(absl::Milliseconds(50));
      }
      absl::SleepFor(absl::Milliseconds(5));
    }
  }

  client::Client& api_;
  const std::string user_id_;
  const int index_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> acknowledged_;
  std::map<std::string, int> errors_;  // "code[ message]": count
  absl::Duration longest_;
  std::thread thread_;
};

// Four writers at once, so that some writes are in flight at any moment.
class Writers {
 public:
  Writers(client::Client& api, const std::string& user_id) {
    for (int i = 0; i < 4; ++i) {
      writers_.push_back(std::make_unique<Writer>(api, user_id, i));
    }
  }
  void Stop() {
    for (auto& w : writers_) w->Stop();
  }
  // Waits until every writer has `n` more writes acknowledged than now;
  // returns when, or InfiniteFuture after `timeout`.
  absl::Time AwaitMore(size_t n, absl::Duration timeout) {
    std::vector<size_t> from;
    for (auto& w : writers_) from.push_back(w->acknowledged_count());
    const absl::Time until = absl::Now() + timeout;
    while (absl::Now() < until) {
      bool all = true;
      for (size_t i = 0; i < writers_.size(); ++i) {
        all = all && writers_[i]->acknowledged_count() >= from[i] + n;
      }
      if (all) return absl::Now();
      absl::SleepFor(absl::Milliseconds(10));
    }
    return absl::InfiniteFuture();
  }
  std::vector<std::string> acknowledged() {
    std::vector<std::string> all;
    for (auto& w : writers_) {
      for (std::string& id : w->acknowledged()) all.push_back(std::move(id));
    }
    return all;
  }
  std::map<std::string, int> errors() {
    std::map<std::string, int> all;
    for (auto& w : writers_) {
      for (const auto& [code, n] : w->errors()) all[code] += n;
    }
    return all;
  }
  absl::Duration longest() {
    absl::Duration longest;
    for (auto& w : writers_) longest = std::max(longest, w->longest());
    return longest;
  }
  std::string Summary() {
    std::string error_list;
    for (const auto& [code, n] : errors()) {
      absl::StrAppend(&error_list, code, " x", n, "; ");
    }
    return absl::StrCat(acknowledged().size(),
                        " writes acknowledged (4 writers); longest write "
                        "(with its retries) ",
                        absl::FormatDuration(longest()),
                        "; errors on the way: ",
                        error_list.empty() ? "none" : error_list);
  }

 private:
  std::vector<std::unique_ptr<Writer>> writers_;
};

// Every acknowledged write is on `url` once, and no request_id has two
// rows.
void ExpectEveryWriteOnce(Pair& pair, const std::string& url,
                          const std::vector<std::string>& acknowledged) {
  EXPECT_EQ(pair.Scalar(url, absl::StrCat("SELECT count(*) FROM transactions "
                                          "WHERE id IN ('",
                                          absl::StrJoin(acknowledged, "','"),
                                          "')")),
            absl::StrCat(acknowledged.size()));
  EXPECT_EQ(pair.Scalar(url,
                        "SELECT count(*) FROM (SELECT request_id FROM "
                        "transactions GROUP BY request_id HAVING count(*) > "
                        "1) AS twice"),
            "0");
}

// Four writers write through a server whose DATABASE_URL names both hosts
// (target_session_attrs=read-write) while `change` moves the primary to the
// replica. Then: writes resumed, none took more than 5 s with its retries,
// every error on the way was UNAVAILABLE, and every acknowledged write is
// on the new primary once (no request_id has two rows). The acknowledged
// ids go to `acknowledged`.
void WriteThroughASwitch(Pair& pair, ReplicaTest* test, const char* what,
                         const std::function<void()>& change,
                         std::vector<std::string>* acknowledged) {
  client::ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", test->port(0));
  options.retry.max_attempts = 1;  // The writers retry, with request_ids.
  client::Client api(options);
  CreateUserRequest create;
  *create.mutable_user() = NewUser(absl::StrCat(what, "@example.com"));
  User ada;
  auto ctx = api.NewContext();
  ASSERT_TRUE(api.users().CreateUser(ctx.get(), create, &ada).ok());
  Writers writers(api, ada.id());
  ASSERT_LT(writers.AwaitMore(10, absl::Seconds(10)), absl::InfiniteFuture());
  const absl::Time switched = absl::Now();
  change();
  const absl::Time resumed = writers.AwaitMore(10, absl::Seconds(20));
  writers.Stop();
  std::printf("%s: writes resumed %.2f s after the switch began; %s\n", what,
              absl::ToDoubleSeconds(resumed - switched),
              writers.Summary().c_str());
  ASSERT_LT(resumed, absl::InfiniteFuture()) << "writes did not resume";
  EXPECT_LE(writers.longest(), absl::Seconds(5));
  for (const auto& [code, n] : writers.errors()) {
    EXPECT_EQ(code, "14") << code << " x" << n;  // UNAVAILABLE only.
  }
  EXPECT_EQ(pair.Scalar(pair.replica_url(), "SELECT pg_is_in_recovery()::text"),
            "false");
  *acknowledged = writers.acknowledged();
  ExpectEveryWriteOnce(pair, pair.replica_url(), *acknowledged);
}

// A replica further behind than MAX_REPLICA_LAG_BYTES (as the health loop
// measured it) gets no read without a token: those go to the primary and
// return the newest value; once it has caught up, reads go back to it.
TEST_F(ReplicaTest, AReplicaTooFarBehindGetsNoReadWithoutAToken) {
  StartServers(1, {{"DATABASE_URL", pair_.primary_url()},
                   {"DATABASE_READ_URL", pair_.replica_url()},
                   {"MAX_REPLICA_LAG_BYTES", "4096"}});
  client::ClientOptions options;
  options.target = absl::StrCat("127.0.0.1:", servers_[0]->port());
  options.read_your_writes = false;
  client::Client api(options);
  const User ada = Create(api, "lag@example.com");
  ASSERT_TRUE(pair_.Run("delay-replica", "60000"));
  for (int i = 0; i < 100; ++i) {
    UpdateUserRequest update;
    update.mutable_user()->set_id(ada.id());
    update.mutable_user()->set_first_name(absl::StrCat("lag", i));
    update.mutable_update_mask()->add_paths("first_name");
    User updated;
    auto ctx = api.NewContext();
    ASSERT_TRUE(api.users().UpdateUser(ctx.get(), update, &updated).ok());
  }
  const std::string lagging =
      R"(defifundr_db_reads_total{reason="replica_lagging",target="primary"})";
  const std::string replica =
      R"(defifundr_db_reads_total{reason="",target="replica"})";
  absl::Time until = absl::Now() + absl::Seconds(15);
  while (Sample(servers_[0]->Metrics(), "defifundr_replica_lag_bytes") <= 4096 &&
         absl::Now() < until) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  const std::string before = servers_[0]->Metrics();
  ASSERT_GT(Sample(before, "defifundr_replica_lag_bytes"), 4096) << before;
  for (int i = 0; i < 10; ++i) {
    GetUserRequest get;
    get.set_id(ada.id());
    User got;
    auto ctx = api.NewContext();
    ASSERT_TRUE(api.users().GetUser(ctx.get(), get, &got).ok());
    EXPECT_EQ(got.first_name(), "lag99");  // The primary's.
  }
  const std::string after = servers_[0]->Metrics();
  EXPECT_EQ(Sample(after, lagging) - Sample(before, lagging), 10);
  EXPECT_EQ(Sample(after, replica), Sample(before, replica));
  // Caught up: token-less reads go to the replica again.
  ASSERT_TRUE(pair_.Run("delay-replica", "0"));
  until = absl::Now() + absl::Seconds(15);
  double on_replica = Sample(after, replica);
  while (on_replica <= Sample(after, replica) && absl::Now() < until) {
    GetUserRequest get;
    get.set_id(ada.id());
    User got;
    auto ctx = api.NewContext();
    EXPECT_TRUE(api.users().GetUser(ctx.get(), get, &got).ok());
    absl::SleepFor(absl::Milliseconds(100));
    on_replica = Sample(servers_[0]->Metrics(), replica);
  }
  EXPECT_GT(on_replica, Sample(after, replica));
}

// Failover: the primary stops and the replica is promoted.
TEST_F(ReplicaTest, FailoverToThePromotedReplicaLosesNoWrite) {
  StartServers(1, {{"DATABASE_URL", pair_.both_url()}});
  std::vector<std::string> acknowledged;
  WriteThroughASwitch(pair_, this, "failover", [&] {
    ASSERT_TRUE(pair_.Run("stop-primary"));
    ASSERT_TRUE(pair_.Run("promote"));
  }, &acknowledged);
}

// Switchover with the old primary still running: it turns read-only
// (default_transaction_read_only, as a demoted primary is), so writes on
// the server's open connections to it fail with SQLSTATE 25006. Those
// answer UNAVAILABLE and retire their connections; once the replica has
// caught up and is promoted, new connections go to it.
TEST_F(ReplicaTest, AReadOnlyOldPrimaryLosesItsConnectionsToTheNewOne) {
  StartServers(1, {{"DATABASE_URL", pair_.both_url()}});
  std::vector<std::string> acknowledged;
  WriteThroughASwitch(pair_, this, "switchover", [&] {
    // A command without rows: Scalar reads none.
    EXPECT_EQ(pair_.Scalar(pair_.primary_url(),
                           "ALTER SYSTEM SET default_transaction_read_only = "
                           "on"),
              "error");
    EXPECT_EQ(pair_.Scalar(pair_.primary_url(), "SELECT pg_reload_conf()::text"),
              "true");
    // The replica replays everything the old primary wrote, then takes over.
    const std::string lsn = pair_.Scalar(
        pair_.primary_url(), "SELECT pg_current_wal_insert_lsn()::text");
    const absl::Time until = absl::Now() + absl::Seconds(10);
    while (pair_.Scalar(pair_.replica_url(),
                        absl::StrCat("SELECT (pg_last_wal_replay_lsn() >= '",
                                     lsn, "')::text")) != "true" &&
           absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(10));
    }
    ASSERT_TRUE(pair_.Run("promote"));
  }, &acknowledged);
  // The writes after the switch are on the new primary, not the old one.
  EXPECT_LT(std::stoi(pair_.Scalar(pair_.primary_url(),
                                   "SELECT count(*) FROM transactions")),
            static_cast<int>(acknowledged.size()));
}

}  // namespace
}  // namespace defifundr
