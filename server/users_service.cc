#include "server/users_service.h"

#include "absl/strings/str_cat.h"
#include "db/pg/transaction.h"
#include "server/arena_allocator.h"
#include "server/status.h"
#include "server/validation.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

namespace {

const google::protobuf::ServiceDescriptor* Descriptor() {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      UserService::service_full_name());
}

}  // namespace

UserServiceImpl::UserServiceImpl(Database& db, const HandlerOptions& options)
    : table_(db,
             TableSpec{
                 Descriptor(),
                 "User",
                 "Users",
                 "users",
                 "created_at",
                 {"created_at", "updated_at"},
                 StandardQueries{
                     .create = queries::kCreateUser,
                     .get = queries::kGetUser,
                     .update = queries::kUpdateUser,
                     .delete_ = queries::kDeleteUser,
                     .list = queries::kListUsers,
                     .count = queries::kCountUsers,
                     .list_desc = queries::kListUsersDesc,
                 },
                 {
                     {"GetUserByEmail",
                      queries::kGetUserByEmail,
                      MethodKind::kOne,
                      {"email"}},
                     {"CheckEmailExists",
                      queries::kCheckEmailExists,
                      MethodKind::kOne,
                      {"email"}},
                     {"SearchUsers",
                      queries::kSearchUsers,
                      MethodKind::kPage,
                      {"query"},
                      queries::kCountSearchUsers,
                      /*check_columns=*/false,
                      /*search=*/true},
                     {"CountUsers", queries::kCountUsersByFilter, MethodKind::kOne, {}},
                     {"UpdateUserEmail",
                      queries::kUpdateUserEmail,
                      MethodKind::kOne,
                      {"id", "email"},
                      {},
                      /*check_columns=*/true},
                     {"UpdateUserPassword",
                      queries::kUpdateUserPassword,
                      MethodKind::kExecOne,
                      {"id", "password_hash"},
                      {},
                      /*check_columns=*/true},
                 },
             },
             options) {
  // Callback methods: their messages on one arena per call.
  SetMessageAllocatorFor_CreateUser(
      ArenaAllocator<data::v1::CreateUserRequest, data::v1::User>::Instance());
  SetMessageAllocatorFor_GetUser(
      ArenaAllocator<data::v1::GetUserRequest, data::v1::User>::Instance());
  SetMessageAllocatorFor_ListUsers(
      ArenaAllocator<data::v1::ListUsersRequest,
                     data::v1::ListUsersResponse>::Instance());
}

std::vector<Binding> UserServiceImpl::Bindings() const {
  std::vector<Binding> b = table_.Bindings();
  const auto* s = Descriptor();
  const auto* creds = s->FindMethodByName("GetUserCredentials");
  b.push_back({queries::kGetUserCredentialsById,
               creds->output_type(),
               {creds->input_type()},
               {}});
  b.push_back({queries::kGetUserCredentialsByEmail,
               creds->output_type(),
               {creds->input_type()},
               {}});
  return b;
}

grpc::ServerUnaryReactor* UserServiceImpl::CreateUser(
    grpc::CallbackServerContext* ctx, const CreateUserRequest* request,
    User* response) {
  return React(ctx, [&](Table::Done done) {
    table_.CreateAsync(ctx, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* UserServiceImpl::GetUser(
    grpc::CallbackServerContext* ctx, const GetUserRequest* request,
    User* response) {
  return React(ctx, [&](Table::Done done) {
    table_.GetAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status UserServiceImpl::UpdateUser(grpc::ServerContext* ctx,
                                         const UpdateUserRequest* request,
                                         User* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status UserServiceImpl::DeleteUser(grpc::ServerContext* ctx,
                                         const DeleteUserRequest* request,
                                         google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::ServerUnaryReactor* UserServiceImpl::ListUsers(
    grpc::CallbackServerContext* ctx, const ListUsersRequest* request,
    ListUsersResponse* response) {
  return React(ctx, [&](Table::Done done) {
    table_.ListAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status UserServiceImpl::GetUserByEmail(
    grpc::ServerContext* ctx, const GetUserByEmailRequest* request,
    User* response) {
  return table_.Call("GetUserByEmail", ctx, *request, response);
}

grpc::Status UserServiceImpl::CheckEmailExists(
    grpc::ServerContext* ctx, const CheckEmailExistsRequest* request,
    CheckEmailExistsResponse* response) {
  return table_.Call("CheckEmailExists", ctx, *request, response);
}

grpc::Status UserServiceImpl::SearchUsers(grpc::ServerContext* ctx,
                                          const SearchUsersRequest* request,
                                          ListUsersResponse* response) {
  return table_.Call("SearchUsers", ctx, *request, response);
}

grpc::Status UserServiceImpl::CountUsers(grpc::ServerContext* ctx,
                                         const CountUsersRequest* request,
                                         CountResponse* response) {
  return table_.Call("CountUsers", ctx, *request, response);
}

grpc::Status UserServiceImpl::UpdateUserEmail(
    grpc::ServerContext* ctx, const UpdateUserEmailRequest* request,
    User* response) {
  return table_.Call("UpdateUserEmail", ctx, *request, response);
}

grpc::Status UserServiceImpl::UpdateUserPassword(
    grpc::ServerContext* ctx, const UpdateUserPasswordRequest* request,
    google::protobuf::Empty* response) {
  return table_.Call("UpdateUserPassword", ctx, *request, response);
}

grpc::Status UserServiceImpl::GetUserCredentials(
    grpc::ServerContext* ctx, const GetUserCredentialsRequest* request,
    UserCredentials* response) {
  if (absl::Status s = table_.Admit(); !s.ok()) return ToGrpcStatus(s);
  const ParamSource sources[] = {{"", request}};
  db::QueryName statement;
  if (request->key_case() == GetUserCredentialsRequest::kId &&
      !request->id().empty()) {
    statement = queries::kGetUserCredentialsById;
  } else if (request->key_case() == GetUserCredentialsRequest::kEmail &&
             !request->email().empty()) {
    statement = queries::kGetUserCredentialsByEmail;
  } else {
    return ToGrpcStatus(
        absl::InvalidArgumentError("key: set id or email (required)"));
  }
  absl::Status s = table_.db().FetchOne(table_.CallOptions(ctx), statement,
                                        sources, response);
  if (s.code() == absl::StatusCode::kNotFound) {
    s = absl::NotFoundError("User not found");
  }
  return ToGrpcStatus(s);
}

grpc::Status UserServiceImpl::RegisterUser(grpc::ServerContext* ctx,
                                           const RegisterUserRequest* request,
                                           RegisterUserResponse* response) {
  if (absl::Status s = table_.Admit(); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(DoRegisterUser(ctx, *request, response));
}

absl::Status UserServiceImpl::DoRegisterUser(grpc::ServerContext* ctx,
                                             const RegisterUserRequest& request,
                                             RegisterUserResponse* response) {
  if (!request.has_user()) return absl::InvalidArgumentError("user: required");
  if (!request.has_otp()) return absl::InvalidArgumentError("otp: required");
  if (absl::Status s = ValidateColumns(request, "", table_.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ValidateColumns(request.user(), "user.", table_.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  Otp otp = request.otp();
  if (otp.purpose() == OTP_PURPOSE_UNSPECIFIED) {
    otp.set_purpose(OTP_PURPOSE_EMAIL_VERIFICATION);
  }
  if (!otp.has_contact_method()) otp.set_contact_method(request.user().email());
  const TableMeta* otp_meta = table_.db().schema().table("otp_verifications");
  if (otp_meta == nullptr)
    return absl::InternalError("otp table metadata missing");
  if (absl::Status s = ValidateColumns(otp, "otp.", *otp_meta, nullptr);
      !s.ok()) {
    return s;
  }
  // READ COMMITTED suffices: the two inserts conflict with other
  // transactions only through unique indexes, which PostgreSQL checks
  // whatever the isolation level; the transaction makes them all-or-nothing.
  const db::pg::CallOptions options = table_.CallOptions(ctx);
  return db::pg::RunInTransaction(
      table_.db().pool(), db::pg::IsolationLevel::kReadCommitted, options,
      [&](db::pg::Connection& conn) -> absl::Status {
        response->Clear();
        const ParamSource user_sources[] = {{"user.", &request.user()},
                                            {"", &request}};
        auto user =
            table_.db().RunOn(conn, options, queries::kCreateUser, user_sources);
        if (!user.ok()) return user.status();
        if (absl::Status s = DecodeRow(*user, 0, response->mutable_user());
            !s.ok()) {
          return s;
        }
        otp.set_user_id(response->user().id());
        const ParamSource otp_sources[] = {{"otp.", &otp}};
        auto created =
            table_.db().RunOn(conn, options, queries::kCreateOtp, otp_sources,
                              {{"request_id", std::nullopt}});
        if (!created.ok()) return created.status();
        return DecodeRow(*created, 0, response->mutable_otp());
      });
}

}  // namespace defifundr::server
