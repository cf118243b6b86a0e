// The standard methods (Create/Get/Update/Delete/List) of every service,
// through the generated stubs against an in-process server on a real
// database. One table-driven suite: each case says how to build a valid row
// of its table and which of its fields exercise each error path.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/service.h"
#include "tests/support/test_server.h"

namespace defifundr {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using ::testing::HasSubstr;

using Call =
    std::function<grpc::Status(grpc::ClientContext*, const Message&, Message*)>;

// A unary call of `method` on generic messages, as a generated stub makes
// it.
Call MethodCall(const std::shared_ptr<grpc::Channel>& channel,
                const google::protobuf::MethodDescriptor* method) {
  auto path = std::make_shared<std::string>(absl::StrCat(
      "/", method->service()->full_name(), "/", method->name()));
  return [channel, path](grpc::ClientContext* ctx, const Message& req,
                         Message* resp) {
    return grpc::internal::BlockingUnaryCall<Message, Message>(
        channel.get(),
        grpc::internal::RpcMethod(path->c_str(),
                                  grpc::internal::RpcMethod::NORMAL_RPC),
        ctx, req, resp);
  };
}

struct Ops {
  Call create, get, update, del, list;
};

// A table's standard methods come from its declaration (server/tables/);
// a case adds only what no declaration says: a valid row and the fields
// that exercise each error path.
struct TableCase {
  std::string table;    // "users"
  // A valid resource; $USER is a parent user's id, $N a per-call number,
  // $ID a UUID made from $N. Two resources with the same $N collide on a
  // unique constraint.
  std::string resource_json;
  bool needs_user;                // Has a user_id foreign key.
  std::string enum_field;         // An enum field, or "".
  std::string long_field;         // A varchar(n) field, or "".
  int long_limit = 0;             // Its n.
  std::string update_field;       // A field to update...
  std::string update_json_value;  // ...to this JSON value.
  std::string required_field;     // A required field.
};

// The declaration of `table`, or null.
const server::TableSpec* SpecOf(const std::string& table) {
  for (const server::ServiceDeclaration* d : server::AllServiceDeclarations()) {
    if (d->table.table == table) return &d->table;
  }
  return nullptr;
}

void PrintTo(const TableCase& c, std::ostream* os) { *os << c.table; }

std::unique_ptr<Message> NewMessage(const Descriptor* d) {
  return std::unique_ptr<Message>(
      google::protobuf::MessageFactory::generated_factory()
          ->GetPrototype(d)
          ->New());
}

class CrudTest : public ::testing::TestWithParam<TableCase> {
 protected:
  void SetUp() override {
    auto server = testing::TestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    const server::TableSpec* spec = SpecOf(GetParam().table);
    ASSERT_NE(spec, nullptr) << "no declaration of " << GetParam().table;
    entity_ = spec->entity;
    plural_ = spec->plural;
    service_ = spec->service;
    const auto& channel = server_->client().channel();
    auto call = [&](const std::string& rpc) {
      return MethodCall(channel, service_->FindMethodByName(rpc));
    };
    ops_ = Ops{call("Create" + entity_), call("Get" + entity_),
               call("Update" + entity_), call("Delete" + entity_),
               call("List" + plural_)};
    user_id_ = server_->db().Scalar(
        "INSERT INTO users (email, account_type, personal_account_type, "
        "first_name, last_name, nationality) VALUES ('parent@example.com', "
        "'personal', 'employee', 'Parent', 'User', 'Ghana') RETURNING id");
    ASSERT_FALSE(user_id_.empty());
  }

  const Descriptor* Input(const std::string& method) {
    return service_->FindMethodByName(method)->input_type();
  }
  const Descriptor* Resource() {
    return service_->FindMethodByName("Get" + entity_)->output_type();
  }
  const FieldDescriptor* ResourceFieldOf(const Descriptor* request) {
    for (int i = 0; i < request->field_count(); ++i) {
      if (request->field(i)->message_type() == Resource())
        return request->field(i);
    }
    return nullptr;
  }

  std::string Uuid(int n) {
    return absl::StrFormat("00000000-0000-4000-8000-%012d", n);
  }

  // A valid resource for number `n`.
  std::unique_ptr<Message> MakeResource(int n) {
    std::string json = absl::StrReplaceAll(
        GetParam().resource_json,
        {{"$USER", user_id_}, {"$ID", Uuid(n)}, {"$N", absl::StrCat(n)}});
    auto m = NewMessage(Resource());
    EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, m.get()).ok())
        << json;
    return m;
  }

  // Sends Create<X> with `resource`; fills `out`.
  grpc::Status Create(const Message& resource, Message* out) {
    auto req = NewMessage(Input("Create" + entity_));
    req->GetReflection()
        ->MutableMessage(req.get(), ResourceFieldOf(req->GetDescriptor()))
        ->CopyFrom(resource);
    grpc::ClientContext ctx;
    return ops_.create(&ctx, *req, out);
  }

  grpc::Status ById(const Call& call, const std::string& method,
                    const std::string& id, Message* out) {
    auto req = NewMessage(Input(method));
    req->GetReflection()->SetString(
        req.get(), req->GetDescriptor()->FindFieldByName("id"), id);
    grpc::ClientContext ctx;
    return call(&ctx, *req, out);
  }

  grpc::Status Get(const std::string& id, Message* out) {
    return ById(ops_.get, "Get" + entity_, id, out);
  }

  grpc::Status Update(const Message& resource, std::vector<std::string> paths,
                      Message* out) {
    auto req = NewMessage(Input("Update" + entity_));
    req->GetReflection()
        ->MutableMessage(req.get(), ResourceFieldOf(req->GetDescriptor()))
        ->CopyFrom(resource);
    auto* mask = req->GetReflection()->MutableMessage(
        req.get(), req->GetDescriptor()->FindFieldByName("update_mask"));
    const FieldDescriptor* pf = mask->GetDescriptor()->FindFieldByName("paths");
    for (const auto& p : paths) mask->GetReflection()->AddString(mask, pf, p);
    grpc::ClientContext ctx;
    return ops_.update(&ctx, *req, out);
  }

  std::string IdOf(const Message& m) {
    return m.GetReflection()->GetString(
        m, m.GetDescriptor()->FindFieldByName("id"));
  }

  std::string Count() {
    return server_->db().Scalar("SELECT count(*) FROM " + GetParam().table);
  }

  // Creates resource `n` and returns it (as stored).
  std::unique_ptr<Message> CreateOk(int n) {
    auto out = NewMessage(Resource());
    grpc::Status s = Create(*MakeResource(n), out.get());
    EXPECT_TRUE(s.ok()) << s.error_message();
    return out;
  }

  std::unique_ptr<testing::TestServer> server_;
  Ops ops_;
  std::string entity_;  // "User"
  std::string plural_;  // "Users"
  const google::protobuf::ServiceDescriptor* service_ = nullptr;
  std::string user_id_;
};

TEST_P(CrudTest, CreateGetUpdateListDelete) {
  auto created = CreateOk(1);
  const std::string id = IdOf(*created);
  ASSERT_EQ(id.size(), 36u);
  // Create returned what was sent, plus server-set fields.
  auto sent = MakeResource(1);
  google::protobuf::util::MessageDifferencer diff;
  diff.set_scope(google::protobuf::util::MessageDifferencer::PARTIAL);
  for (const char* f : {"id", "created_at", "updated_at", "first_registered_at",
                        "max_attempts", "is_active"}) {
    if (auto* fd = Resource()->FindFieldByName(f)) diff.IgnoreField(fd);
  }
  EXPECT_TRUE(diff.Compare(*sent, *created)) << created->DebugString();

  auto got = NewMessage(Resource());
  ASSERT_TRUE(Get(id, got.get()).ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*created, *got));

  // List finds it.
  auto list_req = NewMessage(Input("List" + plural_));
  auto list_resp = NewMessage(
      service_->FindMethodByName("List" + plural_)->output_type());
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(ops_.list(&ctx, *list_req, list_resp.get()).ok());
  }
  EXPECT_THAT(list_resp->DebugString(), HasSubstr(id));

  // Delete, then it is gone.
  google::protobuf::Empty empty;
  EXPECT_TRUE(ById(ops_.del, "Delete" + entity_, id, &empty).ok());
  EXPECT_EQ(Get(id, got.get()).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(
      ById(ops_.del, "Delete" + entity_, id, &empty).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Count(), GetParam().table == "users" ? "1" : "0");
}

// Keyset pagination (AIP-158) on every table: pages of 2 walk every row
// once, in (time column, id) order, and total_size counts them all.
TEST_P(CrudTest, PagesOfTwoWalkEveryRowOnceInKeyOrder) {
  for (int n = 31; n <= 35; ++n) CreateOk(n);
  const std::string rows = Count();
  const google::protobuf::MethodDescriptor* list =
      service_->FindMethodByName("List" + plural_);
  auto req = NewMessage(list->input_type());
  const auto* rd = req->GetDescriptor();
  req->GetReflection()->SetInt32(req.get(), rd->FindFieldByName("page_size"), 2);
  req->GetReflection()->SetBool(
      req.get(), rd->FindFieldByName("include_total_size"), true);
  const FieldDescriptor* items = nullptr;
  for (int i = 0; i < list->output_type()->field_count(); ++i) {
    if (list->output_type()->field(i)->is_repeated()) {
      items = list->output_type()->field(i);
    }
  }
  ASSERT_NE(items, nullptr);
  const FieldDescriptor* time_field =
      Resource()->FindFieldByName(SpecOf(GetParam().table)->time_column);
  ASSERT_NE(time_field, nullptr);
  std::set<std::string> seen;
  std::vector<std::pair<int64_t, std::string>> keys;
  for (int page = 0; page < 20; ++page) {
    auto resp = NewMessage(list->output_type());
    grpc::ClientContext ctx;
    grpc::Status s = ops_.list(&ctx, *req, resp.get());
    ASSERT_TRUE(s.ok()) << s.error_message();
    const auto* r = resp->GetReflection();
    EXPECT_LE(r->FieldSize(*resp, items), 2);
    EXPECT_EQ(absl::StrCat(r->GetInt64(*resp, resp->GetDescriptor()
                                                   ->FindFieldByName(
                                                       "total_size"))),
              rows);
    for (int i = 0; i < r->FieldSize(*resp, items); ++i) {
      const Message& row = r->GetRepeatedMessage(*resp, items, i);
      const std::string id = IdOf(row);
      EXPECT_TRUE(seen.insert(id).second) << id << " came twice";
      const Message& t = row.GetReflection()->GetMessage(row, time_field);
      const auto* td = t.GetDescriptor();
      keys.emplace_back(
          t.GetReflection()->GetInt64(t, td->FindFieldByName("seconds")) *
                  1000000000 +
              t.GetReflection()->GetInt32(t, td->FindFieldByName("nanos")),
          id);
    }
    const std::string token = r->GetString(
        *resp, resp->GetDescriptor()->FindFieldByName("next_page_token"));
    if (token.empty()) break;
    req->GetReflection()->SetString(req.get(), rd->FindFieldByName("page_token"),
                                    token);
  }
  EXPECT_EQ(absl::StrCat(seen.size()), rows);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

TEST_P(CrudTest, MissingRowIsNotFound) {
  auto out = NewMessage(Resource());
  grpc::Status s = Get(Uuid(999), out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
  auto resource = MakeResource(999);
  resource->GetReflection()->SetString(
      resource.get(), Resource()->FindFieldByName("id"), Uuid(999));
  s = Update(*resource, {GetParam().update_field}, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_P(CrudTest, MalformedUuidIsInvalidArgumentAndWritesNothing) {
  auto out = NewMessage(Resource());
  grpc::Status s = Get("not-a-uuid", out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("id"));

  const std::string before = Count();
  auto resource = MakeResource(1);
  const std::string field = GetParam().needs_user ? "user_id" : "id";
  resource->GetReflection()->SetString(resource.get(),
                                       Resource()->FindFieldByName(field),
                                       "12345678-1234-1234-1234-12345678901Z");
  s = Create(*resource, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr(field));
  EXPECT_EQ(Count(), before);
}

TEST_P(CrudTest, DuplicateUniqueValueIsAlreadyExistsAndWritesNothing) {
  CreateOk(7);
  const std::string before = Count();
  auto out = NewMessage(Resource());
  grpc::Status s = Create(*MakeResource(7), out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS)
      << s.error_message();
  EXPECT_EQ(Count(), before);
}

// Cases that have a parent user / an enum field / a varchar(n) field.
class CrudParentTest : public CrudTest {};
class CrudEnumTest : public CrudTest {};
class CrudLengthTest : public CrudTest {};

TEST_P(CrudParentTest, MissingParentUserIsFailedPreconditionAndWritesNothing) {
  const std::string before = Count();
  auto resource = MakeResource(3);
  resource->GetReflection()->SetString(
      resource.get(), Resource()->FindFieldByName("user_id"), Uuid(424242));
  auto out = NewMessage(Resource());
  grpc::Status s = Create(*resource, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
  EXPECT_EQ(Count(), before);
}

TEST_P(CrudEnumTest, UnknownEnumValueIsInvalidArgumentAndWritesNothing) {
  const std::string before = Count();
  auto resource = MakeResource(4);
  resource->GetReflection()->SetEnumValue(
      resource.get(), Resource()->FindFieldByName(GetParam().enum_field), 99);
  auto out = NewMessage(Resource());
  grpc::Status s = Create(*resource, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr(GetParam().enum_field));
  EXPECT_EQ(Count(), before);
}

TEST_P(CrudLengthTest, OverLongStringIsInvalidArgumentAndWritesNothing) {
  const FieldDescriptor* f = Resource()->FindFieldByName(GetParam().long_field);
  const std::string before = Count();
  auto resource = MakeResource(5);
  // n+1 two-byte characters: too long, counted in characters.
  std::string value;
  for (int i = 0; i <= GetParam().long_limit; ++i) value += "é";
  resource->GetReflection()->SetString(resource.get(), f, value);
  auto out = NewMessage(Resource());
  grpc::Status s = Create(*resource, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr(GetParam().long_field));
  EXPECT_EQ(Count(), before);
  // Exactly n characters (2n bytes) fits.
  value.resize(value.size() - 2);
  resource->GetReflection()->SetString(resource.get(), f, value);
  s = Create(*resource, out.get());
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_P(CrudTest, MissingRequiredFieldIsInvalidArgumentAndWritesNothing) {
  const std::string before = Count();
  auto resource = MakeResource(6);
  resource->GetReflection()->ClearField(
      resource.get(), Resource()->FindFieldByName(GetParam().required_field));
  auto out = NewMessage(Resource());
  grpc::Status s = Create(*resource, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr(GetParam().required_field));
  EXPECT_EQ(Count(), before);
}

TEST_P(CrudTest, EmptyUpdateMaskIsInvalidArgumentAndChangesNothing) {
  auto created = CreateOk(8);
  auto changed = MakeResource(8);
  changed->GetReflection()->SetString(
      changed.get(), Resource()->FindFieldByName("id"), IdOf(*created));
  auto out = NewMessage(Resource());
  grpc::Status s = Update(*changed, {}, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("update_mask"));
  s = Update(*changed, {"created_at"}, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = Update(*changed, {"no_such_field"}, out.get());
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  auto got = NewMessage(Resource());
  ASSERT_TRUE(Get(IdOf(*created), got.get()).ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*created, *got));
}

TEST_P(CrudTest, UpdateWithOneFieldMaskLeavesEveryOtherColumn) {
  auto created = CreateOk(9);
  // A resource whose every field differs from the stored row except id: only
  // the masked field may be taken from it.
  auto patch = NewMessage(Resource());
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  absl::StrCat("{\"id\":\"", IdOf(*created), "\",\"",
                               GetParam().update_field,
                               "\":", GetParam().update_json_value, "}"),
                  patch.get())
                  .ok());
  auto updated = NewMessage(Resource());
  grpc::Status s = Update(*patch, {GetParam().update_field}, updated.get());
  ASSERT_TRUE(s.ok()) << s.error_message();

  const FieldDescriptor* f =
      Resource()->FindFieldByName(GetParam().update_field);
  // The masked field took the new value...
  auto expected = NewMessage(Resource());
  expected->CopyFrom(*created);
  expected->GetReflection()->ClearField(expected.get(), f);
  expected->MergeFrom(*patch);
  google::protobuf::util::MessageDifferencer diff;
  if (auto* u = Resource()->FindFieldByName("updated_at")) diff.IgnoreField(u);
  EXPECT_TRUE(diff.Compare(*expected, *updated))
      << "expected " << expected->DebugString() << "got "
      << updated->DebugString();
  // ...and the database agrees.
  auto got = NewMessage(Resource());
  ASSERT_TRUE(Get(IdOf(*created), got.get()).ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(*updated, *got));
}

const TableCase kCases[] = {
    {"users",
     R"({"id":"$ID","email":"user$N@example.com","account_type":"ACCOUNT_TYPE_PERSONAL",
        "personal_account_type":"PERSONAL_ACCOUNT_TYPE_FREELANCER","first_name":"Ada",
        "last_name":"Lovelace","nationality":"Nigeria","gender":"female"})",
     false, "account_type", "email", 255, "first_name", R"("Grace")",
     "last_name"},
    {"sessions",
     R"({"id":"$ID","user_id":"$USER","refresh_token":"rt-$N","user_agent":"agent",
        "user_login_type":"email","client_ip":"127.0.0.1","expires_at":"2030-01-01T00:00:00Z"})",
     true, "", "", 0, "user_agent", R"("another agent")", "refresh_token"},
    {"kyc",
     R"({"id":"$ID","user_id":"$USER","face_verification":true,"verification_type":"passport",
        "verification_number":"A$N","verification_status":"pending"})",
     true, "", "verification_type", 50, "verification_status", R"("approved")",
     "verification_number"},
    {"user_device_tokens",
     R"({"user_id":"$USER","device_token":"token-$N","platform":"ios","device_model":"iPhone 15"})",
     true, "", "platform", 50, "device_model", R"("Pixel 8")", "platform"},
    {"otp_verifications",
     R"({"id":"$ID","user_id":"$USER","otp_code":"123456","hashed_otp":"hash-$N","is_verified":true,
        "purpose":"OTP_PURPOSE_PASSWORD_RESET","expires_at":"2030-01-01T00:00:00Z",
        "ip_address":"192.0.2.1"})",
     true, "purpose", "otp_code", 10, "contact_method", R"("ada@example.com")",
     "hashed_otp"},
    {"transactions",
     R"({"user_id":"$USER","tx_hash":"0xabc$N","transaction_pin_hash":"pin-hash",
        "status":"TRANSACTION_STATUS_PENDING"})",
     true, "status", "tx_hash", 255, "status",
     R"("TRANSACTION_STATUS_CONFIRMED")", "transaction_pin_hash"},
    {"user_wallets",
     R"({"id":"$ID","user_id":"$USER","address":"0xwallet$N","type":"embedded",
        "chain":"base"})",
     true, "", "", 0, "is_default", "true", "address"},
    {"waitlist",
     R"({"id":"$ID","email":"wait$N@example.com","full_name":"Ada Lovelace",
        "referral_code":"REF$N","referral_source":"twitter","metadata":"{\"k\": $N}"})",
     false, "", "referral_code", 20, "status", R"("invited")", "email"},
    {"security_events",
     R"({"id":"$ID","user_id":"$USER","event_type":"login","ip_address":"198.51.100.$N",
        "user_agent":"agent","metadata":"{\"k\": $N}"})",
     true, "", "", 0, "event_type", R"("logout")", "event_type"},
};

// Every declared table runs the suites above: a new table's declaration
// without a case here fails.
TEST(CrudCoverageTest, EveryDeclaredTableHasACase) {
  for (const server::ServiceDeclaration* d : server::AllServiceDeclarations()) {
    EXPECT_TRUE(std::any_of(std::begin(kCases), std::end(kCases),
                            [&](const TableCase& c) {
                              return c.table == d->table.table;
                            }))
        << d->table.table << " has no case in kCases";
  }
}

std::string CaseName(const ::testing::TestParamInfo<TableCase>& info) {
  return info.param.table;
}

std::vector<TableCase> CasesWhere(std::function<bool(const TableCase&)> keep) {
  std::vector<TableCase> out;
  for (const TableCase& c : kCases) {
    if (keep(c)) out.push_back(c);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllTables, CrudTest, ::testing::ValuesIn(kCases),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(TablesWithParent, CrudParentTest,
                         ::testing::ValuesIn(CasesWhere([](const TableCase& c) {
                           return c.needs_user;
                         })),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(TablesWithEnum, CrudEnumTest,
                         ::testing::ValuesIn(CasesWhere([](const TableCase& c) {
                           return !c.enum_field.empty();
                         })),
                         CaseName);
INSTANTIATE_TEST_SUITE_P(TablesWithVarcharLimit, CrudLengthTest,
                         ::testing::ValuesIn(CasesWhere([](const TableCase& c) {
                           return !c.long_field.empty();
                         })),
                         CaseName);

// Users specifically: e-mail uniqueness ignores case (users_email_lower_key).
TEST(UserCrudTest, EmailIsUniqueCaseInsensitively) {
  auto server = testing::TestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  data::v1::CreateUserRequest req;
  auto* u = req.mutable_user();
  u->set_email("Ada@Example.com");
  u->set_account_type(data::v1::ACCOUNT_TYPE_BUSINESS);
  u->set_personal_account_type(data::v1::PERSONAL_ACCOUNT_TYPE_EMPLOYEE);
  u->set_first_name("Ada");
  u->set_last_name("L");
  u->set_nationality("Kenya");
  req.set_password_hash("$argon2id$secret-hash");
  data::v1::User out;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE((*server)->client().users().CreateUser(&ctx, req, &out).ok());
  }
  EXPECT_EQ((*server)->db().Scalar("SELECT password_hash FROM users"),
            "$argon2id$secret-hash");
  u->set_email("ada@EXAMPLE.COM");
  grpc::ClientContext ctx;
  grpc::Status s = (*server)->client().users().CreateUser(&ctx, req, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr("email"));
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("ada@")));
}

}  // namespace
}  // namespace defifundr
