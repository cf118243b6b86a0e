// UserService (users.proto) over the `users` table.
#include "defifundr/data/v1/otp.pb.h"
#include "defifundr/data/v1/users.pb.h"
#include "server/service.h"
#include "server/validation.h"

namespace defifundr::server::tables {
namespace {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

// A user's credentials by id or by e-mail: the one query the key chooses.
absl::Status GetUserCredentials(Rpc& rpc, const GetUserCredentialsRequest& request,
                                UserCredentials* response) {
  const ParamSource sources[] = {{"", &request}};
  db::QueryName statement;
  if (request.key_case() == GetUserCredentialsRequest::kId &&
      !request.id().empty()) {
    statement = queries::kGetUserCredentialsById;
  } else if (request.key_case() == GetUserCredentialsRequest::kEmail &&
             !request.email().empty()) {
    statement = queries::kGetUserCredentialsByEmail;
  } else {
    return absl::InvalidArgumentError("key: set id or email (required)");
  }
  absl::Status s = rpc.FetchOne(statement, sources, response);
  if (s.code() == absl::StatusCode::kNotFound) {
    s = absl::NotFoundError("User not found");
  }
  return s;
}

// The user and its first OTP, both or neither.
absl::Status RegisterUser(Rpc& rpc, const RegisterUserRequest& request,
                          RegisterUserResponse* response) {
  if (!request.has_user()) return absl::InvalidArgumentError("user: required");
  if (!request.has_otp()) return absl::InvalidArgumentError("otp: required");
  if (absl::Status s = ValidateColumns(request, "", rpc.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  if (absl::Status s =
          ValidateColumns(request.user(), "user.", rpc.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  Otp otp = request.otp();
  if (otp.purpose() == OTP_PURPOSE_UNSPECIFIED) {
    otp.set_purpose(OTP_PURPOSE_EMAIL_VERIFICATION);
  }
  if (!otp.has_contact_method()) otp.set_contact_method(request.user().email());
  auto otp_meta = rpc.meta("otp_verifications");
  if (!otp_meta.ok()) return otp_meta.status();
  if (absl::Status s = ValidateColumns(otp, "otp.", **otp_meta, nullptr);
      !s.ok()) {
    return s;
  }
  // READ COMMITTED suffices: the two inserts conflict with other
  // transactions only through unique indexes, which PostgreSQL checks
  // whatever the isolation level; the transaction makes them all-or-nothing.
  return rpc.InTransaction([&](Rpc& tx) -> absl::Status {
    response->Clear();
    const ParamSource user_sources[] = {{"user.", &request.user()},
                                        {"", &request}};
    auto user = tx.Run(queries::kCreateUser, user_sources);
    if (!user.ok()) return user.status();
    if (absl::Status s = Rpc::Decode(*user, 0, response->mutable_user());
        !s.ok()) {
      return s;
    }
    otp.set_user_id(response->user().id());
    const ParamSource otp_sources[] = {{"otp.", &otp}};
    auto created = tx.Run(queries::kCreateOtp, otp_sources,
                          {{"request_id", std::nullopt}});
    if (!created.ok()) return created.status();
    return Rpc::Decode(*created, 0, response->mutable_otp());
  });
}

}  // namespace

const ServiceDeclaration& users() {
  static const auto* const declaration = new ServiceDeclaration{
      .table =
          {
              .service = User::descriptor()->file()->FindServiceByName(
                  "UserService"),
              .entity = "User",
              .plural = "Users",
              .table = "users",
              .time_column = "created_at",
              .immutable = {"created_at", "updated_at"},
              .queries =
                  {
                      .create = queries::kCreateUser,
                      .get = queries::kGetUser,
                      .update = queries::kUpdateUser,
                      .delete_ = queries::kDeleteUser,
                      .list = queries::kListUsers,
                      .count = queries::kCountUsers,
                      .list_desc = queries::kListUsersDesc,
                  },
              .methods =
                  {
                      {.name = "GetUserByEmail",
                       .statement = queries::kGetUserByEmail,
                       .kind = MethodKind::kOne,
                       .required = {"email"}},
                      {.name = "CheckEmailExists",
                       .statement = queries::kCheckEmailExists,
                       .kind = MethodKind::kOne,
                       .required = {"email"}},
                      {.name = "SearchUsers",
                       .statement = queries::kSearchUsers,
                       .kind = MethodKind::kPage,
                       .required = {"query"},
                       .count_statement = queries::kCountSearchUsers,
                       .search = true},
                      {.name = "CountUsers",
                       .statement = queries::kCountUsersByFilter,
                       .kind = MethodKind::kOne},
                      {.name = "UpdateUserEmail",
                       .statement = queries::kUpdateUserEmail,
                       .kind = MethodKind::kOne,
                       .required = {"id", "email"},
                       .check_columns = true},
                      {.name = "UpdateUserPassword",
                       .statement = queries::kUpdateUserPassword,
                       .kind = MethodKind::kExecOne,
                       .required = {"id", "password_hash"},
                       .check_columns = true},
                  },
          },
      .custom = {
          Custom("GetUserCredentials", &GetUserCredentials,
                 {{queries::kGetUserCredentialsById,
                   UserCredentials::descriptor(),
                   {GetUserCredentialsRequest::descriptor()},
                   {}},
                  {queries::kGetUserCredentialsByEmail,
                   UserCredentials::descriptor(),
                   {GetUserCredentialsRequest::descriptor()},
                   {}}}),
          Custom("RegisterUser", &RegisterUser, {}),
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
