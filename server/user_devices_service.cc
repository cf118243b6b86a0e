#include "server/user_devices_service.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.

UserDeviceServiceImpl::UserDeviceServiceImpl(Database& db,
                                             const HandlerOptions& options)
    : table_(db,
             TableSpec{google::protobuf::DescriptorPool::generated_pool()
                           ->FindServiceByName(
                               UserDeviceService::service_full_name()),
                       "UserDevice",
                       "UserDevices",
                       "user_device_tokens",
                       "first_registered_at",
                       {"user_id", "first_registered_at"}},
             options) {}

grpc::Status UserDeviceServiceImpl::CreateUserDevice(
    grpc::ServerContext* ctx, const CreateUserDeviceRequest* request,
    UserDevice* response) {
  return table_.Create(ctx, *request, response);
}

grpc::Status UserDeviceServiceImpl::GetUserDevice(
    grpc::ServerContext* ctx, const GetUserDeviceRequest* request,
    UserDevice* response) {
  return table_.Get(ctx, *request, response);
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

grpc::Status UserDeviceServiceImpl::ListUserDevices(
    grpc::ServerContext* ctx, const ListUserDevicesRequest* request,
    ListUserDevicesResponse* response) {
  return table_.List(ctx, *request, response);
}

}  // namespace defifundr::server
