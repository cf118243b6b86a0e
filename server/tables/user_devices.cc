// UserDeviceService (user_devices.proto) over the `user_device_tokens` table.
#include "defifundr/data/v1/user_devices.pb.h"
#include "server/service.h"
#include "server/status.h"
#include "server/validation.h"

namespace defifundr::server::tables {
namespace {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

// Registers a device token, or refreshes the caller's own registration.
absl::Status UpsertDeviceToken(Rpc& rpc, const UpsertDeviceTokenRequest& request,
                               UserDevice* response) {
  if (!request.has_user_device()) {
    return absl::InvalidArgumentError("user_device: required");
  }
  if (absl::Status s = ValidateColumns(request.user_device(), "user_device.",
                                       rpc.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  // One statement (INSERT ... ON CONFLICT (device_token) DO UPDATE): atomic
  // under concurrency without an explicit transaction.
  const ParamSource sources[] = {{"user_device.", &request.user_device()},
                                 {"", &request}};
  absl::Status s = rpc.FetchOne(queries::kUpsertDeviceToken, sources, response);
  if (s.code() == absl::StatusCode::kNotFound) {
    // The conflict's update was skipped: the token is another user's.
    return WithReason(
        absl::AlreadyExistsError(
            "user_device.device_token: registered to another user"),
        "DEVICE_TOKEN_TAKEN");
  }
  return s;
}

}  // namespace

const ServiceDeclaration& user_devices() {
  static const auto* const declaration = new ServiceDeclaration{
      .table =
          {
              .service = UserDevice::descriptor()->file()->FindServiceByName(
                  "UserDeviceService"),
              .entity = "UserDevice",
              .plural = "UserDevices",
              .table = "user_device_tokens",
              .time_column = "first_registered_at",
              .immutable = {"user_id", "first_registered_at"},
              .queries =
                  {
                      .create = queries::kCreateUserDevice,
                      .get = queries::kGetUserDevice,
                      .update = queries::kUpdateUserDevice,
                      .delete_ = queries::kDeleteUserDevice,
                      .list = queries::kListUserDevices,
                      .count = queries::kCountUserDevices,
                  },
              .methods =
                  {
                      {.name = "GetDeviceByToken",
                       .statement = queries::kGetDeviceByToken,
                       .kind = MethodKind::kOne,
                       .required = {"device_token"}},
                      {.name = "SearchDevices",
                       .statement = queries::kSearchDevices,
                       .kind = MethodKind::kPage,
                       .required = {"user_id", "query"},
                       .count_statement = queries::kCountSearchDevices,
                       .search = true},
                      {.name = "TouchDevice",
                       .statement = queries::kTouchDevice,
                       .kind = MethodKind::kOne,
                       .required = {"id"},
                       .check_columns = true},
                      {.name = "UpdatePushToken",
                       .statement = queries::kUpdatePushToken,
                       .kind = MethodKind::kOne,
                       .required = {"id", "push_notification_token"},
                       .check_columns = true},
                      {.name = "RevokeDevice",
                       .statement = queries::kRevokeDevice,
                       .kind = MethodKind::kOne,
                       .required = {"id"}},
                      {.name = "CountActiveDevices",
                       .statement = queries::kCountActiveDevices,
                       .kind = MethodKind::kOne},
                      {.name = "DeleteExpiredDevices",
                       .statement = queries::kDeleteExpiredDevices,
                       .kind = MethodKind::kAffected,
                       .required = {"expired_before"}},
                  },
          },
      .custom = {
          Custom("UpsertDeviceToken", &UpsertDeviceToken,
                 {{queries::kUpsertDeviceToken,
                   UserDevice::descriptor(),
                   {UserDevice::descriptor(), UpsertDeviceTokenRequest::descriptor()},
                   {}}}),
      }};
  return *declaration;
}

}  // namespace defifundr::server::tables
