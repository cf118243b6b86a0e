// The client library against the defifundr-data process: deadlines, the
// pagination helpers over a 2,500-row table, and gRPC's retry policy (a read
// is retried until a late server answers; a Create never is).
#include "client/client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/pager.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using data::v1::ListUsersRequest;
using data::v1::ListUsersResponse;
using data::v1::User;
using data::v1::UserService;
using ::testing::Contains;
using ::testing::Not;

constexpr char kMissingId[] = "00000000-0000-4000-8000-000000000000";

using testing::ReadAll;

using testing::FreePort;

// `defifundr-data serve` on 127.0.0.1:`port` (0: any free port) over the
// database at `url`; stopped with SIGTERM on destruction.
class ServerProcess {
 public:
  ServerProcess(
      const std::string& url, int port,
      const std::vector<std::pair<std::string, std::string>>& env = {}) {
    log_ = absl::StrCat(::testing::TempDir(), "/client-serve-", getpid(), "-",
                        ++count_, ".log");
    testing::Env all = {{"DATABASE_URL", url},
                        {"GRPC_LISTEN", absl::StrCat("127.0.0.1:", port)},
                        {"METRICS_LISTEN", "127.0.0.1:0"}};
    all.insert(all.end(), env.begin(), env.end());
    pid_ = testing::SpawnProcess(DEFIFUNDR_DATA_BINARY, {"serve"}, all, log_);
  }
  ~ServerProcess() {
    if (pid_ > 0) testing::StopProcess(pid_, absl::Seconds(15));
  }

  // The port the server bound, read from its log ("port=N"); 0 if it did
  // not say within 30 s.
  int WaitForPort() {
    const std::regex port_re("port=([0-9]+)");
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    std::smatch m;
    while (absl::Now() < deadline) {
      const std::string text = ReadAll(log_);
      if (std::regex_search(text, m, port_re)) return std::stoi(m[1]);
      absl::SleepFor(absl::Milliseconds(20));
    }
    return 0;
  }
  std::string Log() const { return ReadAll(log_); }

 private:
  static inline int count_ = 0;
  std::string log_;
  pid_t pid_ = -1;
};

void InsertUsers(const testing::TestDatabase& db, int n,
                 const std::string& prefix) {
  db.Exec(absl::StrCat(
      "INSERT INTO users (email, account_type, personal_account_type, "
      "first_name, last_name, nationality) "
      "SELECT '",
      prefix, "' || g || '@example.com', 'personal', 'contractor', 'First', ",
      "'Last', 'Ghana' FROM generate_series(1, ", n, ") AS g"));
}

// Every id in `users` and how often each was seen: 1 for all, else a failure.
void ExpectEachIdOnce(const testing::TestDatabase& db,
                      const std::map<std::string, int>& seen) {
  const int rows = std::stoi(db.Scalar("SELECT count(*) FROM users"));
  EXPECT_EQ(static_cast<int>(seen.size()), rows);
  for (const auto& [id, times] : seen) EXPECT_EQ(times, 1) << id;
  // Every row of the table was seen (not just as many as there are).
  EXPECT_EQ(db.Scalar(absl::StrCat(
                "SELECT count(*) FROM users WHERE id::text = ANY('{",
                [&] {
                  std::string ids;
                  for (const auto& [id, times] : seen) {
                    absl::StrAppend(&ids, ids.empty() ? "" : ",", id);
                  }
                  return ids;
                }(),
                "}'::text[])")),
            std::to_string(rows));
}

class ClientServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    server_ = std::make_unique<ServerProcess>(db_->url(), 0);
    const int port = server_->WaitForPort();
    ASSERT_GT(port, 0) << server_->Log();
    target_ = absl::StrCat("127.0.0.1:", port);
    client_ = NewClient(absl::Seconds(10));
  }

  std::unique_ptr<client::Client> NewClient(absl::Duration timeout) {
    client::ClientOptions options;
    options.target = target_;
    options.default_timeout = timeout;
    return std::make_unique<client::Client>(options);
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  std::string target_;
  std::unique_ptr<client::Client> client_;
};

TEST(ClientConfigTest, RetriesExactlyTheReads) {
  const std::vector<std::string> retried = client::Client::RetriedMethods();
  for (const char* read : {
           "/defifundr.data.v1.UserService/GetUser",
           "/defifundr.data.v1.UserService/ListUsers",
           "/defifundr.data.v1.SessionService/GetSession",
           "/defifundr.data.v1.KycService/ListKycs",
           "/defifundr.data.v1.UserDeviceService/GetUserDevice",
           "/defifundr.data.v1.OtpService/ListOtps",
           "/defifundr.data.v1.TransactionService/GetTransaction",
           "/grpc.health.v1.Health/Check",
       }) {
    EXPECT_THAT(retried, Contains(read));
  }
  for (const char* write : {
           "/defifundr.data.v1.UserService/CreateUser",
           "/defifundr.data.v1.UserService/UpdateUser",
           "/defifundr.data.v1.UserService/DeleteUser",
           "/defifundr.data.v1.SessionService/CreateSession",
           "/defifundr.data.v1.TransactionService/CreateTransaction",
           "/defifundr.data.v1.OtpService/CreateOtp",
       }) {
    EXPECT_THAT(retried, Not(Contains(write)));
  }
  for (const std::string& method : retried) {
    const std::string name = method.substr(method.rfind('/') + 1);
    EXPECT_THAT(name, ::testing::MatchesRegex("(Get|List|Search|Count|Check)"
                                              ".*"));
  }
  const std::string json = client::Client::ServiceConfigJson();
  EXPECT_THAT(json, ::testing::HasSubstr(R"("maxAttempts":5)"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"("initialBackoff":"0.250s")"));
  EXPECT_THAT(json, ::testing::HasSubstr(R"(["UNAVAILABLE"])"));
  client::RetryPolicy none;
  none.max_attempts = 1;
  EXPECT_EQ(client::Client::ServiceConfigJson(none),
            R"({"healthCheckConfig":{"serviceName":""}})");
  EXPECT_THAT(json, ::testing::HasSubstr(
                        R"("healthCheckConfig":{"serviceName":""})"));
}

TEST_F(ClientServerTest, CallBlockedOnALockedTableEndsAtItsDeadline) {
  InsertUsers(*db_, 1, "locked");
  const std::string id = db_->Scalar("SELECT id FROM users");
  // Warm up the channel so that the timing below is the call's alone.
  {
    data::v1::GetUserRequest request;
    request.set_id(id);
    User user;
    auto ctx = client_->NewContext();
    ASSERT_TRUE(client_->users().GetUser(ctx.get(), request, &user).ok());
  }
  auto locker = db_->Connect();
  ASSERT_NE(locker, nullptr);
  ASSERT_TRUE(
      locker->Exec("BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE").ok());

  auto fast = NewClient(absl::Milliseconds(300));
  data::v1::GetUserRequest request;
  request.set_id(id);
  User user;
  auto ctx = fast->NewContext();
  const absl::Time start = absl::Now();
  const grpc::Status status = fast->users().GetUser(ctx.get(), request, &user);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << status.error_message();
  EXPECT_LE(took, absl::Milliseconds(300 + 200));
  EXPECT_GE(took, absl::Milliseconds(290));

  // A walk stops at the page whose deadline passed, with that status.
  auto users = client::Paginate<User>(*fast, &UserService::Stub::ListUsers,
                                      ListUsersRequest());
  int rows = 0;
  const absl::Time walk_start = absl::Now();
  for (const User& u : users) rows += u.id().empty() ? 0 : 1;
  EXPECT_LE(absl::Now() - walk_start, absl::Milliseconds(300 + 200));
  EXPECT_EQ(rows, 0);
  EXPECT_EQ(users.status().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(users.pages(), 1);

  // Once the lock is gone the service answers again.
  ASSERT_TRUE(locker->Exec("ROLLBACK").ok());
  auto again = client_->NewContext();
  EXPECT_TRUE(client_->users().GetUser(again.get(), request, &user).ok());
  EXPECT_EQ(user.id(), id);
}

TEST_F(ClientServerTest, PagerReturnsEveryRowOfA2500RowTableExactlyOnce) {
  InsertUsers(*db_, 2500, "page");  // One transaction: equal created_at.
  ASSERT_EQ(db_->Scalar("SELECT count(*) FROM users"), "2500");

  // Range form, default page size (50).
  std::map<std::string, int> seen;
  auto users = client::Paginate<User>(*client_, &UserService::Stub::ListUsers,
                                      ListUsersRequest());
  for (const User& user : users) ++seen[user.id()];
  ASSERT_TRUE(users.status().ok()) << users.status().error_message();
  EXPECT_EQ(users.pages(), 50);
  ExpectEachIdOnce(*db_, seen);

  // Callback form, 1,000 per page.
  ListUsersRequest big;
  big.set_page_size(1000);
  std::map<std::string, int> seen_big;
  const grpc::Status status =
      client::ForEach<User>(*client_, &UserService::Stub::ListUsers, big,
                            [&](const User& user) { ++seen_big[user.id()]; });
  ASSERT_TRUE(status.ok()) << status.error_message();
  ExpectEachIdOnce(*db_, seen_big);
}

TEST_F(ClientServerTest, PagerSeesRowsInsertedDuringTheWalkOnce) {
  InsertUsers(*db_, 2500, "before");
  ListUsersRequest request;
  request.set_page_size(300);
  auto pager =
      client::Paginate<User>(*client_, &UserService::Stub::ListUsers, request);
  std::map<std::string, int> seen;
  const grpc::Status status = client::ForEach(pager, [&](const User& user) {
    if (++seen[user.id()] == 1 && seen.size() == 1000) {
      InsertUsers(*db_, 25, "during");  // Later created_at: after the walk.
    }
  });
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(seen.size(), 2525u);
  ExpectEachIdOnce(*db_, seen);
  EXPECT_EQ(pager.pages(), 9);
}

TEST_F(ClientServerTest, CallbackReturningFalseStopsTheWalkWithOk) {
  InsertUsers(*db_, 30, "stop");
  ListUsersRequest request;
  request.set_page_size(10);
  auto pager =
      client::Paginate<User>(*client_, &UserService::Stub::ListUsers, request);
  int rows = 0;
  const grpc::Status status =
      client::ForEach(pager, [&](const User&) { return ++rows < 15; });
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(rows, 15);
  EXPECT_EQ(pager.pages(), 2);
}

TEST_F(ClientServerTest, PagerWithABadPageTokenIsInvalidArgument) {
  InsertUsers(*db_, 3, "token");
  ListUsersRequest request;
  request.set_page_token("not-a-page-token");
  int rows = 0;
  const grpc::Status status =
      client::ForEach<User>(*client_, &UserService::Stub::ListUsers, request,
                            [&](const User&) { ++rows; });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(rows, 0);
}

TEST_F(ClientServerTest, PagerResumesFromAPageTokenOfTheSameFilter) {
  InsertUsers(*db_, 25, "resume");
  ListUsersRequest request;
  request.set_page_size(10);
  ListUsersResponse first;
  auto ctx = client_->NewContext();
  ASSERT_TRUE(client_->users().ListUsers(ctx.get(), request, &first).ok());
  ASSERT_EQ(first.users_size(), 10);
  ASSERT_FALSE(first.next_page_token().empty());
  std::map<std::string, int> seen;
  for (const User& user : first.users()) ++seen[user.id()];

  ListUsersRequest rest = request;
  rest.set_page_token(first.next_page_token());
  auto pager =
      client::Paginate<User>(*client_, &UserService::Stub::ListUsers, rest);
  const grpc::Status status =
      client::ForEach(pager, [&](const User& user) { ++seen[user.id()]; });
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(pager.pages(), 2);
  ExpectEachIdOnce(*db_, seen);
}

// The pager's own error paths, with a stand-in for the service.
TEST(PagerTest, ItemTypeNotInTheResponseIsInvalidArgumentWithoutACall) {
  int calls = 0;
  client::Pager<data::v1::Session, ListUsersRequest, ListUsersResponse> pager(
      [] { return std::make_unique<grpc::ClientContext>(); },
      [&](grpc::ClientContext*, const ListUsersRequest&, ListUsersResponse*) {
        ++calls;
        return grpc::Status::OK;
      },
      ListUsersRequest());
  EXPECT_TRUE(pager.begin() == pager.end());
  EXPECT_EQ(pager.status().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(pager.status().error_message(),
              ::testing::HasSubstr("defifundr.data.v1.Session"));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(pager.pages(), 0);
}

// Pages "" -> "t1" -> "t2" -> ...; `fail_on` (1-based) fails with
// `failure`; `stuck` makes the second page return its own token again;
// every odd page is empty when `empty_odd`.
struct FakeList {
  int pages = 4;
  int fail_on = 0;
  grpc::Status failure;
  bool stuck = false;
  bool empty_odd = false;
  std::vector<std::string> tokens_seen;

  client::PageCall<ListUsersRequest, ListUsersResponse> Call() {
    return [this](grpc::ClientContext* ctx, const ListUsersRequest& request,
                  ListUsersResponse* response) {
      EXPECT_NE(ctx, nullptr);
      tokens_seen.push_back(request.page_token());
      const int page = static_cast<int>(tokens_seen.size());
      if (page == fail_on) return failure;
      if (!(empty_odd && page % 2 == 1)) {
        response->add_users()->set_id(absl::StrCat("p", page, "a"));
        response->add_users()->set_id(absl::StrCat("p", page, "b"));
      }
      if (stuck && page >= 2) {
        response->set_next_page_token(request.page_token());
      } else if (page < pages) {
        response->set_next_page_token(absl::StrCat("t", page));
      }
      return grpc::Status::OK;
    };
  }
};

std::unique_ptr<grpc::ClientContext> NewTestContext() {
  return std::make_unique<grpc::ClientContext>();
}

TEST(PagerTest, WalksEveryPagePassingEachNextPageToken) {
  FakeList fake;
  client::Pager<User, ListUsersRequest, ListUsersResponse> pager(
      NewTestContext, fake.Call(), ListUsersRequest());
  std::vector<std::string> ids;
  for (const User& user : pager) ids.push_back(user.id());
  EXPECT_TRUE(pager.status().ok());
  EXPECT_THAT(ids, ::testing::ElementsAre("p1a", "p1b", "p2a", "p2b", "p3a",
                                          "p3b", "p4a", "p4b"));
  EXPECT_THAT(fake.tokens_seen, ::testing::ElementsAre("", "t1", "t2", "t3"));
  EXPECT_EQ(pager.pages(), 4);
}

TEST(PagerTest, EmptyPagesWithATokenAreSkipped) {
  FakeList fake;
  fake.empty_odd = true;
  fake.pages = 5;
  client::Pager<User, ListUsersRequest, ListUsersResponse> pager(
      NewTestContext, fake.Call(), ListUsersRequest());
  std::vector<std::string> ids;
  for (const User& user : pager) ids.push_back(user.id());
  EXPECT_TRUE(pager.status().ok());
  EXPECT_THAT(ids, ::testing::ElementsAre("p2a", "p2b", "p4a", "p4b"));
  EXPECT_EQ(pager.pages(), 5);
}

TEST(PagerTest, AFailedPageStopsTheWalkWithItsStatus) {
  FakeList fake;
  fake.fail_on = 3;
  fake.failure = grpc::Status(grpc::StatusCode::UNAVAILABLE, "down");
  client::Pager<User, ListUsersRequest, ListUsersResponse> pager(
      NewTestContext, fake.Call(), ListUsersRequest());
  int rows = 0;
  const grpc::Status status =
      client::ForEach(pager, [&](const User&) { ++rows; });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(status.error_message(), "down");
  EXPECT_EQ(rows, 4);                   // The two pages before the failure.
  EXPECT_EQ(pager.page_token(), "t2");  // Where a retry would resume.
}

TEST(PagerTest, ANextPageTokenThatDoesNotAdvanceIsInternal) {
  FakeList fake;
  fake.stuck = true;
  client::Pager<User, ListUsersRequest, ListUsersResponse> pager(
      NewTestContext, fake.Call(), ListUsersRequest());
  int rows = 0;
  const grpc::Status status =
      client::ForEach(pager, [&](const User&) { ++rows; });
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(rows, 4);
  EXPECT_EQ(pager.pages(), 2);
}

// TLS: a server certificate for localhost signed by a test CA.
class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/client-tls-", getpid());
    const std::string script = absl::StrCat(
        "set -e; rm -rf ", dir_, "; mkdir -p ", dir_, "; cd ", dir_, "\n",
        "key() { openssl genpkey -algorithm EC -pkeyopt "
        "ec_paramgen_curve:P-256 -out $1 2>/dev/null; }\n",
        "key ca.key; key other-ca.key; key server.key; key client.key\n",
        "openssl req -x509 -key ca.key -out ca.pem -days 2 -subj /CN=test-ca\n",
        "openssl req -x509 -key other-ca.key -out other-ca.pem -days 2 "
        "-subj /CN=other-ca\n",
        "echo subjectAltName=DNS:localhost,IP:127.0.0.1 > san.ext\n",
        "openssl req -new -key server.key -out server.csr -subj "
        "/CN=localhost\n",
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out server.pem -days 2 -extfile san.ext "
        "2>/dev/null\n",
        "openssl req -x509 -key client.key -out client.pem -days 2 "
        "-subj /CN=client\n",
        // A client certificate the test CA signed, with a SPIFFE ID.
        "echo subjectAltName=URI:spiffe://defifundr.test/auth > client.ext\n",
        "openssl req -new -key client.key -out client.csr -subj /CN=auth\n",
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out signed-client.pem -days 2 -extfile client.ext "
        "2>/dev/null\n",
        "echo subjectAltName=URI:spiffe://defifundr.test/reader > reader.ext\n",
        "openssl req -new -key client.key -out reader.csr -subj /CN=reader\n",
        "openssl x509 -req -in reader.csr -CA ca.pem -CAkey ca.key "
        "-CAcreateserial -out reader.pem -days 2 -extfile reader.ext "
        "2>/dev/null\n",
        // The auth service may call anything but is denied nothing; a
        // reader may only Get and List, never the credentials.
        "cat > policy.json <<'JSON'\n"
        "{\"name\": \"test-policy\",\n"
        " \"deny_rules\": [{\"name\": \"no-credentials-for-readers\",\n"
        "   \"source\": {\"principals\": "
        "[\"spiffe://defifundr.test/reader\"]},\n"
        "   \"request\": {\"paths\": "
        "[\"/defifundr.data.v1.UserService/GetUserCredentials\"]}}],\n"
        " \"allow_rules\": [\n"
        "  {\"name\": \"auth-service\", \"source\": {\"principals\": "
        "[\"spiffe://defifundr.test/auth\"]}},\n"
        "  {\"name\": \"readers-read\", \"source\": {\"principals\": "
        "[\"spiffe://defifundr.test/reader\"]},\n"
        "   \"request\": {\"paths\": [\"/defifundr.data.v1.UserService/Get*\", "
        "\"/defifundr.data.v1.UserService/List*\"]}}]}\n"
        "JSON\n");
    const std::string gen = dir_ + ".sh";
    std::ofstream(gen) << script;
    ASSERT_EQ(std::system(absl::StrCat("bash ", gen).c_str()), 0);
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    std::vector<std::pair<std::string, std::string>> env = {
        {"TLS_CERT_FILE", dir_ + "/server.pem"},
        {"TLS_KEY_FILE", dir_ + "/server.key"}};
    if (require_client_certificates_) {
      env.emplace_back("TLS_CLIENT_CA_FILE", dir_ + "/ca.pem");
    }
    env.insert(env.end(), extra_env_.begin(), extra_env_.end());
    if (with_policy_) {
      env.emplace_back("AUTHZ_POLICY_FILE", dir_ + "/policy.json");
      env.emplace_back("AUTHZ_POLICY_REFRESH_SECONDS", "1");
    }
    server_ = std::make_unique<ServerProcess>(db_->url(), 0, env);
    port_ = server_->WaitForPort();
    ASSERT_GT(port_, 0) << server_->Log();
  }

  client::ClientOptions Options() const {
    client::ClientOptions options;
    options.target = absl::StrCat("localhost:", port_);
    options.default_timeout = absl::Seconds(5);
    options.retry.max_attempts = 1;  // Handshake failures: fail at once.
    return options;
  }
  std::string Read(const std::string& name) const {
    return ReadAll(absl::StrCat(dir_, "/", name));
  }
  // GetUser of a missing id: NOT_FOUND when the call reached the service.
  static grpc::StatusCode Probe(const client::Client& client) {
    data::v1::GetUserRequest request;
    request.set_id(kMissingId);
    User user;
    auto ctx = client.NewContext();
    return client.users().GetUser(ctx.get(), request, &user).error_code();
  }

  std::string dir_;
  bool require_client_certificates_ = false;
  bool with_policy_ = false;
  std::vector<std::pair<std::string, std::string>> extra_env_;
  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<ServerProcess> server_;
  int port_ = 0;
};

// The server requires client certificates (TLS_CLIENT_CA_FILE).
class MutualTlsTest : public TlsTest {
 protected:
  void SetUp() override {
    require_client_certificates_ = true;
    TlsTest::SetUp();
  }
};

// A policy on top (AUTHZ_POLICY_FILE).
class AuthorizationTest : public TlsTest {
 protected:
  void SetUp() override {
    require_client_certificates_ = true;
    with_policy_ = true;
    TlsTest::SetUp();
  }
  client::Client As(const std::string& cert) const {
    client::ClientOptions options = Options();
    options.use_tls = true;
    options.root_certs_pem = Read("ca.pem");
    options.cert_chain_pem = Read(cert);
    options.private_key_pem = Read("client.key");
    return client::Client(options);
  }
};

TEST_F(AuthorizationTest, EachCallerMayCallWhatThePolicyAllows) {
  const client::Client auth = As("signed-client.pem");
  const client::Client reader = As("reader.pem");
  // Reads, allowed to both: the call reaches the service (NOT_FOUND).
  EXPECT_EQ(Probe(auth), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Probe(reader), grpc::StatusCode::NOT_FOUND);
  data::v1::GetUserCredentialsRequest credentials;
  credentials.set_id(kMissingId);
  data::v1::UserCredentials out;
  auto ctx = auth.NewContext();
  EXPECT_EQ(auth.users()
                .GetUserCredentials(ctx.get(), credentials, &out)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The reader: denied by a deny rule, and by default for a write.
  ctx = reader.NewContext();
  const grpc::Status denied =
      reader.users().GetUserCredentials(ctx.get(), credentials, &out);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  data::v1::CreateUserRequest create;
  data::v1::User user;
  ctx = reader.NewContext();
  EXPECT_EQ(reader.users().CreateUser(ctx.get(), create, &user).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  ctx = auth.NewContext();
  EXPECT_EQ(auth.users().CreateUser(ctx.get(), create, &user).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Denials are logged with the caller's identity.
  EXPECT_THAT(server_->Log(),
              ::testing::HasSubstr("spiffe://defifundr.test/reader"));
  EXPECT_THAT(server_->Log(), ::testing::HasSubstr("permission denied"));
}

TEST_F(AuthorizationTest, APolicyChangedAtRunTimeTakesEffectWithinSeconds) {
  const client::Client reader = As("reader.pem");
  data::v1::GetUserCredentialsRequest credentials;
  credentials.set_id(kMissingId);
  data::v1::UserCredentials out;
  auto ctx = reader.NewContext();
  ASSERT_EQ(reader.users()
                .GetUserCredentials(ctx.get(), credentials, &out)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The reader may now read everything; written as a new file renamed over
  // the old, the way a Kubernetes ConfigMap volume is updated.
  {
    std::ofstream(dir_ + "/policy.json.new")
        << "{\"name\": \"test-policy-v2\", \"allow_rules\": [{\"name\": "
           "\"all\", \"source\": {\"principals\": "
           "[\"spiffe://defifundr.test/*\"]}}]}";
  }
  ASSERT_EQ(std::rename((dir_ + "/policy.json.new").c_str(),
                        (dir_ + "/policy.json").c_str()),
            0);
  grpc::StatusCode code = grpc::StatusCode::PERMISSION_DENIED;
  for (int i = 0; i < 100 && code == grpc::StatusCode::PERMISSION_DENIED; ++i) {
    absl::SleepFor(absl::Milliseconds(100));
    ctx = reader.NewContext();
    code = reader.users()
               .GetUserCredentials(ctx.get(), credentials, &out)
               .error_code();
  }
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(server_->Log(), ::testing::HasSubstr("test-policy-v2"));
  // A broken file is logged and ignored: the last good policy stays.
  { std::ofstream(dir_ + "/policy.json", std::ios::trunc) << "{\"name\""; }
  absl::SleepFor(absl::Milliseconds(2500));
  ctx = reader.NewContext();
  EXPECT_EQ(reader.users()
                .GetUserCredentials(ctx.get(), credentials, &out)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(server_->Log(),
              ::testing::HasSubstr("authorization policy not reloaded"));
}

// Mutual TLS and policy on the main port, plus the plaintext health-only
// port for the kubelet's probes (HEALTH_LISTEN).
class ProbePortTest : public AuthorizationTest {
 protected:
  void SetUp() override {
    extra_env_ = {{"HEALTH_LISTEN", "127.0.0.1:0"}};
    AuthorizationTest::SetUp();
  }
  int HealthPort() const {
    std::smatch m;
    const std::string log = server_->Log();
    return std::regex_search(log, m, std::regex("health_port=([0-9]+)"))
               ? std::stoi(m[1])
               : 0;
  }
};

TEST_F(ProbePortTest, PlaintextProbesGetHealthAndNothingElse) {
  const int health_port = HealthPort();
  ASSERT_GT(health_port, 0) << server_->Log();
  client::ClientOptions options = Options();
  options.target = absl::StrCat("127.0.0.1:", health_port);
  const client::Client probe(options);
  using grpc::health::v1::HealthCheckResponse;
  auto check = [&](const std::string& service) {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    HealthCheckResponse resp;
    auto ctx = probe.NewContext();
    const grpc::Status s = probe.health().Check(ctx.get(), req, &resp);
    return s.ok() ? resp.status() : HealthCheckResponse::UNKNOWN;
  };
  HealthCheckResponse::ServingStatus overall = HealthCheckResponse::UNKNOWN;
  for (int i = 0; i < 100 && overall != HealthCheckResponse::SERVING; ++i) {
    overall = check("");
    if (overall != HealthCheckResponse::SERVING) {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  EXPECT_EQ(overall, HealthCheckResponse::SERVING);
  EXPECT_EQ(check("liveness"), HealthCheckResponse::SERVING);
  EXPECT_EQ(check("defifundr.data.v1.UserService"),
            HealthCheckResponse::SERVING);
  // The data services are not there.
  EXPECT_EQ(Probe(probe), grpc::StatusCode::UNIMPLEMENTED);
  // The main port still refuses a caller without a certificate.
  EXPECT_EQ(Probe(client::Client(Options())), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MutualTlsTest, ClientCertificateSignedByTheCaReachesTheService) {
  client::ClientOptions options = Options();
  options.use_tls = true;
  options.root_certs_pem = Read("ca.pem");
  options.cert_chain_pem = Read("signed-client.pem");
  options.private_key_pem = Read("client.key");
  EXPECT_EQ(Probe(client::Client(options)), grpc::StatusCode::NOT_FOUND);
}

TEST_F(MutualTlsTest, ClientWithoutOrWithAnUntrustedCertificateIsRefused) {
  client::ClientOptions options = Options();
  options.use_tls = true;
  options.root_certs_pem = Read("ca.pem");
  EXPECT_EQ(Probe(client::Client(options)), grpc::StatusCode::UNAVAILABLE);
  // Self-signed, not by the CA the server trusts.
  options.cert_chain_pem = Read("client.pem");
  options.private_key_pem = Read("client.key");
  EXPECT_EQ(Probe(client::Client(options)), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, TlsClientTrustingTheServersCaReachesTheService) {
  client::ClientOptions options = Options();
  options.use_tls = true;
  options.root_certs_pem = Read("ca.pem");
  EXPECT_EQ(Probe(client::Client(options)), grpc::StatusCode::NOT_FOUND);
  // With a client certificate too (the server does not ask for one).
  options.cert_chain_pem = Read("client.pem");
  options.private_key_pem = Read("client.key");
  EXPECT_EQ(Probe(client::Client(options)), grpc::StatusCode::NOT_FOUND);
}

TEST_F(TlsTest, UntrustedServerCertificateIsUnavailable) {
  client::ClientOptions options = Options();
  options.use_tls = true;
  options.root_certs_pem = Read("other-ca.pem");
  EXPECT_EQ(Probe(client::Client(options)), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(TlsTest, PlaintextClientAgainstATlsServerIsUnavailable) {
  EXPECT_EQ(Probe(client::Client(Options())), grpc::StatusCode::UNAVAILABLE);
}

// Retries: a client whose first attempts find no server at all.
class RetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    port_ = FreePort();
    ASSERT_GT(port_, 0);
  }
  client::ClientOptions Options() const {
    client::ClientOptions options;
    options.target = absl::StrCat("127.0.0.1:", port_);
    options.default_timeout = absl::Seconds(20);  // Long: not the limit.
    return options;
  }

  std::unique_ptr<testing::TestDatabase> db_;
  int port_ = 0;
};

TEST_F(RetryTest, GetIsRetriedUntilALateServerAnswersButCreateIsNot) {
  InsertUsers(*db_, 1, "late");
  const std::string id = db_->Scalar("SELECT id FROM users");
  const std::string new_id = "6f1c1d4e-8f7a-4c1b-9a55-3d2b7e0c9a11";
  auto owned = std::make_unique<client::Client>(Options());
  client::Client& client = *owned;

  grpc::Status get_status, create_status;
  User got, created;
  absl::Duration get_took, create_took;
  const absl::Time start = absl::Now();
  std::thread get([&] {
    data::v1::GetUserRequest request;
    request.set_id(id);
    auto ctx = client.NewContext();  // wait_for_ready is false by default.
    get_status = client.users().GetUser(ctx.get(), request, &got);
    get_took = absl::Now() - start;
  });
  std::thread create([&] {
    data::v1::CreateUserRequest request;
    User* user = request.mutable_user();
    user->set_id(new_id);
    user->set_email("never@example.com");
    user->set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
    user->set_personal_account_type(data::v1::PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
    user->set_first_name("Never");
    user->set_last_name("Created");
    user->set_nationality("Kenya");
    auto ctx = client.NewContext();
    create_status = client.users().CreateUser(ctx.get(), request, &created);
    create_took = absl::Now() - start;
  });
  absl::SleepFor(absl::Milliseconds(300));
  ServerProcess server(db_->url(), port_);
  get.join();
  create.join();

  EXPECT_TRUE(get_status.ok())
      << get_status.error_code() << " " << get_status.error_message() << "\n"
      << server.Log();
  EXPECT_EQ(got.id(), id);
  // The first attempt was made before the server existed.
  EXPECT_GT(get_took, absl::Milliseconds(300));
  EXPECT_EQ(create_status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << create_status.error_message();
  EXPECT_LT(create_took, absl::Milliseconds(300));

  // The server is up now; the Create never reached it.
  ASSERT_GT(server.WaitForPort(), 0) << server.Log();
  data::v1::GetUserRequest request;
  request.set_id(new_id);
  User user;
  auto ctx = client.NewContext();
  EXPECT_EQ(client.users().GetUser(ctx.get(), request, &user).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(db_->Scalar("SELECT count(*) FROM users"), "1");
  EXPECT_EQ(db_->Scalar(absl::StrCat("SELECT count(*) FROM users WHERE id = '",
                                     new_id, "'")),
            "0");
  owned.reset();  // Close the channel first: the server then stops at once.
}

TEST_F(RetryTest, WithRetriesDisabledAGetFailsAtOnce) {
  client::ClientOptions options = Options();
  options.retry.max_attempts = 1;
  client::Client client(options);
  data::v1::GetUserRequest request;
  request.set_id(kMissingId);
  User user;
  auto ctx = client.NewContext();
  const absl::Time start = absl::Now();
  const grpc::Status status = client.users().GetUser(ctx.get(), request, &user);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(300));
}

TEST_F(RetryTest, AllRetriesFailingIsUnavailableAfterTheBackoffs) {
  client::ClientOptions options = Options();
  options.retry.max_attempts = 3;
  options.retry.initial_backoff = absl::Milliseconds(200);
  options.retry.max_backoff = absl::Milliseconds(200);
  client::Client client(options);
  data::v1::GetUserRequest request;
  request.set_id(kMissingId);
  User user;
  auto ctx = client.NewContext();
  const absl::Time start = absl::Now();
  const grpc::Status status = client.users().GetUser(ctx.get(), request, &user);
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  // Two backoffs of 200 ms +- 20%.
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_LT(took, absl::Seconds(3));
}

}  // namespace
}  // namespace defifundr
