// Online migrations: our migrations applied to a populated database while
// the service serves it. 16 clients run mixed reads and writes; the
// migrator rolls our migrations back to DEFIFUNDR_TRAFFIC_DOWN_TO (default
// 20251201000001: every later one of ours) and applies them again, with a
// short DDL lock_timeout. No RPC may fail. The figures (calls, failures,
// the longest call, the migration's own time) are printed; the full-size
// run of the README ("Taking over a DefiFundr database") uses
//   DEFIFUNDR_TRAFFIC_SEED_SIZE=medium
//   build/tests/integration/migrate_traffic_pg_test
// The mix uses only RPCs whose queries the schema at the down-to version
// still serves (no request_id, search or e-mail lookup; no user RPC, whose
// queries read the later users columns that 20251201000009 brings to
// databases without them).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "db/migrate/migration.h"
#include "db/migrate/migrator.h"
#include "db/seed/seeder.h"
#include "defifundr/data/v1/kyc.grpc.pb.h"
#include "defifundr/data/v1/user_devices.grpc.pb.h"
#include "defifundr/data/v1/users.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using namespace data::v1;  // NOLINT

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

TEST(MigrateUnderTrafficTest, DownAndUpWhileServingFailsNoRpc) {
  server::ServerConfig config;
  config.pool_size = 10;
  auto started = testing::TestServer::Start(config);
  ASSERT_TRUE(started.ok()) << started.status();
  testing::TestServer& server = **started;
  client::Client& api = server.client();

  // The data.
  auto size =
      db::seed::ParseSeedSize(EnvOr("DEFIFUNDR_TRAFFIC_SEED_SIZE", "small"));
  ASSERT_TRUE(size.ok()) << size.status();
  {
    auto conn = server.db().Connect();
    db::seed::SeedOptions options;
    options.size = *size;
    auto counts = db::seed::Seed(*conn, options, nullptr);
    ASSERT_TRUE(counts.ok()) << counts.status();
    std::cout << "seeded " << counts->total() << " rows\n";
  }
  auto ids = [&](const char* table) -> std::vector<std::string> {
    return absl::StrSplit(
        server.db().Scalar(absl::StrCat(
            "SELECT string_agg(id::text, ',') FROM (SELECT id FROM ", table,
            " ORDER BY id LIMIT 2000) t")),
        ',', absl::SkipEmpty());
  };
  const std::vector<std::string> users = ids("users");
  const std::vector<std::string> kycs = ids("kyc");
  const std::vector<std::string> devices = ids("user_device_tokens");
  ASSERT_FALSE(users.empty() || kycs.empty() || devices.empty());

  std::atomic<bool> stop{false};
  std::atomic<int64_t> calls{0}, failures{0}, longest_us{0};
  absl::Mutex mu;
  std::vector<std::string> errors;
  std::vector<std::thread> clients;
  constexpr int kClients = 16;
  constexpr int kMaxCallsPerClient = 20000;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(c);
      for (int i = 0; i < kMaxCallsPerClient && !stop.load(); ++i) {
        auto ctx = std::make_unique<grpc::ClientContext>();
        ctx->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::seconds(20));
        const std::string& user = users[rng() % users.size()];
        const absl::Time start = absl::Now();
        grpc::Status s;
        switch (i % 7) {
          case 0: {
            GetKycRequest r;
            r.set_id(kycs[rng() % kycs.size()]);
            Kyc out;
            s = api.kyc().GetKyc(ctx.get(), r, &out);
            break;
          }
          case 1: {
            ListUserDevicesRequest r;
            r.set_page_size(20);
            ListUserDevicesResponse out;
            s = api.devices().ListUserDevices(ctx.get(), r, &out);
            break;
          }
          case 2: {
            ListKycsRequest r;
            r.set_user_id(user);
            ListKycsResponse out;
            s = api.kyc().ListKycs(ctx.get(), r, &out);
            break;
          }
          case 3: {
            ListUserDevicesRequest r;
            r.set_user_id(user);
            ListUserDevicesResponse out;
            s = api.devices().ListUserDevices(ctx.get(), r, &out);
            break;
          }
          case 4: {
            CreateKycRequest r;
            Kyc* k = r.mutable_kyc();
            k->set_user_id(user);
            k->set_verification_type("passport");
            k->set_verification_number("T0000001");
            k->set_verification_status("pending");
            Kyc out;
            s = api.kyc().CreateKyc(ctx.get(), r, &out);
            break;
          }
          case 5: {
            UpdateKycRequest r;
            r.mutable_kyc()->set_id(kycs[rng() % kycs.size()]);
            r.mutable_kyc()->set_verification_status("approved");
            r.mutable_update_mask()->add_paths("verification_status");
            Kyc out;
            s = api.kyc().UpdateKyc(ctx.get(), r, &out);
            break;
          }
          default: {
            TouchDeviceRequest r;
            r.set_id(devices[rng() % devices.size()]);
            r.set_client_ip("10.1.2.3");
            UserDevice out;
            s = api.devices().TouchDevice(ctx.get(), r, &out);
            break;
          }
        }
        const int64_t us = absl::ToInt64Microseconds(absl::Now() - start);
        int64_t prev = longest_us.load();
        while (us > prev && !longest_us.compare_exchange_weak(prev, us)) {
        }
        ++calls;
        if (!s.ok()) {
          ++failures;
          absl::MutexLock lock(&mu);
          if (errors.size() < 20) {
            errors.push_back(
                absl::StrCat(s.error_code(), ": ", s.error_message()));
          }
        }
      }
    });
  }

  absl::SleepFor(absl::Milliseconds(300));  // Traffic first.
  int64_t down_to = 20251201000001;
  ASSERT_TRUE(absl::SimpleAtoi(
      EnvOr("DEFIFUNDR_TRAFFIC_DOWN_TO", "20251201000001"), &down_to));
  auto migrations =
      db::migrate::ParseMigrations(db::migrate::BuiltinMigrationFiles());
  ASSERT_TRUE(migrations.ok());
  auto conn = server.db().Connect();
  std::ostringstream out;
  db::migrate::MigratorOptions options;
  options.out = &out;
  options.ddl_lock_timeout = absl::Milliseconds(500);
  db::migrate::Migrator migrator(*conn, *migrations, options);
  const int64_t calls_before = calls.load();
  const absl::Time start = absl::Now();
  const absl::Status down = migrator.DownTo(down_to);
  const absl::Duration down_time = absl::Now() - start;
  const absl::Status up = down.ok() ? migrator.Up() : down;
  const absl::Duration total = absl::Now() - start;
  const int64_t calls_during = calls.load() - calls_before;
  absl::SleepFor(absl::Milliseconds(300));
  stop = true;
  for (auto& t : clients) t.join();

  std::cout << "migrate down-to " << down_to << ": "
            << absl::FormatDuration(down_time)
            << ", then up: " << absl::FormatDuration(total - down_time) << "\n"
            << "RPCs: " << calls.load() << " in all, " << calls_during
            << " during the migration, " << failures.load() << " failed\n"
            << "longest RPC: " << longest_us.load() / 1000.0 << " ms\n"
            << out.str();
  ASSERT_TRUE(down.ok()) << down << "\n" << out.str();
  ASSERT_TRUE(up.ok()) << up << "\n" << out.str();
  EXPECT_GT(calls_during, 0);
  EXPECT_EQ(failures.load(), 0) << (errors.empty() ? "" : errors.front());
}

}  // namespace
}  // namespace defifundr
