// KycService: gRPC handlers for the `kyc` table.
#ifndef DEFIFUNDR_SERVER_KYC_SERVICE_H_
#define DEFIFUNDR_SERVER_KYC_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/kyc.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; the standard Create/Get/List handlers are callback handlers
/// that never block gRPC's threads (Table::*Async); the others run on gRPC's
/// synchronous server threads. Status codes are documented on each RPC in
/// kyc.proto.
class KycServiceImpl final
    : public data::v1::KycService::WithCallbackMethod_CreateKyc<
          data::v1::KycService::WithCallbackMethod_GetKyc<
              data::v1::KycService::WithCallbackMethod_ListKycs<
                  data::v1::KycService::Service>>> {
 public:
  /// `db` must outlive the service.
  KycServiceImpl(Database& db, const HandlerOptions& options);

  grpc::ServerUnaryReactor* CreateKyc(grpc::CallbackServerContext* ctx,
                                      const data::v1::CreateKycRequest* request,
                                      data::v1::Kyc* response) override;
  grpc::ServerUnaryReactor* GetKyc(grpc::CallbackServerContext* ctx,
                                   const data::v1::GetKycRequest* request,
                                   data::v1::Kyc* response) override;
  grpc::Status UpdateKyc(grpc::ServerContext* ctx,
                         const data::v1::UpdateKycRequest* request,
                         data::v1::Kyc* response) override;
  grpc::Status DeleteKyc(grpc::ServerContext* ctx,
                         const data::v1::DeleteKycRequest* request,
                         google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListKycs(
      grpc::CallbackServerContext* ctx,
      const data::v1::ListKycsRequest* request,
      data::v1::ListKycsResponse* response) override;
  grpc::Status GetKycByUserId(grpc::ServerContext* ctx,
                              const data::v1::GetKycByUserIdRequest* request,
                              data::v1::Kyc* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const;

 private:
  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_KYC_SERVICE_H_
