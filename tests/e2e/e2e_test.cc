// End to end: the defifundr-data executable as a user runs it, called
// through the client library's generated stubs and a reflection client.
#include <fcntl.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/client.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/process.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;

using testing::ReadAll;
using testing::WaitExit;

// Runs the binary with `args` and DATABASE_URL=`url`, output to `log`.
pid_t Spawn(const std::vector<std::string>& args, const std::string& url,
            const std::string& log) {
  return testing::SpawnProcess(DEFIFUNDR_DATA_BINARY, args,
                               {{"DATABASE_URL", url},
                                {"GRPC_LISTEN", "127.0.0.1:0"},
                                {"METRICS_LISTEN", "127.0.0.1:0"}},
                               log);
}

// Runs a CLI command to completion; returns its exit code and output.
int RunCli(const std::vector<std::string>& args, const std::string& url,
           std::string* output) {
  return testing::RunProcess(DEFIFUNDR_DATA_BINARY, args,
                             {{"DATABASE_URL", url}}, output);
}

TEST(CliTest, MigrateUpOnEmptyDatabaseThenStatusListsEveryVersion) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  std::string out;
  ASSERT_EQ(RunCli({"migrate", "up"}, (*db)->url(), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("OK   00001_create_extension_uuid.sql"));
  EXPECT_THAT(out,
              HasSubstr("goose: successfully migrated database to version:"));
  ASSERT_EQ(RunCli({"migrate", "status"}, (*db)->url(), &out), 0) << out;
  const int files = std::stoi((*db)->Scalar(
      "SELECT count(*) FROM goose_db_version WHERE version_id > 0"));
  EXPECT_GE(files, 13);
  int listed = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" -- ") == std::string::npos) continue;
    ++listed;
    EXPECT_THAT(line, ::testing::Not(HasSubstr("Pending"))) << line;
  }
  EXPECT_EQ(listed, files);
  ASSERT_EQ(RunCli({"seed", "--seed_users=20"}, (*db)->url(), &out), 0) << out;
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM users"), "20");
  EXPECT_EQ(RunCli({"vet"}, (*db)->url(), &out), 0) << out;
  EXPECT_EQ(RunCli({"no-such-command"}, (*db)->url(), &out), 2);
}

TEST(CliTest, VetFailsNamingTheQueryOnADriftedSchema) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  (*db)->Exec("ALTER TABLE transactions RENAME COLUMN tx_hash TO tx_hash_old");
  std::string out;
  EXPECT_EQ(RunCli({"vet"}, (*db)->url(), &out), 1);
  EXPECT_THAT(out, HasSubstr("query CreateTransaction"));
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    // A log of its own per test: reading a previous test's log would find
    // the port of a server that is gone.
    static int count = 0;
    log_ = absl::StrCat(::testing::TempDir(), "/serve-", getpid(), "-", ++count,
                        ".log");
    unlink(log_.c_str());
    pid_ = Spawn({"serve"}, db_->url(), log_);
    // The log names the port it bound (GRPC_LISTEN port 0 = any free port).
    const std::regex port_re("INFO serving .* port=([0-9]+) ");
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    std::smatch m;
    while (absl::Now() < deadline) {
      const std::string text = ReadAll(log_);
      if (std::regex_search(text, m, port_re)) {
        port_ = std::stoi(m[1]);
        break;
      }
      absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_GT(port_, 0) << ReadAll(log_);
    client::ClientOptions options;
    options.target = absl::StrCat("127.0.0.1:", port_);
    client_ = std::make_unique<client::Client>(options);
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      WaitExit(pid_, absl::Seconds(15));
    }
  }
  grpc::health::v1::HealthCheckResponse::ServingStatus Health() {
    grpc::health::v1::HealthCheckRequest req;
    grpc::health::v1::HealthCheckResponse resp;
    auto ctx = client_->NewContext();
    if (!client_->health().Check(ctx.get(), req, &resp).ok()) {
      return grpc::health::v1::HealthCheckResponse::UNKNOWN;
    }
    return resp.status();
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::unique_ptr<client::Client> client_;
};

TEST_F(ServeTest, HealthIsServingAndStubsWork) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (Health() != grpc::health::v1::HealthCheckResponse::SERVING &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);

  data::v1::CreateUserRequest create;
  create.mutable_user()->set_email("e2e@example.com");
  create.mutable_user()->set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  create.mutable_user()->set_personal_account_type(
      data::v1::PERSONAL_ACCOUNT_TYPE_CONTRACTOR);
  create.mutable_user()->set_first_name("End");
  create.mutable_user()->set_last_name("ToEnd");
  create.mutable_user()->set_nationality("Ghana");
  data::v1::User user;
  auto ctx = client_->NewContext();
  ASSERT_TRUE(client_->users().CreateUser(ctx.get(), create, &user).ok());
  data::v1::ListUsersRequest list;
  data::v1::ListUsersResponse page;
  ctx = client_->NewContext();
  ASSERT_TRUE(client_->users().ListUsers(ctx.get(), list, &page).ok());
  ASSERT_EQ(page.users_size(), 1);
  EXPECT_EQ(page.users(0).id(), user.id());
  EXPECT_EQ(page.users(0).email(), "e2e@example.com");
}

TEST_F(ServeTest, ReflectionListsTheSixServicesAndTheirDescriptors) {
  auto stub =
      grpc::reflection::v1alpha::ServerReflection::NewStub(client_->channel());
  auto ctx = client_->NewContext();
  auto stream = stub->ServerReflectionInfo(ctx.get());
  grpc::reflection::v1alpha::ServerReflectionRequest req;
  req.set_list_services("*");
  ASSERT_TRUE(stream->Write(req));
  grpc::reflection::v1alpha::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::vector<std::string> names;
  for (const auto& s : resp.list_services_response().service())
    names.push_back(s.name());
  EXPECT_THAT(names, ::testing::IsSupersetOf({
                         "defifundr.data.v1.UserService",
                         "defifundr.data.v1.SessionService",
                         "defifundr.data.v1.KycService",
                         "defifundr.data.v1.UserDeviceService",
                         "defifundr.data.v1.OtpService",
                         "defifundr.data.v1.TransactionService",
                         "grpc.health.v1.Health",
                     }));
  req.set_file_containing_symbol("defifundr.data.v1.OtpService");
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_GT(resp.file_descriptor_response().file_descriptor_proto_size(), 0);
  google::protobuf::FileDescriptorProto file;
  ASSERT_TRUE(file.ParseFromString(
      resp.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(file.name(), "defifundr/data/v1/otp.proto");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(ServeTest, SigtermShutsDownCleanly) {
  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  EXPECT_EQ(WaitExit(pid_, absl::Seconds(15)), 0);
  pid_ = -1;
  const std::string log = ReadAll(log_);
  EXPECT_THAT(log, HasSubstr("shutting down"));
  EXPECT_THAT(log, HasSubstr("stopped"));
}

// SIGTERM under the load of 16 clients: the calls running when it comes
// finish normally (here an update blocked on a row lock that is released
// only after the signal), every later call is turned away with UNAVAILABLE
// (reason SHUTTING_DOWN, safe to retry elsewhere) until callers stop, and
// no call ends CANCELLED. Each client stops at its first refusal, as a
// client with another replica to go to would.
TEST_F(ServeTest, SigtermDuringSixteenClientLoadCancelsNoCall) {
  data::v1::CreateUserRequest create;
  create.mutable_user()->set_email("drain@example.com");
  create.mutable_user()->set_account_type(data::v1::ACCOUNT_TYPE_PERSONAL);
  create.mutable_user()->set_personal_account_type(
      data::v1::PERSONAL_ACCOUNT_TYPE_FREELANCER);
  create.mutable_user()->set_first_name("Drain");
  create.mutable_user()->set_last_name("Test");
  create.mutable_user()->set_nationality("Ghana");
  data::v1::User user;
  {
    auto ctx = client_->NewContext();
    ASSERT_TRUE(client_->users().CreateUser(ctx.get(), create, &user).ok());
  }

  // The call in flight at the signal: an update waiting for a row lock.
  auto locker = db_->Connect();
  ASSERT_NE(locker, nullptr);
  ASSERT_TRUE(locker
                  ->Exec(absl::StrCat("BEGIN; SELECT 1 FROM users WHERE id = '",
                                      user.id(), "' FOR UPDATE"))
                  .ok());
  grpc::Status blocked_status;
  std::thread blocked([&] {
    data::v1::UpdateUserRequest update;
    *update.mutable_user() = user;
    update.mutable_user()->set_first_name("Drained");
    update.mutable_update_mask()->add_paths("first_name");
    auto ctx = client_->NewContext();
    ctx->set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(30)));
    data::v1::User updated;
    blocked_status = client_->users().UpdateUser(ctx.get(), update, &updated);
  });
  const absl::Time wait_until = absl::Now() + absl::Seconds(10);
  while (db_->Scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                     "wait_event_type = 'Lock'") != "1" &&
         absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(db_->Scalar("SELECT count(*) FROM pg_stat_activity WHERE "
                        "wait_event_type = 'Lock'"),
            "1");

  // 16 clients, a connection each, no retries: GetUser in a closed loop.
  constexpr int kClients = 16;
  struct Outcome {
    int ok = 0;
    grpc::Status last;
  };
  std::vector<Outcome> outcomes(kClients);
  std::vector<std::thread> clients;
  std::atomic<int> running{0};
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      auto stub = data::v1::UserService::NewStub(grpc::CreateCustomChannel(
          absl::StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials(),
          args));
      data::v1::GetUserRequest request;
      request.set_id(user.id());
      const absl::Time give_up = absl::Now() + absl::Seconds(60);
      bool counted = false;
      while (absl::Now() < give_up) {
        grpc::ClientContext ctx;
        ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
        data::v1::User got;
        outcomes[c].last = stub->GetUser(&ctx, request, &got);
        if (!outcomes[c].last.ok()) break;
        ++outcomes[c].ok;
        if (!counted) {
          counted = true;
          running.fetch_add(1);
        }
      }
    });
  }
  while (running.load() < kClients && absl::Now() < wait_until) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (running.load() < kClients) {
    for (int c = 0; c < kClients; ++c) {
      ADD_FAILURE() << "client " << c << ": " << outcomes[c].ok << " ok, "
                    << outcomes[c].last.error_code() << " "
                    << outcomes[c].last.error_message();
    }
  }
  ASSERT_EQ(running.load(), kClients);
  absl::SleepFor(absl::Milliseconds(200));

  ASSERT_EQ(kill(pid_, SIGTERM), 0);
  absl::SleepFor(absl::Milliseconds(500));
  // The update still waits; once the lock goes, it must complete.
  ASSERT_TRUE(locker->Exec("ROLLBACK").ok());
  for (auto& t : clients) t.join();
  blocked.join();
  EXPECT_EQ(WaitExit(pid_, absl::Seconds(20)), 0);
  pid_ = -1;

  EXPECT_TRUE(blocked_status.ok())
      << blocked_status.error_code() << ": " << blocked_status.error_message();
  EXPECT_EQ(db_->Scalar(absl::StrCat("SELECT first_name FROM users WHERE id = '",
                                     user.id(), "'")),
            "Drained");
  for (int c = 0; c < kClients; ++c) {
    SCOPED_TRACE(absl::StrCat("client ", c));
    EXPECT_GT(outcomes[c].ok, 0);
    EXPECT_EQ(outcomes[c].last.error_code(), grpc::StatusCode::UNAVAILABLE)
        << outcomes[c].last.error_message();
    EXPECT_THAT(outcomes[c].last.error_message(), HasSubstr("shutting down"));
  }
  EXPECT_THAT(ReadAll(log_), HasSubstr("draining done"));
}

// Bad values of the serve flags added for logs and poolers are refused at
// once (exit 2), naming the flag.
TEST(CliFlagsTest, BadLogLevelOrStatementCacheExitsTwo) {
  std::string out;
  EXPECT_EQ(RunCli({"serve", "--log_level=loud"}, "", &out), 2);
  EXPECT_THAT(out, HasSubstr("--log_level"));
  EXPECT_EQ(RunCli({"serve", "--db_statement_cache=sometimes"}, "", &out), 2);
  EXPECT_THAT(out, HasSubstr("--db_statement_cache"));
}

// --version names the version and the commit the binary was built from.
TEST(CliFlagsTest, VersionNamesTheVersionAndTheCommit) {
  std::string out;
  EXPECT_EQ(RunCli({"--version"}, "", &out), 0);
  EXPECT_THAT(out, ::testing::ContainsRegex(
                       "defifundr-data [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit "
                       "([0-9a-f]{12}|unknown)\\)"));
}

}  // namespace
}  // namespace defifundr
