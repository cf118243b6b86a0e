// SessionService: gRPC handlers for the `sessions` table.
#ifndef DEFIFUNDR_SERVER_SESSIONS_SERVICE_H_
#define DEFIFUNDR_SERVER_SESSIONS_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/sessions.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; the standard Create/Get/List handlers are callback handlers
/// that never block gRPC's threads (Table::*Async); the others run on gRPC's
/// synchronous server threads. Status codes are documented on each RPC in
/// sessions.proto.
class SessionServiceImpl final
    : public data::v1::SessionService::WithCallbackMethod_CreateSession<
          data::v1::SessionService::WithCallbackMethod_GetSession<
              data::v1::SessionService::WithCallbackMethod_ListSessions<
                  data::v1::SessionService::Service>>> {
 public:
  /// `db` must outlive the service.
  SessionServiceImpl(Database& db, const HandlerOptions& options);

  grpc::ServerUnaryReactor* CreateSession(
      grpc::CallbackServerContext* ctx,
      const data::v1::CreateSessionRequest* request,
      data::v1::Session* response) override;
  grpc::ServerUnaryReactor* GetSession(
      grpc::CallbackServerContext* ctx,
      const data::v1::GetSessionRequest* request,
      data::v1::Session* response) override;
  grpc::Status UpdateSession(grpc::ServerContext* ctx,
                             const data::v1::UpdateSessionRequest* request,
                             data::v1::Session* response) override;
  grpc::Status DeleteSession(grpc::ServerContext* ctx,
                             const data::v1::DeleteSessionRequest* request,
                             google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListSessions(
      grpc::CallbackServerContext* ctx,
      const data::v1::ListSessionsRequest* request,
      data::v1::ListSessionsResponse* response) override;
  grpc::Status GetSessionByRefreshToken(
      grpc::ServerContext* ctx,
      const data::v1::GetSessionByRefreshTokenRequest* request,
      data::v1::Session* response) override;
  grpc::Status CountActiveSessions(
      grpc::ServerContext* ctx,
      const data::v1::CountActiveSessionsRequest* request,
      data::v1::CountResponse* response) override;
  grpc::Status UpdateRefreshToken(
      grpc::ServerContext* ctx,
      const data::v1::UpdateRefreshTokenRequest* request,
      data::v1::Session* response) override;
  grpc::Status BlockSession(grpc::ServerContext* ctx,
                            const data::v1::BlockSessionRequest* request,
                            data::v1::Session* response) override;
  grpc::Status BlockUserSessions(
      grpc::ServerContext* ctx,
      const data::v1::BlockUserSessionsRequest* request,
      data::v1::AffectedRowsResponse* response) override;
  grpc::Status BlockExpiredSessions(
      grpc::ServerContext* ctx,
      const data::v1::BlockExpiredSessionsRequest* request,
      data::v1::AffectedRowsResponse* response) override;
  grpc::Status DeleteUserSessions(
      grpc::ServerContext* ctx,
      const data::v1::DeleteUserSessionsRequest* request,
      data::v1::AffectedRowsResponse* response) override;
  grpc::Status DeleteExpiredSessions(
      grpc::ServerContext* ctx,
      const data::v1::DeleteExpiredSessionsRequest* request,
      data::v1::AffectedRowsResponse* response) override;
  grpc::Status RotateSession(grpc::ServerContext* ctx,
                             const data::v1::RotateSessionRequest* request,
                             data::v1::Session* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const;

 private:
  absl::Status DoRotateSession(grpc::ServerContext* ctx,
                               const data::v1::RotateSessionRequest& request,
                               data::v1::Session* response);
  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_SESSIONS_SERVICE_H_
