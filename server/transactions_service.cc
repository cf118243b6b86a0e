#include "server/transactions_service.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.

TransactionServiceImpl::TransactionServiceImpl(Database& db,
                                               const HandlerOptions& options)
    : table_(db,
             TableSpec{google::protobuf::DescriptorPool::generated_pool()
                           ->FindServiceByName(
                               TransactionService::service_full_name()),
                       "Transaction",
                       "Transactions",
                       "transactions",
                       "created_at",
                       {"user_id", "created_at", "updated_at"}},
             options) {}

grpc::Status TransactionServiceImpl::CreateTransaction(
    grpc::ServerContext* ctx, const CreateTransactionRequest* request,
    Transaction* response) {
  return table_.Create(ctx, *request, response);
}

grpc::Status TransactionServiceImpl::GetTransaction(
    grpc::ServerContext* ctx, const GetTransactionRequest* request,
    Transaction* response) {
  return table_.Get(ctx, *request, response);
}

grpc::Status TransactionServiceImpl::UpdateTransaction(
    grpc::ServerContext* ctx, const UpdateTransactionRequest* request,
    Transaction* response) {
  return table_.Update(ctx, *request, response);
}

grpc::Status TransactionServiceImpl::DeleteTransaction(
    grpc::ServerContext* ctx, const DeleteTransactionRequest* request,
    google::protobuf::Empty* response) {
  return table_.Delete(ctx, *request, response);
}

grpc::Status TransactionServiceImpl::ListTransactions(
    grpc::ServerContext* ctx, const ListTransactionsRequest* request,
    ListTransactionsResponse* response) {
  return table_.List(ctx, *request, response);
}

}  // namespace defifundr::server
