// TransactionService: gRPC handlers for the `transactions` table.
#ifndef DEFIFUNDR_SERVER_TRANSACTIONS_SERVICE_H_
#define DEFIFUNDR_SERVER_TRANSACTIONS_SERVICE_H_

#include <vector>

#include "defifundr/data/v1/transactions.grpc.pb.h"
#include "server/table.h"

namespace defifundr::server {

/// Thread-safe; the standard Create/Get/List handlers are callback handlers
/// that never block gRPC's threads (Table::*Async); the others run on gRPC's
/// synchronous server threads. Status codes are documented on each RPC in
/// transactions.proto.
class TransactionServiceImpl final
    : public data::v1::TransactionService::WithCallbackMethod_CreateTransaction<
          data::v1::TransactionService::WithCallbackMethod_GetTransaction<
              data::v1::TransactionService::WithCallbackMethod_ListTransactions<
                  data::v1::TransactionService::Service>>> {
 public:
  /// `db` must outlive the service.
  TransactionServiceImpl(Database& db, const HandlerOptions& options);

  grpc::ServerUnaryReactor* CreateTransaction(
      grpc::CallbackServerContext* ctx,
      const data::v1::CreateTransactionRequest* request,
      data::v1::Transaction* response) override;
  grpc::ServerUnaryReactor* GetTransaction(
      grpc::CallbackServerContext* ctx,
      const data::v1::GetTransactionRequest* request,
      data::v1::Transaction* response) override;
  grpc::Status UpdateTransaction(
      grpc::ServerContext* ctx,
      const data::v1::UpdateTransactionRequest* request,
      data::v1::Transaction* response) override;
  grpc::Status DeleteTransaction(
      grpc::ServerContext* ctx,
      const data::v1::DeleteTransactionRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListTransactions(
      grpc::CallbackServerContext* ctx,
      const data::v1::ListTransactionsRequest* request,
      data::v1::ListTransactionsResponse* response) override;
  grpc::Status GetTransactionByTxHash(
      grpc::ServerContext* ctx,
      const data::v1::GetTransactionByTxHashRequest* request,
      data::v1::Transaction* response) override;
  grpc::Status DeleteUserTransactions(
      grpc::ServerContext* ctx,
      const data::v1::DeleteUserTransactionsRequest* request,
      data::v1::AffectedRowsResponse* response) override;
  grpc::Status UpdateTransactionStatus(
      grpc::ServerContext* ctx,
      const data::v1::UpdateTransactionStatusRequest* request,
      data::v1::Transaction* response) override;

  /// The queries these handlers run, for start-up vetting.
  std::vector<Binding> Bindings() const;

 private:
  absl::Status DoUpdateTransactionStatus(
      grpc::ServerContext* ctx,
      const data::v1::UpdateTransactionStatusRequest& request,
      data::v1::Transaction* response);
  Table table_;
};

}  // namespace defifundr::server

#endif  // DEFIFUNDR_SERVER_TRANSACTIONS_SERVICE_H_
