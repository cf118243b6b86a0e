#include "server/transactions_service.h"

#include "absl/strings/str_cat.h"
#include "server/arena_allocator.h"
#include "server/status.h"

namespace defifundr::server {

using namespace data::v1;  // NOLINT: the service's own messages.
namespace queries = db::queries;

namespace {

const google::protobuf::ServiceDescriptor* Descriptor() {
  return google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
      TransactionService::service_full_name());
}

}  // namespace

TransactionServiceImpl::TransactionServiceImpl(Database& db,
                                               const HandlerOptions& options)
    : table_(db,
             TableSpec{Descriptor(),
                       "Transaction",
                       "Transactions",
                       "transactions",
                       "created_at",
                       {"user_id", "created_at", "updated_at"},
                       StandardQueries{
                           .create = queries::kCreateTransaction,
                           .get = queries::kGetTransaction,
                           .update = queries::kUpdateTransaction,
                           .delete_ = queries::kDeleteTransaction,
                           .list = queries::kListTransactions,
                           .count = queries::kCountTransactions,
                           .get_by_request_id = queries::kGetTransactionByRequestId,
                       },
                       {
                           {"GetTransactionByTxHash",
                            queries::kGetTransactionByTxHash,
                            MethodKind::kOne,
                            {"tx_hash"}},
                           {"DeleteUserTransactions",
                            queries::kDeleteUserTransactions,
                            MethodKind::kAffected,
                            {"user_id"}},
                       }},
             options) {
  // Callback methods: their messages on one arena per call.
  SetMessageAllocatorFor_CreateTransaction(
      ArenaAllocator<data::v1::CreateTransactionRequest,
                     data::v1::Transaction>::Instance());
  SetMessageAllocatorFor_GetTransaction(
      ArenaAllocator<data::v1::GetTransactionRequest,
                     data::v1::Transaction>::Instance());
  SetMessageAllocatorFor_ListTransactions(
      ArenaAllocator<data::v1::ListTransactionsRequest,
                     data::v1::ListTransactionsResponse>::Instance());
}

std::vector<Binding> TransactionServiceImpl::Bindings() const {
  std::vector<Binding> b = table_.Bindings();
  const auto* update =
      Descriptor()->FindMethodByName("UpdateTransactionStatus");
  b.push_back({queries::kUpdateTransactionStatus,
               update->output_type(),
               {update->input_type()},
               {}});
  return b;
}

grpc::ServerUnaryReactor* TransactionServiceImpl::CreateTransaction(
    grpc::CallbackServerContext* ctx, const CreateTransactionRequest* request,
    Transaction* response) {
  return React(ctx, [&](Table::Done done) {
    table_.CreateAsync(ctx, *request, response, std::move(done));
  });
}

grpc::ServerUnaryReactor* TransactionServiceImpl::GetTransaction(
    grpc::CallbackServerContext* ctx, const GetTransactionRequest* request,
    Transaction* response) {
  return React(ctx, [&](Table::Done done) {
    table_.GetAsync(ctx, *request, response, std::move(done));
  });
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

grpc::ServerUnaryReactor* TransactionServiceImpl::ListTransactions(
    grpc::CallbackServerContext* ctx, const ListTransactionsRequest* request,
    ListTransactionsResponse* response) {
  return React(ctx, [&](Table::Done done) {
    table_.ListAsync(ctx, *request, response, std::move(done));
  });
}

grpc::Status TransactionServiceImpl::GetTransactionByTxHash(
    grpc::ServerContext* ctx, const GetTransactionByTxHashRequest* request,
    Transaction* response) {
  return table_.Call("GetTransactionByTxHash", ctx, *request, response);
}

grpc::Status TransactionServiceImpl::DeleteUserTransactions(
    grpc::ServerContext* ctx, const DeleteUserTransactionsRequest* request,
    AffectedRowsResponse* response) {
  return table_.Call("DeleteUserTransactions", ctx, *request, response);
}

grpc::Status TransactionServiceImpl::UpdateTransactionStatus(
    grpc::ServerContext* ctx, const UpdateTransactionStatusRequest* request,
    Transaction* response) {
  if (absl::Status s = table_.Admit(); !s.ok()) return ToGrpcStatus(s);
  return ToGrpcStatus(DoUpdateTransactionStatus(ctx, *request, response));
}

absl::Status TransactionServiceImpl::DoUpdateTransactionStatus(
    grpc::ServerContext* ctx, const UpdateTransactionStatusRequest& request,
    Transaction* response) {
  if (absl::Status s = Table::CheckFields(request, {"id", "status"}); !s.ok()) {
    return s;
  }
  const ParamSource sources[] = {{"", &request}};
  const db::pg::CallOptions options = table_.CallOptions(ctx);
  // One conditional UPDATE is the compare-and-set; when it matches no row,
  // a read tells a missing row from a status that differs.
  absl::Status s = table_.db().FetchOne(options, queries::kUpdateTransactionStatus,
                                        sources, response);
  if (s.code() != absl::StatusCode::kNotFound) return s;
  Transaction current;
  absl::Status exists =
      table_.db().FetchOne(options, queries::kGetTransaction, sources, &current);
  if (exists.code() == absl::StatusCode::kNotFound) {
    return absl::NotFoundError(
        absl::StrCat("Transaction ", request.id(), " not found"));
  }
  if (!exists.ok()) return exists;
  return WithReason(absl::FailedPreconditionError(absl::StrCat(
                        "status is ", TransactionStatus_Name(current.status()),
                        ", not the expected ",
                        TransactionStatus_Name(request.expected_status()))),
                    "STATUS_MISMATCH");
}
}  // namespace defifundr::server
