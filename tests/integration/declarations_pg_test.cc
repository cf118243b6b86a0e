// A table's declaration (server/tables/) and its service in the .proto must
// agree: an RPC without a handler, a handler without an RPC, or a handler on
// the wrong messages stops start-up with FAILED_PRECONDITION naming the RPC,
// rather than answering UNIMPLEMENTED or INTERNAL at run time.
#include "db/pg/pool.h"
#include "db/query_catalog.h"
#include "defifundr/data/v1/kyc.pb.h"
#include "defifundr/data/v1/users.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/database.h"
#include "server/schema.h"
#include "server/service.h"
#include "tests/support/test_database.h"

namespace defifundr {
namespace {

using ::testing::HasSubstr;

const server::ServiceDeclaration& Declared(const std::string& table) {
  for (const server::ServiceDeclaration* d : server::AllServiceDeclarations()) {
    if (d->table.table == table) return *d;
  }
  ADD_FAILURE() << "no declaration of " << table;
  return *server::AllServiceDeclarations().front();
}

absl::Status NoSuchRpc(server::Rpc&, const data::v1::GetKycRequest&,
                       data::v1::Kyc*) {
  return absl::OkStatus();
}

class DeclarationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = testing::TestDatabase::Create();
    ASSERT_TRUE(db.ok()) << db.status();
    db_ = *std::move(db);
    db::pg::PoolOptions options;
    options.conninfo = db_->url();
    options.max_size = 2;
    pool_ = std::make_unique<db::pg::Pool>(options);
    auto conn = db_->Connect();
    std::vector<absl::string_view> tables;
    for (const server::ServiceDeclaration* d :
         server::AllServiceDeclarations()) {
      tables.push_back(d->table.table);
    }
    db::pg::CallOptions call;
    call.deadline = absl::Now() + absl::Seconds(30);
    auto schema = server::Schema::Load(*conn, db::QueryCatalog::Builtin(),
                                       tables, call);
    ASSERT_TRUE(schema.ok()) << schema.status();
    schema_ = *std::move(schema);
    database_ = std::make_unique<server::Database>(
        *pool_, db::QueryCatalog::Builtin(), *schema_);
  }

  absl::Status Create(const server::ServiceDeclaration& d) {
    return server::DeclaredService::Create(d, *database_, {}).status();
  }

  std::unique_ptr<testing::TestDatabase> db_;
  std::unique_ptr<db::pg::Pool> pool_;
  std::unique_ptr<server::Schema> schema_;
  std::unique_ptr<server::Database> database_;
};

TEST_F(DeclarationTest, EveryDeclarationMatchesItsService) {
  for (const server::ServiceDeclaration* d : server::AllServiceDeclarations()) {
    EXPECT_TRUE(Create(*d).ok()) << d->table.table << ": " << Create(*d);
  }
}

TEST_F(DeclarationTest, AnRpcWithoutAHandlerStopsStartUpNamingIt) {
  server::ServiceDeclaration d = Declared("users");
  d.table.methods.erase(d.table.methods.begin());  // GetUserByEmail.
  const absl::Status s = Create(d);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(),
              HasSubstr("defifundr.data.v1.UserService.GetUserByEmail"));
}

TEST_F(DeclarationTest, AMisspeltMethodStopsStartUpNamingIt) {
  server::ServiceDeclaration d = Declared("users");
  d.table.methods.front().name = "GetUserByEmial";
  const absl::Status s = Create(d);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  // The RPC left without its handler is named first.
  EXPECT_THAT(s.message(), HasSubstr("UserService.GetUserByEmail"));

}

TEST_F(DeclarationTest, AHandlerWithoutAnRpcStopsStartUpNamingIt) {
  server::ServiceDeclaration d = Declared("kyc");
  d.custom.push_back(server::Custom("ArchiveKyc", &NoSuchRpc, {}));
  const absl::Status s = Create(d);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("KycService.ArchiveKyc"));
}

TEST_F(DeclarationTest, AHandlerOnTheWrongMessagesStopsStartUpNamingThem) {
  server::ServiceDeclaration d = Declared("kyc");
  // GetKycByUserId takes GetKycByUserIdRequest, not GetKycRequest.
  d.table.methods.clear();
  d.custom.push_back(server::Custom("GetKycByUserId", &NoSuchRpc, {}));
  const absl::Status s = Create(d);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("KycService.GetKycByUserId"));
  EXPECT_THAT(s.message(), HasSubstr("defifundr.data.v1.GetKycByUserIdRequest"));
}

}  // namespace
}  // namespace defifundr
