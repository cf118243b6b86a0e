// UserDeviceService: gRPC handlers for the `user_device_tokens` table.
#ifndef DEFIFUNDR_SERVER_USER_DEVICES_SERVICE_H_
#define DEFIFUNDR_SERVER_USER_DEVICES_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/user_devices.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; the standard Create/Get/List handlers are callback handlers
/// that never block gRPC's threads (Table::*Async); the others run on gRPC's
/// synchronous server threads. Status codes are documented on each RPC in
/// user_devices.proto.
class UserDeviceServiceImpl final
    : public data::v1::UserDeviceService::WithCallbackMethod_CreateUserDevice<
          data::v1::UserDeviceService::WithCallbackMethod_GetUserDevice<
              data::v1::UserDeviceService::WithCallbackMethod_ListUserDevices<
                  data::v1::UserDeviceService::Service>>> {
 public:
  /// `db` must outlive the service.
  UserDeviceServiceImpl(Database& db, const HandlerOptions& options);

  grpc::ServerUnaryReactor* CreateUserDevice(
      grpc::CallbackServerContext* ctx,
      const data::v1::CreateUserDeviceRequest* request,
      data::v1::UserDevice* response) override;
  grpc::ServerUnaryReactor* GetUserDevice(
      grpc::CallbackServerContext* ctx,
      const data::v1::GetUserDeviceRequest* request,
      data::v1::UserDevice* response) override;
  grpc::Status UpdateUserDevice(
      grpc::ServerContext* ctx,
      const data::v1::UpdateUserDeviceRequest* request,
      data::v1::UserDevice* response) override;
  grpc::Status DeleteUserDevice(
      grpc::ServerContext* ctx,
      const data::v1::DeleteUserDeviceRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListUserDevices(
      grpc::CallbackServerContext* ctx,
      const data::v1::ListUserDevicesRequest* request,
      data::v1::ListUserDevicesResponse* response) override;
  grpc::Status GetDeviceByToken(
      grpc::ServerContext* ctx,
      const data::v1::GetDeviceByTokenRequest* request,
      data::v1::UserDevice* response) override;
  grpc::Status SearchDevices(
      grpc::ServerContext* ctx, const data::v1::SearchDevicesRequest* request,
      data::v1::ListUserDevicesResponse* response) override;
  grpc::Status TouchDevice(grpc::ServerContext* ctx,
                           const data::v1::TouchDeviceRequest* request,
                           data::v1::UserDevice* response) override;
  grpc::Status UpdatePushToken(grpc::ServerContext* ctx,
                               const data::v1::UpdatePushTokenRequest* request,
                               data::v1::UserDevice* response) override;
  grpc::Status RevokeDevice(grpc::ServerContext* ctx,
                            const data::v1::RevokeDeviceRequest* request,
                            data::v1::UserDevice* response) override;
  grpc::Status CountActiveDevices(
      grpc::ServerContext* ctx,
      const data::v1::CountActiveDevicesRequest* request,
      data::v1::CountResponse* response) override;
  grpc::Status DeleteExpiredDevices(
      grpc::ServerContext* ctx,
      const data::v1::DeleteExpiredDevicesRequest* request,
      data::v1::AffectedRowsResponse* response) override;
  grpc::Status UpsertDeviceToken(
      grpc::ServerContext* ctx,
      const data::v1::UpsertDeviceTokenRequest* request,
      data::v1::UserDevice* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const;

 private:
  absl::Status DoUpsertDeviceToken(
      grpc::ServerContext* ctx,
      const data::v1::UpsertDeviceTokenRequest& request,
      data::v1::UserDevice* response);
  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_USER_DEVICES_SERVICE_H_
