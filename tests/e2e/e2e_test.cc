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
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
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

// seed empties tables, so it writes only to a throwaway database (marked by
// scripts/pg.sh and the tests) or one whose name the caller repeats; any
// other is refused before a row changes.
TEST(CliTest, SeedRefusesADatabaseThatIsNotThrowawayUnlessConfirmed) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  (*db)->Exec(absl::StrCat("COMMENT ON DATABASE ", (*db)->name(), " IS NULL"));
  (*db)->Exec(
      "INSERT INTO users (id, email, account_type, personal_account_type, "
      "first_name, last_name, nationality) VALUES "
      "('00000000-0000-4000-8000-00000000beef', 'sentinel@example.com', "
      "'personal', 'employee', 'Sen', 'Tinel', 'Ghana')");
  std::string out;
  EXPECT_EQ(RunCli({"seed", "--seed_users=5"}, (*db)->url(), &out), 2);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("database \"", (*db)->name(),
                                          "\" is not a throwaway database")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("--confirm_database=",
                                          (*db)->name())));
  EXPECT_EQ(RunCli({"seed", "--seed_users=5", "--confirm_database=other"},
                   (*db)->url(), &out),
            2);
  EXPECT_THAT(out, HasSubstr("does not name database"));
  EXPECT_EQ((*db)->Scalar("SELECT string_agg(email, ',') FROM users"),
            "sentinel@example.com");
  // Confirmed: seeded (and emptied first, as asked).
  EXPECT_EQ(RunCli({"seed", "--seed_users=5",
                    absl::StrCat("--confirm_database=", (*db)->name())},
                   (*db)->url(), &out),
            0)
      << out;
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM users"), "5");
}

// `vet` checks every named query the service embeds (parameters and result
// columns), and says how many: as many as db/queries/*.sql has `-- name:`
// entries.
TEST(CliTest, VetChecksEveryNamedQuery) {
  int named = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(DEFIFUNDR_QUERIES_DIR)) {
    if (entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path());
    std::string line;
    while (std::getline(in, line)) {
      if (absl::StartsWith(line, "-- name:")) ++named;
    }
  }
  ASSERT_GT(named, 80);
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  std::string out;
  ASSERT_EQ(RunCli({"vet"}, (*db)->url(), &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("vet: checked ", named, " of ",
                                          named, " named queries")));
}

// Goose's spellings of the flags work next to ours (-allow-missing,
// --tx-days), and the missing-migration error names a flag that exists.
TEST(CliTest, GooseFlagSpellingsAreAccepted) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  std::string out;
  EXPECT_EQ(RunCli({"migrate", "up", "-allow-missing"}, (*db)->url(), &out), 0)
      << out;
  EXPECT_EQ(RunCli({"migrate", "status", "--allow-missing=true"},
                   (*db)->url(), &out),
            0)
      << out;
  EXPECT_EQ(
      RunCli({"seed", "--seed-users=3", "-tx-days", "1"}, (*db)->url(), &out),
      0)
      << out;
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM users"), "3");
  EXPECT_EQ(RunCli({"seed", "--no-such-flag=1"}, (*db)->url(), &out), 1);
  EXPECT_THAT(out, HasSubstr("no_such_flag"));
}

// Every Down works on the data our seeder writes: up, seed (medium), reset,
// up. Then a second verified OTP of one user and purpose (which the service
// allows since 20251201000001) blocks that migration's Down: it fails
// before changing anything, naming the user, and says what to do.
TEST(CliTest, UpSeedResetUpOnTheMediumProfile) {
  auto db = testing::TestDatabase::Create(/*migrated=*/false);
  ASSERT_TRUE(db.ok()) << db.status();
  std::string out;
  ASSERT_EQ(RunCli({"migrate", "up"}, (*db)->url(), &out), 0) << out;
  ASSERT_EQ(RunCli({"seed", "--size=medium"}, (*db)->url(), &out), 0) << out;
  EXPECT_EQ((*db)->Scalar("SELECT count(*) FROM users"), "10000");
  ASSERT_EQ(RunCli({"migrate", "reset"}, (*db)->url(), &out), 0) << out;
  EXPECT_EQ((*db)->Scalar("SELECT to_regclass('users') IS NULL"), "t");
  ASSERT_EQ(RunCli({"migrate", "up"}, (*db)->url(), &out), 0) << out;
  ASSERT_EQ(RunCli({"seed"}, (*db)->url(), &out), 0) << out;

  const std::string user =
      (*db)->Scalar("SELECT user_id FROM otp_verifications WHERE purpose = "
                    "'email_verification' ORDER BY user_id LIMIT 1");
  (*db)->Exec(absl::StrCat(
      "INSERT INTO otp_verifications (user_id, otp_code, hashed_otp, purpose, "
      "contact_method, is_verified, expires_at) VALUES ('",
      user,
      "', '123456', 'h', 'email_verification', 'email', true, now())"));
  EXPECT_EQ(
      RunCli({"migrate", "down-to", "20251201000000"}, (*db)->url(), &out), 1);
  EXPECT_THAT(out, HasSubstr("cannot restore constraint unique_unverified_otp"));
  EXPECT_THAT(out, HasSubstr(user));
  EXPECT_THAT(out, HasSubstr("delete all but the newest"));
  // That Down changed nothing: its migration is still applied, and the
  // newer ones were rolled back as asked.
  EXPECT_EQ((*db)->Scalar("SELECT max(version_id) FROM goose_db_version "
                          "WHERE is_applied"),
            "20251201000001");
  EXPECT_EQ((*db)->Scalar("SELECT to_regclass('otp_verifications_pending_key') "
                          "IS NOT NULL"),
            "t");
}

TEST(CliTest, VetFailsNamingTheQueryOnADriftedSchema) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  (*db)->Exec("ALTER TABLE transactions RENAME COLUMN tx_hash TO tx_hash_old");
  std::string out;
  EXPECT_EQ(RunCli({"vet"}, (*db)->url(), &out), 1);
  EXPECT_THAT(out, HasSubstr("query CreateTransaction"));
}

// A column that a domain query (GetWalletByAddress) and the standard ones
// (GetUserWallet, ...) return no longer fits the message's field: the
// server refuses to start, naming both queries, before it listens.
TEST(CliTest, ServeRefusesToStartNamingADriftedDomainAndStandardQuery) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  (*db)->Exec(
      "ALTER TABLE user_wallets ALTER COLUMN is_default TYPE text "
      "USING is_default::text");
  std::string out;
  EXPECT_EQ(RunCli({"serve", "--grpc_listen=127.0.0.1:0"}, (*db)->url(), &out),
            1)
      << out;
  EXPECT_THAT(out, HasSubstr("query GetWalletByAddress"));
  EXPECT_THAT(out, HasSubstr("query GetUserWallet "));
  EXPECT_THAT(out, HasSubstr("does not fit field "
                             "defifundr.data.v1.UserWallet.is_default"));
}

// Start-up waits only for a database that cannot be reached yet: one that
// refuses the connection (wrong password 28P01, unknown database 3D000) or a
// malformed URL fails at once (within 2 s; about 50 ms here), naming the
// reason and never the password. (Waiting, as for an unreachable one, would
// take STARTUP_TIMEOUT, 30 s.)
TEST(StartupTest, ARefusedConnectionOrABadUrlFailsAtOnce) {
  auto db = testing::TestDatabase::Create();
  ASSERT_TRUE(db.ok()) << db.status();
  const std::string url = (*db)->url();
  const size_t at = url.find("postgres@");
  ASSERT_NE(at, std::string::npos) << url;
  auto with_user = [&](const std::string& user) {
    return url.substr(0, at) + user + "@" + url.substr(at + 9);
  };
  struct Case {
    std::string name, url, says;
  };
  const std::string no_db_url = [&] {
    std::string u = url;
    const size_t slash = u.find('/', at);
    const size_t query = u.find('?', slash);
    return u.replace(slash + 1, query - slash - 1, "no_such_database");
  }();
  const std::vector<Case> cases = {
      {"wrong password",
       with_user("defifundr_password_check:not-the-password"), "28P01"},
      {"unknown database", no_db_url, "3D000"},
      {"malformed URL", "postgresql://someone:s3cret-pw@127.0.0.1:notaport/x",
       "malformed"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string log = absl::StrCat(::testing::TempDir(), "/startup-",
                                         getpid(), "-", c.says, ".log");
    unlink(log.c_str());
    const absl::Time start = absl::Now();
    const pid_t pid = testing::SpawnProcess(
        DEFIFUNDR_DATA_BINARY, {"serve"},
        {{"DATABASE_URL", c.url},
         {"GRPC_LISTEN", "127.0.0.1:0"},
         {"METRICS_LISTEN", ""}},
        log);
    EXPECT_EQ(WaitExit(pid, absl::Seconds(20)), 1);
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
    const std::string out = ReadAll(log);
    EXPECT_THAT(out, HasSubstr(c.says));
    EXPECT_THAT(out, ::testing::Not(HasSubstr("retrying")));
    EXPECT_THAT(out, ::testing::Not(HasSubstr("not-the-password")));
    EXPECT_THAT(out, ::testing::Not(HasSubstr("s3cret-pw")));
  }
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
        // Until its first answer a client waits for its connection: a
        // connect that fails while 16 connect at once is retried by the
        // channel, not counted as a refusal. After that, calls fail fast.
        ctx.set_wait_for_ready(!counted);
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
  const absl::Time all_running_by = absl::Now() + absl::Seconds(20);
  while (running.load() < kClients && absl::Now() < all_running_by) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  if (running.load() < kClients) {
    // Stop the clients (the server refuses them from here on) and the
    // blocked update, so the failure is reported rather than aborting.
    kill(pid_, SIGTERM);
    (void)locker->Exec("ROLLBACK");
    for (auto& t : clients) t.join();
    blocked.join();
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

// A second `serve` on the port the first one holds exits at once (within
// 2 s; about 80 ms here), naming the port, instead of sharing it
// (SO_REUSEPORT) and splitting the calls.
TEST_F(ServeTest, ASecondServerOnTheSamePortExitsNamingIt) {
  const std::string log = log_ + ".second";
  unlink(log.c_str());
  const std::string listen = absl::StrCat("127.0.0.1:", port_);
  const absl::Time start = absl::Now();
  const pid_t second = testing::SpawnProcess(
      DEFIFUNDR_DATA_BINARY, {"serve"},
      {{"DATABASE_URL", db_->url()},
       {"GRPC_LISTEN", listen},
       {"METRICS_LISTEN", ""}},
      log);
  EXPECT_EQ(WaitExit(second, absl::Seconds(20)), 1);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_THAT(ReadAll(log), HasSubstr(absl::StrCat("cannot listen on ", listen)));
  EXPECT_EQ(Health(), grpc::health::v1::HealthCheckResponse::SERVING);
}

// --help lists the commands, then this program's flags by command, without
// the libraries' flags or secrets.
TEST(CliFlagsTest, HelpListsCommandsAndFlagsByCommand) {
  std::string out;
  EXPECT_EQ(RunCli({"--help"}, "postgresql://u:topsecret@h/db", &out), 0);
  for (const char* part :
       {"  serve ", "  migrate <command>", "  seed ", "  vet ",
        "\nall commands:\n", "\nserve:\n", "\nmigrate:\n", "\nseed:\n",
        "--grpc_listen (default 0.0.0.0:50051)", "--allow_missing",
        "--confirm_database", "--startup_timeout_seconds"}) {
    EXPECT_THAT(out, HasSubstr(part));
  }
  EXPECT_THAT(out, ::testing::Not(HasSubstr("No flags matched")));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("topsecret")));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("--flagfile")));
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

// A page-token key anyone could know (the example Secret's placeholder, or
// a short one) is refused before serving.
TEST(CliFlagsTest, AGuessablePageTokenKeyExitsTwo) {
  std::string out;
  EXPECT_EQ(RunCli({"serve", "--page_token_key=CHANGE-ME-use-openssl-rand-base64-32"},
                   "", &out),
            2);
  EXPECT_THAT(out, HasSubstr("--page_token_key (PAGE_TOKEN_KEY): still the "
                             "example's placeholder"));
  EXPECT_EQ(RunCli({"serve", "--page_token_key=short"}, "", &out), 2);
  EXPECT_THAT(out, HasSubstr("shorter than 16 bytes"));
}

// --version names the version and the commit the binary was built from.
TEST(CliFlagsTest, VersionNamesTheVersionAndTheCommit) {
  std::string out;
  EXPECT_EQ(RunCli({"--version"}, "", &out), 0);
  EXPECT_THAT(out, ::testing::ContainsRegex(
                       "defifundr-data [0-9]+\\.[0-9]+\\.[0-9]+ \\(commit "
                       "([0-9a-f]{12}|unknown), build "
                       "(Release|RelWithDebInfo|Debug|MinSizeRel|none)\\)"));
}

}  // namespace
}  // namespace defifundr
