#include "server/user_devices_service.h"

#include "server/arena_allocator.h"
#include "server/status.h"
#include "server/validation.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

namespace {

const google::protobuf::ServiceDescriptor* Descriptor() {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      UserDeviceService::service_full_name());
}

}  // namespace

UserDeviceServiceImpl::UserDeviceServiceImpl(Database& db,
                                             const HandlerOptions& options)
    : table_(db,
             TableSpec{
                 Descriptor(),
                 "UserDevice",
                 "UserDevices",
                 "user_device_tokens",
                 "first_registered_at",
                 {"user_id", "first_registered_at"},
                 StandardQueries{
                     .create = queries::kCreateUserDevice,
                     .get = queries::kGetUserDevice,
                     .update = queries::kUpdateUserDevice,
                     .delete_ = queries::kDeleteUserDevice,
                     .list = queries::kListUserDevices,
                     .count = queries::kCountUserDevices,
                 },
                 {
                     {"GetDeviceByToken",
                      queries::kGetDeviceByToken,
                      MethodKind::kOne,
                      {"device_token"}},
                     {"SearchDevices",
                      queries::kSearchDevices,
                      MethodKind::kPage,
                      {"user_id", "query"},
                      queries::kCountSearchDevices,
                      /*check_columns=*/false,
                      /*search=*/true},
                     {"TouchDevice",
                      queries::kTouchDevice,
                      MethodKind::kOne,
                      {"id"},
                      {},
                      /*check_columns=*/true},
                     {"UpdatePushToken",
                      queries::kUpdatePushToken,
                      MethodKind::kOne,
                      {"id", "push_notification_token"},
                      {},
                      /*check_columns=*/true},
                     {"RevokeDevice", queries::kRevokeDevice, MethodKind::kOne, {"id"}},
                     {"CountActiveDevices",
                      queries::kCountActiveDevices,
                      MethodKind::kOne,
                      {}},
                     {"DeleteExpiredDevices",
                      queries::kDeleteExpiredDevices,
                      MethodKind::kAffected,
                      {"expired_before"}},
                 }},
             options) {
  // Callback methods: their messages on one arena per call.
  SetMessageAllocatorFor_CreateUserDevice(
      ArenaAllocator<data::v1::CreateUserDeviceRequest,
                     data::v1::UserDevice>::Instance());
  SetMessageAllocatorFor_GetUserDevice(
      ArenaAllocator<data::v1::GetUserDeviceRequest,
                     data::v1::UserDevice>::Instance());
  SetMessageAllocatorFor_ListUserDevices(
      ArenaAllocator<data::v1::ListUserDevicesRequest,
                     data::v1::ListUserDevicesResponse>::Instance());
}

std::vector<Binding> UserDeviceServiceImpl::Bindings() const {
  std::vector<Binding> b = table_.Bindings();
  const auto* upsert = Descriptor()->FindMethodByName("UpsertDeviceToken");
  b.push_back({queries::kUpsertDeviceToken,
               upsert->output_type(),
               {upsert->output_type(), upsert->input_type()},
               {}});
  return b;
}

grpc::ServerUnaryReactor* UserDeviceServiceImpl::CreateUserDevice(
    grpc::CallbackServerContext* ctx, const CreateUserDeviceRequest* request,
    UserDevice* response) {
  return React(ctx, [&](Table::Done done) {
    table_.CreateAsync(ctx, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* UserDeviceServiceImpl::GetUserDevice(
    grpc::CallbackServerContext* ctx, const GetUserDeviceRequest* request,
    UserDevice* response) {
  return React(ctx, [&](Table::Done done) {
    table_.GetAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status UserDeviceServiceImpl::UpdateUserDevice(
    grpc::ServerContext* ctx, const UpdateUserDeviceRequest* request,
    UserDevice* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::DeleteUserDevice(
    grpc::ServerContext* ctx, const DeleteUserDeviceRequest* request,
    google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::ServerUnaryReactor* UserDeviceServiceImpl::ListUserDevices(
    grpc::CallbackServerContext* ctx, const ListUserDevicesRequest* request,
    ListUserDevicesResponse* response) {
  return React(ctx, [&](Table::Done done) {
    table_.ListAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status UserDeviceServiceImpl::GetDeviceByToken(
    grpc::ServerContext* ctx, const GetDeviceByTokenRequest* request,
    UserDevice* response) {
  return table_.Call("GetDeviceByToken", ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::SearchDevices(
    grpc::ServerContext* ctx, const SearchDevicesRequest* request,
    ListUserDevicesResponse* response) {
  return table_.Call("SearchDevices", ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::TouchDevice(
    grpc::ServerContext* ctx, const TouchDeviceRequest* request,
    UserDevice* response) {
  return table_.Call("TouchDevice", ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::UpdatePushToken(
    grpc::ServerContext* ctx, const UpdatePushTokenRequest* request,
    UserDevice* response) {
  return table_.Call("UpdatePushToken", ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::RevokeDevice(
    grpc::ServerContext* ctx, const RevokeDeviceRequest* request,
    UserDevice* response) {
  return table_.Call("RevokeDevice", ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::CountActiveDevices(
    grpc::ServerContext* ctx, const CountActiveDevicesRequest* request,
    CountResponse* response) {
  return table_.Call("CountActiveDevices", ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::DeleteExpiredDevices(
    grpc::ServerContext* ctx, const DeleteExpiredDevicesRequest* request,
    AffectedRowsResponse* response) {
  return table_.Call("DeleteExpiredDevices", ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::UpsertDeviceToken(
    grpc::ServerContext* ctx, const UpsertDeviceTokenRequest* request,
    UserDevice* response) {
  if (absl::Status s = table_.Admit(); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(DoUpsertDeviceToken(ctx, *request, response));
}

absl::Status UserDeviceServiceImpl::DoUpsertDeviceToken(
    grpc::ServerContext* ctx, const UpsertDeviceTokenRequest& request,
    UserDevice* response) {
  if (!request.has_user_device()) {
    return absl::InvalidArgumentError("user_device: required");
  }
  if (absl::Status s = ValidateColumns(request.user_device(), "user_device.",
                                       table_.meta(), nullptr);
      !s.ok()) {
    return s;
  }
  // One statement (INSERT ... ON CONFLICT (device_token) DO UPDATE): atomic
  // under concurrency without an explicit transaction.
  const ParamSource sources[] = {{"user_device.", &request.user_device()},
                                 {"", &request}};
  absl::Status s = table_.db().FetchOne(table_.CallOptions(ctx),
                                        queries::kUpsertDeviceToken, sources, response);
  if (s.code() == absl::StatusCode::kNotFound) {
    // The conflict's update was skipped: the token is another user's.
    return WithReason(
        absl::AlreadyExistsError(
            "user_device.device_token: registered to another user"),
        "DEVICE_TOKEN_TAKEN");
  }
  return s;
}
}  // namespace defifundr::server
